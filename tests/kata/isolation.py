"""Learner code in a process of its own: exercises run in a forked worker that the pytest process supervises.

The worker is forked after collection, so torch and the test modules are already loaded. The parent sends it one
exercise at a time and never imports learner code itself; the worker imports the learner's module, runs the
exercise's tests and streams their reports back. The parent keeps a hard wall-clock limit per test beside
pytest-timeout's friendly stop inside the worker: the worker's faulthandler dumps its stack and exits a moment after
the limit, and SIGKILL follows, so no learner code outlasts it. An exit, a crash, a signal or a kill becomes that
exercise's one-line cause (at import time, its module's), and the next exercise gets a new worker. So does the next
exercise after one that left anything behind in the worker: a thread, a signal handler, an environment variable,
torch's global state, a replaced function (tests/kata/solution.py, ProcessWatch).

Why not a fresh fork per exercise: a child of this process pays for every page it writes to (copy-on-write), and
a test run touches a few thousand: measured here, 15-25 ms an exercise, a second for the course. A worker pays once.
pytest-forked forks per test and waits for a child without any limit, so its protocol hook is the model, not a
dependency. Where fork is missing or unsafe (Windows; macOS, whose system frameworks may abort in a forked child),
every test runs in the pytest process, with the guards that work there (see README).
"""

import contextlib
import faulthandler
import gc
import importlib
import os
import pickle
import re
import select
import signal
import struct
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import pytest
import torch
from _pytest.reports import TestReport
from _pytest.runner import runtestprotocol

from tests.kata.course import Exercise
from tests.kata.plugin import EXERCISE, KATA
from tests.kata.solution import (
    LEARNER_FOLDERS,
    ProcessWatch,
    import_limit,
    import_module,
    import_tried,
    learner_line,
    relative,
    safe_str,
    time_limit_of,
)

# AUTOGRAD_KATA_NO_FORK=1 runs as macOS and Windows do, everything in one process (the tooling tests use it).
FORK_IS_SAFE = (
    hasattr(os, "fork") and sys.platform not in ("darwin", "win32") and not os.environ.get("AUTOGRAD_KATA_NO_FORK")
)
# After a test's limit: pytest-timeout stops it inside the worker at the limit itself, the worker's faulthandler
# dumps its stack and exits at half the grace, SIGKILL ends the worker at the whole grace.
GRACE = 1.0
IMPORT_ALLOWANCE = 5.0  # seconds more for a test during which torch imports one of its lazily loaded parts
FRAME = struct.Struct(">I")
ISOLATION = pytest.StashKey["Isolation"]()
SIGNAL_NAMES = {int(sig): sig.name for sig in signal.Signals}


def pytest_configure(config: pytest.Config) -> None:
    if FORK_IS_SAFE and not config.getoption("usepdb") and not config.getoption("trace"):
        config.stash[ISOLATION] = Isolation(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    isolation = config.stash.get(ISOLATION, None)
    if isolation is not None:
        isolation.close()


def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """An exercise's test: its reports come from the worker, which runs its whole exercise at once."""
    isolation = item.config.stash.get(ISOLATION, None)
    if isolation is None or EXERCISE not in item.stash:
        return None
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for report in isolation.reports_of(item):
        item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


class InWorkerError(Exception):
    """A call in the worker failed: its message is the one-line cause, the error's type included."""


def in_own_process(config: pytest.Config, function: Callable[..., Any], *args: Any) -> Any:
    """function(*args) where learner code runs: in the worker where there is one, else in this process."""
    isolation = config.stash.get(ISOLATION, None)
    if isolation is None or isolation.session is None:
        return function(*args)
    return isolation.call(function, *args)


# ---- Messages between the processes ------------------------------------------------------------------------------


def send(fd: int, *message: Any) -> None:
    """A length-prefixed pickle down a pipe."""
    data = pickle.dumps(message)
    data = FRAME.pack(len(data)) + data
    while data:
        data = data[os.write(fd, data) :]


def receive(fd: int) -> tuple:
    """The next message from a pipe; EOFError once its other end is closed."""
    return pickle.loads(read_exactly(fd, FRAME.unpack(read_exactly(fd, FRAME.size))[0]))


def read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


# ---- The worker ------------------------------------------------------------------------------------------------


class ImportsAlong:
    """The worker's import hook for torch's lazily loaded parts (torch.func's first call imports torch._dynamo,
    about a second, more on a busy machine): the test's time limit grows by IMPORT_ALLOWANCE for each, since
    that time is not the learner's; and the parent hears of it, to import it before it forks another worker, which
    then inherits it (and --watch imports it ahead of the next round)."""

    def __init__(self, results: int, dump: Any) -> None:
        self.results, self.dump = results, dump
        self.allowed: set[str] = set()

    def find_spec(self, name: str, path=None, target=None) -> None:
        if not name.startswith("torch.") or name in sys.modules:
            return None
        part = ".".join(name.split(".")[:2])
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]  # pytest-timeout's alarm, when a test is running
        extend = part not in self.allowed and remaining > 0
        if extend:  # the alarm, and the worker's own last resort after it
            self.allowed.add(part)
            signal.setitimer(signal.ITIMER_REAL, remaining + IMPORT_ALLOWANCE)
            arm(remaining + IMPORT_ALLOWANCE, self.dump)
        send(self.results, "module", name, extend)
        return None


def serve(session: pytest.Session, commands: int, results: int, dump: Any) -> NoReturn:
    """The forked worker: run the exercises the parent asks for, until it closes the pipe; then end at once,
    skipping atexit handlers and the parent's buffers."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C at the terminal is the parent's to answer
        # An OpenMP pool that a parallel op started in the parent does not survive a fork: one more parallel op
        # would hang. One thread never starts one; the kata's tensors are small.
        torch.set_num_threads(1)
        faulthandler.enable(file=dump)  # a crash's stack goes to the parent, not into the learner's terminal
        sys.meta_path.insert(0, ImportsAlong(results, dump))
        sys.addaudithook(debugging(results))
        with contextlib.suppress(EOFError):
            while True:
                kind, *body = receive(commands)
                if kind == "exercises":  # one after another, each reported "done" with what it left behind
                    spans, statuses = body
                    for start, end in spans:
                        watch = ProcessWatch()
                        run_exercise(session.items[start:end], statuses, results, dump)
                        tainted = watch.tainted()
                        send(results, "done", tainted)
                        if tainted:  # the next exercise gets a fresh worker
                            return
                    arm(0, dump)  # idle now: only a test in progress has a limit
                else:  # "call": a function of the kata's that runs learner code, for its picklable result
                    function, args = body
                    watch = ProcessWatch()
                    arm(import_limit(session.config), dump)
                    try:
                        send(results, "result", function(*args))
                    except (Exception, pytest.fail.Exception) as error:
                        send(results, "failed", f"{type(error).__name__}: {safe_str(error)}")
                    arm(0, dump)
                    send(results, "done", watch.tainted())
    except BaseException:
        with contextlib.suppress(BaseException):
            send(results, "broken", traceback.format_exc())
        code = 70
    finally:
        os._exit(code)


def debugging(results: int) -> Any:
    """An audit hook: on breakpoint() in learner code, no time limit while a person is at the debugger's prompt.

    An audit hook rather than a wrapped sys.breakpointhook, which the debugger would stop in instead of the
    learner's line."""

    def hook(event: str, args: tuple) -> None:
        if event == "builtins.breakpoint":
            send(results, "debugging")
            faulthandler.cancel_dump_traceback_later()
            if hasattr(signal, "setitimer"):
                signal.setitimer(signal.ITIMER_REAL, 0)  # the import's limit; pytest-timeout skips a debugger itself

    return hook


def arm(limit: float, dump: Any) -> None:
    """The worker's own last resort: dump every thread's stack into `dump`, then exit, shortly after the limit."""
    if limit:
        faulthandler.dump_traceback_later(limit + GRACE / 2, exit=True, file=dump)
    else:
        faulthandler.cancel_dump_traceback_later()


def run_exercise(items: list[pytest.Item], statuses: dict[str, str], results: int, dump: Any) -> None:
    """In the worker: import the exercise's module, then run each test and send its reports and warnings."""
    config = items[0].config
    kata = config.stash[KATA]
    kata.progress.assume(statuses)  # the earlier exercises, as the parent saw them
    exercise = items[0].stash[EXERCISE]
    if not import_tried(exercise, kata.package):  # the module's other exercises find it imported
        send(results, "importing")
        arm(import_limit(config), dump)
        with contextlib.suppress(pytest.fail.Exception):  # a module that cannot be imported: each test says why
            import_module(exercise, kata.package, import_limit(config))
    for item, nextitem in zip(items, [*items[1:], None]):
        limit = time_limit_of(item)
        send(results, "start", item.nodeid, limit)
        arm(limit, dump)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            try:
                reports = runtestprotocol(item, nextitem=nextitem, log=False)
            except KeyboardInterrupt as error:  # learner code outside a guarded call, a custom backward say
                where = learner_line(error.__traceback__)
                at = f" at {where}" if where else ""
                send(results, "stopped", f"raised KeyboardInterrupt{at}: the kata stops only for Ctrl-C")
                return
        for report in reports:  # log=False skipped the report hook; later exercises of this batch may depend on it
            kata.pytest_runtest_logreport(report)
        serialized = [config.hook.pytest_report_to_serializable(config=config, report=r) for r in reports]
        send(results, "reports", item.nodeid, serialized, [portable(warning) for warning in caught])


def portable(warning: warnings.WarningMessage) -> tuple[type[Warning], str, str, int]:
    category = warning.category if isinstance(warning.category, type) else UserWarning
    return category, str(warning.message), warning.filename, warning.lineno


# ---- The parent ------------------------------------------------------------------------------------------------


@dataclass
class Death:
    """How a worker ended in the middle of an exercise: the exercise's status and one-line cause."""

    status: str
    cause: str


def learner_frame_in_dump(text: str) -> str:
    """The innermost learner frame in a faulthandler dump (most recent call first), as file:line."""
    for path, line in re.findall(r'File "([^"]+)", line (\d+)', text):
        if path.startswith(LEARNER_FOLDERS):
            return f"{relative(path)}:{line}"
    return ""


class Worker:
    """The parent's handle on a forked worker: the pipes to it, and how it ended."""

    def __init__(self, session: pytest.Session, dump: Any) -> None:
        commands_read, commands = os.pipe()
        results, results_write = os.pipe()
        pid = fork()
        if pid == 0:
            os.close(commands)
            os.close(results)
            serve(session, commands_read, results_write, dump)
        os.close(commands_read)
        os.close(results_write)
        self.pid, self.commands, self.results, self.dump = pid, commands, results, dump
        self.status: int | None = None  # os.waitpid's, once it has ended
        self.killed = False
        self.pidfd = None
        with contextlib.suppress(AttributeError, OSError):  # Linux >= 5.3: the worker's end, as a readable fd
            self.pidfd = os.pidfd_open(pid)

    def ask(self, *command: Any) -> None:
        self.dump.seek(0)
        self.dump.truncate()
        send(self.commands, *command)

    def next_message(self, deadline: float | None) -> tuple | None:
        """The worker's next message; None once it has ended, or passed the deadline (then it is killed)."""
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if self.pidfd is None:  # no way to wait for the worker's end itself: look every 20 ms
                remaining = 0.02 if remaining is None else min(remaining, 0.02)
            watched = [self.results] if self.pidfd is None else [self.results, self.pidfd]
            ready = select.select(watched, [], [], remaining)[0]
            if self.results in ready:
                try:
                    return receive(self.results)
                except EOFError:  # it ended, and nothing else holds the pipe open
                    self.end()
                    return None
            if self.pidfd in ready or (self.pidfd is None and self.ended()):
                self.end()  # ended, though a process it started may still hold the pipe open
                return None
            if deadline is not None and time.monotonic() >= deadline:
                self.killed = True
                self.end()
                return None

    def ended(self) -> bool:
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid:
            self.status = status
        return bool(pid)

    def end(self) -> None:
        """Make sure the worker is gone (SIGKILL if it is not done), reap it and close the pipes."""
        if self.status is None:
            if self.killed:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
            else:
                with contextlib.suppress(OSError):
                    os.close(self.commands)  # a worker waiting for its next exercise ends at this
            self.status = os.waitpid(self.pid, 0)[1]
        for fd in (self.commands, self.results, self.pidfd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def death(self, limit: float, inside: str) -> Death:
        """Why the worker ended `inside` some code: a timeout, a crash or an exit, with the learner's line."""
        self.dump.seek(0)
        dumped = self.dump.read().decode("utf-8", "replace")
        where = learner_frame_in_dump(dumped)
        if self.killed or dumped.startswith("Timeout ("):
            stopped = f", stopped at {where}" if where else ""
            return Death("timeout", f"still running after {limit:g} s {inside}{stopped}: an endless loop?")
        at = f" at {where}" if where else ""
        status = self.status or 0
        if os.WIFSIGNALED(status):
            name = SIGNAL_NAMES.get(os.WTERMSIG(status), f"signal {os.WTERMSIG(status)}")
            return Death("error", f"the process crashed with {name} {inside}{at}")
        return Death("error", f"the process exited with code {os.WEXITSTATUS(status)} {inside}{at} (os._exit?)")


class Isolation:
    """The parent's side: the worker, the exercises it was asked to run, the reports it sent, and the modules whose
    import ended one. Outside focus mode the worker is asked for every exercise still to come at once, so that it
    runs the next while this process reports the last."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.reports: dict[str, list[TestReport]] = {}
        self.dead_modules: dict[str, Death] = {}  # a module whose import ended a worker: all its exercises' cause
        self.dump = tempfile.TemporaryFile()  # noqa: SIM115  (the workers' faulthandler file, closed at the end)
        self.worker: Worker | None = None
        self.asked: list[tuple[int, int]] = []  # the spans of items the worker has yet to report "done" for
        self.session: pytest.Session | None = None
        self.spans: dict[str, tuple[int, int]] = {}

    @property
    def kata(self) -> Any:
        return self.config.stash[KATA]

    def close(self) -> None:
        if self.worker is not None:
            self.worker.end()
        self.dump.close()

    def reports_of(self, item: pytest.Item) -> list[TestReport]:
        if item.nodeid not in self.reports:
            self.run_exercise(item)
        return self.reports.pop(item.nodeid)

    def exercise_spans(self, session: pytest.Session) -> dict[str, tuple[int, int]]:
        """Each exercise item's nodeid, with where its exercise's items are in the session: together, in order."""
        if not self.spans:
            items, start = session.items, 0
            while start < len(items):
                exercise, end = items[start].stash.get(EXERCISE, None), start + 1
                while end < len(items) and exercise is not None and items[end].stash.get(EXERCISE, None) == exercise:
                    end += 1
                if exercise is not None:
                    self.spans.update({each.nodeid: (start, end) for each in items[start:end]})
                start = end
        return self.spans

    def module_of(self, span: tuple[int, int]) -> str:
        return self.session.items[span[0]].stash[EXERCISE].relpath(self.kata.package)

    def run_exercise(self, item: pytest.Item) -> None:
        """Get the item's reports: from the worker's answers to what it was asked, else by asking it."""
        self.session = item.session
        span = self.exercise_spans(item.session)[item.nodeid]
        if self.module_of(span) in self.dead_modules:
            self.fail(item.session.items[span[0] : span[1]], self.dead_modules[self.module_of(span)])
            return
        while item.nodeid not in self.reports:
            if span not in self.asked:  # not asked yet, or the worker that was asked has ended
                self.ask_from(span)
            self.follow()

    def ask_from(self, span: tuple[int, int]) -> None:
        """Ask a worker (a new one if the last is gone) for this exercise and, outside focus mode, those after it
        up to a module whose import ended a worker."""
        self.idle_worker()
        spans = sorted(set(self.exercise_spans(self.session).values()))
        ahead = [] if self.kata.focus_only else [each for each in spans if each[0] > span[0]]
        batch = [span]
        for each in ahead:
            if self.module_of(each) in self.dead_modules:
                break
            batch.append(each)
        uses = {used for start, _ in batch for used in self.session.items[start].stash[EXERCISE].uses}
        self.worker.ask("exercises", batch, self.kata.progress.statuses(tuple(uses)))
        self.asked = batch
        self.between_tests()

    def idle_worker(self) -> "Worker":
        """The worker once it has answered all it was asked; a new one if there is none."""
        while self.asked:
            self.follow()
        if self.worker is None:
            self.worker = new_worker(self.session, self.dump)
        return self.worker

    def limit_to(self, limit: float, importing: bool = False) -> None:
        self.importing, self.limit, self.deadline = importing, limit, deadline_after(limit)

    def between_tests(self, importing: bool = False) -> None:
        """Until a test starts, the worker is between exercises or importing a module: the import's limit holds."""
        self.limit_to(import_limit(self.config), importing)

    def follow(self) -> None:
        """Take the worker's next message about the exercise it is on; if it ended, that exercise's cause."""
        worker, span = self.worker, self.asked[0]
        exercise: Exercise = self.session.items[span[0]].stash[EXERCISE]
        message = worker.next_message(self.deadline)
        if message is None:
            self.worker_ended(worker.death(self.limit, f"inside `{exercise.name}`"))
            return
        kind, *body = message
        if kind == "importing":
            self.between_tests(importing=True)
        elif kind == "module":
            name, extended = body
            if extended and self.deadline is not None:
                self.deadline += IMPORT_ALLOWANCE
            WORKER_IMPORTS.append(name)
        elif kind == "debugging":
            self.deadline = None
        elif kind == "start":
            self.limit_to(body[1])
        elif kind == "reports":
            nodeid, serialized, caught = body
            self.reports[nodeid] = [
                self.config.hook.pytest_report_from_serializable(config=self.config, data=data) for data in serialized
            ]
            self.record_warnings(nodeid, caught)
        elif kind == "done":
            self.asked.pop(0)
            self.between_tests()
            if body[0]:  # it left something behind and ends: what is left to ask goes to a fresh worker
                self.retire()
        elif kind == "stopped":
            self.worker_ended(Death("error", f"`{exercise.name}` {body[0]}"), kill=True)
        elif kind == "broken":
            self.worker_ended(Death("error", f"the kata's worker broke: {body[0].splitlines()[-1]}"), kill=True)

    def worker_ended(self, death: Death, kill: bool = False) -> None:
        """The worker is gone in the middle of an exercise: its tests still without reports get the cause."""
        start, end = self.asked[0]
        module = self.module_of((start, end))
        if self.importing and not kill:
            death = self.worker.death(self.limit, f"while importing {module}")
            self.dead_modules[module] = death
        self.fail([each for each in self.session.items[start:end] if each.nodeid not in self.reports], death)
        self.retire(kill)

    def retire(self, kill: bool = False) -> None:
        self.worker.killed |= kill
        self.worker.end()
        self.worker, self.asked = None, []

    def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """function(*args) in a worker, for code of the kata's that runs learner code outside a test (the plots).

        Raises InWorkerError with the one-line cause when it raises, or when the worker ends or runs out of time.
        """
        worker = self.idle_worker()
        worker.ask("call", function, args)
        limit = import_limit(self.config)
        deadline = deadline_after(limit)
        outcome: tuple | None = None
        while (message := worker.next_message(deadline)) is not None:
            kind, *body = message
            if kind in ("result", "failed", "broken"):
                outcome = message
            elif kind == "module":
                WORKER_IMPORTS.append(body[0])
            elif kind == "done":
                if body[0]:
                    self.retire()
                break
        else:
            self.worker = None
            raise InWorkerError(worker.death(limit, f"inside {function.__name__}").cause)
        if outcome is None or outcome[0] != "result":
            raise InWorkerError(outcome[1] if outcome else "the worker sent nothing")
        return outcome[1]

    def fail(self, items: list[pytest.Item], death: Death) -> None:
        for item in items:
            self.reports[item.nodeid] = synthesized(item, death)

    def record_warnings(self, nodeid: str, caught: list[tuple[type[Warning], str, str, int]]) -> None:
        for category, text, filename, lineno in caught:
            try:
                message = category(text)
            except Exception:  # a warning class that takes other arguments
                message, category = UserWarning(text), UserWarning
            self.config.hook.pytest_warning_recorded.call_historic(
                kwargs={
                    "warning_message": warnings.WarningMessage(message, category, filename, lineno),
                    "when": "runtest",
                    "nodeid": nodeid,
                    "location": None,
                }
            )


WORKER_IMPORTS: list[str] = []  # the torch submodules workers imported, in order


def deadline_after(limit: float) -> float | None:
    """When the parent kills a worker still at work on something with this limit (0: none): a grace after it."""
    return time.monotonic() + limit + GRACE if limit else None


def new_worker(session: pytest.Session, dump: Any) -> Worker:
    """A worker forked from this process after it imported what earlier workers did: it starts with those loaded."""
    import_all(WORKER_IMPORTS)
    return Worker(session, dump)


def import_all(names: list[str]) -> None:
    """Import what a child of this process imported, so the next child finds it loaded: torch.func's first call
    loads torch._dynamo and sympy, seconds paid once here. Only a head start: the child imports what fails here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            if name not in sys.modules:
                with contextlib.suppress(Exception):
                    importlib.import_module(name)


def fork() -> int:
    """os.fork, for a child that runs what this process collected: the streams flushed first, so nothing buffered
    prints twice, and without the warning Python >= 3.12 gives for forking a process that has threads."""
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()  # the child's collections then skip everything this process made: torch's millions of objects
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def synthesized(item: pytest.Item, death: Death) -> list[TestReport]:
    """The reports of a test whose worker ended before it could send its own."""
    common = {
        "nodeid": item.nodeid,
        "location": item.location,
        "keywords": dict.fromkeys(item.keywords, 1),
        "sections": [],
        "duration": 0,
    }
    return [
        TestReport(
            outcome="failed",
            longrepr=death.cause,
            when="call",
            kata_status=death.status,
            kata_cause=death.cause,
            **common,
        ),
        TestReport(outcome="passed", longrepr=None, when="teardown", **common),
    ]
