"""`pytest --watch`: rerun on every save in exercises/ (or reference/), each round in a fresh child process.

The watcher imports torch and collects the tests once; each round is a child forked from it after collection, which
runs the tests (the learner's code itself in the round's worker, imported anew) and prints the round's summary.
Where fork is missing or unsafe, a round is a new `pytest` process. The watcher keeps the kata's own code (tests/,
conftest.py) as it was at its start: restart it after editing those.
"""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import pytest
from _pytest import timing
from _pytest.main import pytest_runtestloop as run_the_tests

from tests.kata.course import PACKAGES, ROOT
from tests.kata.isolation import FORK_IS_SAFE, WORKER_IMPORTS, fork, import_all

IN_ROUND = "AUTOGRAD_KATA_WATCH_ROUND"  # set in a round of its own process, where --watch means nothing
WATCHFILES = pytest.StashKey[Any]()
# Ctrl-C is the watcher's to answer: it stops the round, so the round must not report a KeyboardInterrupt.
WITHOUT_CTRL_C = (
    {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if sys.platform == "win32" else {"start_new_session": True}
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("autograd-kata").addoption(
        "--watch",
        action="store_true",
        help="rerun on every save of a file in exercises/ (or reference/); Ctrl-C stops (needs watchfiles)",
    )


def pytest_cmdline_main(config: pytest.Config) -> int | None:
    if not config.getoption("watch") or os.environ.get(IN_ROUND):
        return None
    try:
        import watchfiles  # imported only here: a plain run must not pay for it
    except ImportError:
        print('pytest --watch needs watchfiles: pip install ".[watch]"')
        return pytest.ExitCode.USAGE_ERROR
    if not FORK_IS_SAFE:
        capture = config.pluginmanager.getplugin("capturemanager")  # None under -p no:capture
        if capture is not None:
            capture.stop_global_capturing()  # the rounds' processes then read the real stdin, for breakpoint()
        return watch(config, watchfiles, lambda: run_process(config))
    config.stash[WATCHFILES] = watchfiles  # pytest collects, then pytest_runtestloop forks the rounds
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    watchfiles = session.config.stash.get(WATCHFILES, None)
    if watchfiles is None:
        return None
    sys.stdout.flush()
    os._exit(watch(session.config, watchfiles, lambda: import_ahead(round_in_fork(session))))


def say(message: str) -> None:
    print(f"autograd-kata --watch: {message}", flush=True)


def watch(config: pytest.Config, watchfiles, run_round) -> int:
    """Run a round now and after every save, until Ctrl-C, which ends the watch with exit code 0."""
    folders = [ROOT / package for package in PACKAGES if (ROOT / package).is_dir()]
    # A batch comes once 20 ms pass without a change (default 50: ~100 ms from save to round, not ~40), and an
    # empty batch every 20 ms while idle (yield_on_timeout): the first tells that watching has begun.
    batches = watchfiles.watch(
        *folders, watch_filter=watchfiles.PythonFilter(), step=20, rust_timeout=1, yield_on_timeout=True
    )
    waiting = f"waiting for a save in {' or '.join(f'{folder.name}/' for folder in folders)} (Ctrl-C stops)"
    with contextlib.closing(batches):
        try:
            next(batches)  # watching before the first round, so that a save during it is not lost
            while True:
                run_round()
                say(waiting)
                changed = next(batch for batch in batches if batch)
                print()
                say(f"{', '.join(sorted(Path(path).relative_to(ROOT).as_posix() for _, path in changed))} changed")
        except KeyboardInterrupt:
            print()
            say("stopped")
    return pytest.ExitCode.OK


def run_process(config: pytest.Config) -> None:
    """A round where fork is missing or unsafe: a pytest process of its own, with the watcher's arguments."""
    command = [sys.executable, "-m", "pytest", *config.invocation_params.args]
    environment = {**os.environ, IN_ROUND: "1"}
    subprocess.run(command, cwd=config.invocation_params.dir, env=environment, **WITHOUT_CTRL_C)


def round_in_fork(session: pytest.Session) -> list[str]:
    """One round of the collected tests in a forked child; returns the names of the modules it imported."""
    with tempfile.TemporaryFile() as imported:
        child = fork()  # watchfiles keeps a thread
        if child == 0:
            run_child(session, imported)
        try:
            os.waitpid(child, 0)
        except BaseException:  # Ctrl-C during a round: stop it at once, not after its tests
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(child, signal.SIGKILL)
                os.waitpid(child, 0)
            raise
        imported.seek(0)
        return imported.read().decode().split()


def run_child(session: pytest.Session, imported: BinaryIO) -> NoReturn:
    """The round: the tests as pytest runs them, then the session's end (the summary), as if it were the only run."""
    code = pytest.ExitCode.INTERNAL_ERROR
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        reporter = session.config.pluginmanager.getplugin("terminalreporter")
        for attribute in ("_session_start", "_sessionstarttime"):  # the round's duration, not the watcher's
            if hasattr(reporter, attribute):
                setattr(reporter, attribute, now_as(attribute))
        run_the_tests(session)
        code = pytest.ExitCode.TESTS_FAILED if session.testsfailed else pytest.ExitCode.OK
        session.exitstatus = code
        session.config.hook.pytest_sessionfinish(session=session, exitstatus=code)
        session.config._ensure_unconfigure()
        imported.write("\n".join([*sys.modules, *WORKER_IMPORTS]).encode())
        imported.flush()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)  # never return into the watch loop: that would make a second watcher


def now_as(attribute: str) -> Any:
    """Now, in the form the terminal reporter keeps its session's start in: pytest 8 and later keep a
    timing.Instant in _session_start, pytest 7 a time.time() in _sessionstarttime."""
    return timing.Instant() if attribute == "_session_start" else time.time()


class LearnerCodeRefused:
    """An import hook for the watcher: exercises/ and reference/ are for the rounds alone to import, fresh."""

    def find_spec(self, name: str, path=None, target=None) -> None:
        if name.partition(".")[0] in PACKAGES:
            raise ImportError(f"{name} is imported by each round, never by the watcher")


def import_ahead(names: list[str]) -> None:
    """Import in the watcher what the last round imported, learner code aside, so the next round finds it loaded."""
    refused = LearnerCodeRefused()
    sys.meta_path.insert(0, refused)
    try:
        import_all(names)
    finally:
        sys.meta_path.remove(refused)
