"""`pytest --watch`: rerun on every save in exercises/ (or reference/), each round in a fresh child process.

The watcher imports torch once; each round is a forked child, so the learner's module is always imported
anew while torch and pytest are already loaded. Where fork is missing or unsafe, a round is a new process.
The watcher keeps the kata's own code (tests/, conftest.py) as it was at its start: restart it after editing those.
"""

import contextlib
import gc
import importlib
import os
import signal
import subprocess
import sys
import tempfile
import traceback
import warnings
from pathlib import Path
from typing import BinaryIO, NoReturn

import pytest

from tests.kata.course import PACKAGES, ROOT

IN_ROUND = "AUTOGRAD_KATA_WATCH_ROUND"  # set in a round, where --watch means nothing
# macOS system frameworks may abort in a forked child; Windows has no fork.
FORK_IS_SAFE = hasattr(os, "fork") and sys.platform != "darwin"
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
    return watch(config, watchfiles)


def say(message: str) -> None:
    print(f"autograd-kata --watch: {message}", flush=True)


def watch(config: pytest.Config, watchfiles) -> int:
    """Run a round now and after every save, until Ctrl-C, which ends the watch with exit code 0."""
    capture = config.pluginmanager.getplugin("capturemanager")  # None under -p no:capture
    if capture is not None:
        capture.stop_global_capturing()  # rounds then read the real stdin: breakpoint() in an exercise works
    args, cwd = list(config.invocation_params.args), config.invocation_params.dir
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
                run_round(args, cwd)
                say(waiting)
                changed = next(batch for batch in batches if batch)
                print()
                say(f"{', '.join(sorted(Path(path).relative_to(ROOT).as_posix() for _, path in changed))} changed")
        except KeyboardInterrupt:
            print()
            say("stopped")
    return pytest.ExitCode.OK


def run_round(args: list[str], cwd: Path) -> None:
    if FORK_IS_SAFE:
        import_ahead(round_in_fork(args))
    else:
        command = [sys.executable, "-m", "pytest", *args]
        subprocess.run(command, cwd=cwd, env={**os.environ, IN_ROUND: "1"}, **WITHOUT_CTRL_C)


def round_in_fork(args: list[str]) -> list[str]:
    """One pytest run in a forked child; returns the names of the modules it imported."""
    # The child's full collections skip frozen objects; else each one scans torch's millions: ~0.15 s, a few a round.
    gc.freeze()
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as imported:
        child = os.fork()
        if child == 0:
            run_child(args, imported)
        try:
            os.waitpid(child, 0)
        except BaseException:  # Ctrl-C during a round: stop it at once, not after its tests
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(child, signal.SIGKILL)
                os.waitpid(child, 0)
            raise
        imported.seek(0)
        return imported.read().decode().split()


def run_child(args: list[str], imported: BinaryIO) -> NoReturn:
    code = pytest.ExitCode.INTERNAL_ERROR
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        os.environ[IN_ROUND] = "1"
        code = pytest.main(args)
        from tests.kata.isolation import WORKER_IMPORTS  # what the round's workers imported, beside the round

        imported.write("\n".join([*sys.modules, *WORKER_IMPORTS]).encode())
        imported.flush()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)  # never return into the watch loop: that would make a second watcher


class LearnerCodeRefused:
    """An import hook for the watcher: exercises/ and reference/ are for the rounds alone to import, fresh."""

    def find_spec(self, name: str, path=None, target=None) -> None:
        if name.partition(".")[0] in PACKAGES:
            raise ImportError(f"{name} is imported by each round, never by the watcher")


def import_ahead(names: list[str]) -> None:
    """Import in the watcher what the last round imported, so the next round finds it loaded.

    torch.testing, for one, loads torch.distributed and sympy on its first comparison: seconds, paid once here.
    Test modules pass through the assertion-rewriting import hook that pytest installed in this process; one
    that imports learner code when imported fails here, and stays the rounds' to import.
    """
    refused = LearnerCodeRefused()
    sys.meta_path.insert(0, refused)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in names:
                if name not in sys.modules:
                    with contextlib.suppress(Exception):  # only a head start: the round imports it itself
                        importlib.import_module(name)
    finally:
        sys.meta_path.remove(refused)
