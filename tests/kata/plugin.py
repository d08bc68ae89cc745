"""The kata's pytest plugin: course order, the --reference swap, exercise statuses, progress, focus and hints."""

import functools
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.course import COURSE
from tests.kata.course import BY_ID, BY_MODULE, EXERCISES, ORDER, ROOT, Exercise, lesson
from tests.kata.progress import Progress
from tests.kata.solution import (
    CtrlC,
    LearnerStopped,
    ProcessWatch,
    Solution,
    SolutionImported,
    SolutionsRefused,
    StubRaised,
    TimedOut,
    frames,
    import_limit,
    learner_line,
    load,
    safe_str,
    stub_raised,
    time_limit_of,
)

EXERCISE = pytest.StashKey[Exercise]()
KATA = pytest.StashKey["Kata"]()
ONE_LINE_CAUSE = pytest.StashKey[str]()
HISTORY_KEY = "autograd-kata/history"
LESSONS_KEY = "autograd-kata/lessons"
SELF_CHECK = ROOT / "tests" / "self_check"
TOOLING = ROOT / "tests" / "tooling"


def package_of(config: pytest.Config) -> str:
    return "reference" if config.getoption("reference") else "exercises"


class Kata:
    """What one run knows: which package it tests, the progress so far, and the exercise in focus."""

    def __init__(self, config: pytest.Config) -> None:
        self.package = package_of(config)
        self.focus_only = config.getoption("next") or config.getoption("hint") == ""
        self.progress = Progress(self.package)
        self.last_started: Exercise | None = None
        self.focus: Exercise | None = None
        self.exercise_of_test: dict[str, Exercise] = {}  # nodeid -> exercise, for reports from any process
        self.exitstatus = 0

    def focus_found_before(self, exercise: Exercise | None) -> bool:
        """In --next mode: has an earlier exercise finished unsolved? Then everything after it waits."""
        if self.focus is None and self.last_started not in (None, exercise):
            result = self.progress.results.get(self.last_started.id)
            if result is not None and result.status != "solved":
                self.focus = self.last_started
        self.last_started = exercise
        return self.focus is not None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Progress counts every report wherever its test ran: in this process or in an exercise's own."""
        status = getattr(report, "kata_status", None)
        if status is not None:
            self.progress.add(self.exercise_of_test[report.nodeid], status, report.kata_cause)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("autograd-kata")
    group.addoption("--reference", action="store_true", help="run the tests against reference/, the solutions")
    group.addoption("--next", action="store_true", help="run only the first unsolved exercise, in course order")
    group.addoption(
        "--hint",
        nargs="?",
        const="",
        default=None,
        metavar="ID",
        help="print the hint for the --next exercise, or for exercise ID (e.g. derivatives.square)",
    )
    group.addoption(
        "--lesson",
        nargs="?",
        const="",
        default=None,
        metavar="MODULE",
        help="print a module's lesson without running anything; with no MODULE, the lesson of the exercise in focus",
    )
    group.addoption(
        "--self-check",
        action="store_true",
        help="also run the kata's own checks in tests/self_check: structure, near misses, checkers (CI does)",
    )
    group.addoption("--progress-json", metavar="PATH", help="write each exercise's status as JSON to PATH")
    group.addoption("--progress-md", metavar="PATH", help="append the progress table as Markdown to PATH (- prints it)")


def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """`pytest --hint ID` and `pytest --lesson [MODULE]` answer at once: they need no test run."""
    if config.getoption("lesson") is not None:
        return print_lesson(config, config.getoption("lesson"))
    wanted = config.getoption("hint")
    if not wanted:
        return None
    exercise = BY_ID.get(wanted)
    if exercise is None:
        print(f"No exercise {wanted!r}. The exercises are: {', '.join(BY_ID)}")
        return pytest.ExitCode.USAGE_ERROR
    print(f"Hint for {exercise.id} ({exercise.location('exercises')}):\n  {exercise.hint}")
    return pytest.ExitCode.OK


def print_lesson(config: pytest.Config, module: str) -> int:
    """A module's lesson; with no module named, that of the first exercise the last run left unsolved."""
    package = package_of(config)
    history = History.read(config)
    if not module:
        module = next((e.module for e in EXERCISES if history.status(e) != "solved"), EXERCISES[0].module)
    if module not in COURSE:
        print(f"No module {module!r}. The modules are: {', '.join(COURSE)}")
        return pytest.ExitCode.USAGE_ERROR
    write_lesson(lambda line, **markup: print(line), module, package)
    return pytest.ExitCode.OK


def pytest_configure(config: pytest.Config) -> None:
    kata = config.stash[KATA] = Kata(config)
    config.pluginmanager.register(kata, "autograd-kata-progress")
    CtrlC.install()
    sys.meta_path.insert(0, SolutionsRefused(kata.package))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The kata's own checks stay out of a learner's runs and their time.

    tests/self_check runs with --self-check. tests/tooling starts a pytest process per test, seconds each:
    it runs only when named on the command line.
    """
    if collection_path == SELF_CHECK and (not config.getoption("self_check") or config.stash[KATA].focus_only):
        return True
    if collection_path == TOOLING and not any(
        TOOLING in (Path(arg.split("::")[0]).resolve(), *Path(arg.split("::")[0]).resolve().parents)
        for arg in config.args
    ):
        return True
    return None


@pytest.fixture
def solution(request: pytest.FixtureRequest) -> Iterator[Solution]:
    """The function under test: the learner's from exercises/, or with --reference the one in reference/.

    Afterwards, whatever its code replaced in torch is put back, and the test fails if it left anything behind.
    """
    exercise = request.node.stash.get(EXERCISE, None)
    if exercise is None:
        pytest.fail(f"{request.node.nodeid} uses `solution` without @pytest.mark.exercise(ID)", pytrace=False)
    watch = ProcessWatch()
    yield load(exercise, request.config.stash[KATA].package, import_limit(request.config))
    left = watch.left_behind()
    if left:
        pytest.fail(f"`{exercise.name}`: {left}", pytrace=False)


def exercise_of(item: pytest.Item) -> Exercise | None:
    marker = item.get_closest_marker("exercise")
    if marker is None:
        return None
    exercise = BY_ID.get(marker.args[0])
    if exercise is None:
        raise pytest.UsageError(f"{item.nodeid}: exercise {marker.args[0]!r} is not in tests/course.py")
    return exercise


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Exercises in course order, then anything else (the kata's self-checks, when asked for)."""
    kata = config.stash[KATA]
    for item in items:
        exercise = exercise_of(item)
        if exercise is not None:
            item.stash[EXERCISE] = kata.exercise_of_test[item.nodeid] = exercise
            # repr_failure is pytest's hook for how an item shows a failure; this item shows one line.
            item.repr_failure = functools.partial(one_line_failure, item)
    items.sort(key=lambda item: ORDER[item.stash[EXERCISE].id] if EXERCISE in item.stash else len(ORDER))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> bool | None:
    kata = item.config.stash[KATA]
    if kata.focus_only and kata.focus_found_before(item.stash.get(EXERCISE, None)):
        return True  # not run, not reported: --next shows one exercise
    return None


def status_of(exercise: Exercise, kata: Kata, call: pytest.CallInfo, timeout: float) -> tuple[str, str]:
    """An exercise test's status and its cause in one line."""
    if call.excinfo is None:
        return "solved", ""
    error, tb = call.excinfo.value, call.excinfo.tb
    stub = stub_that_raised(error, tb, kata.package)
    if stub == exercise:
        return "todo", f"not started: {exercise.location(kata.package)}"
    if stub is not None:  # the exercise calls another one that is still a stub
        cause = f"calls your `{stub.name}`, still a stub: {stub.location(kata.package)}"
        return "error", kata.progress.blamed_on_dependency(exercise, cause)
    status, cause = classified(error, tb, call.when, exercise.location(kata.package), timeout)
    return status, kata.progress.blamed_on_dependency(exercise, cause)


def stub_that_raised(error: BaseException, tb, package: str) -> Exercise | None:
    """The exercise whose own stub line raised this NotImplementedError, if one did."""
    if isinstance(error, StubRaised):
        error, tb = error.error, error.error.__traceback__
    if not isinstance(error, NotImplementedError) or not stub_raised(error):
        return None
    path, line = frames(tb)[-1]
    module = Path(path).stem
    return next((exercise for exercise in BY_MODULE.get(module, ()) if exercise.defines(package, path, line)), None)


def classified(error: BaseException, tb, when: str, location: str, timeout: float) -> tuple[str, str]:
    if isinstance(error, TimedOut):
        return "timeout", str(error)
    if isinstance(error, pytest.fail.Exception) and not str(error).startswith("Timeout"):
        return ("failed" if when == "call" else "error"), str(error)
    if isinstance(error, (LearnerStopped, SolutionImported)):
        return "error", str(error)
    where = learner_line(tb) or location
    if isinstance(error, pytest.fail.Exception):  # pytest-timeout's
        return "timeout", f"still running after {timeout:g} s, stopped at {where}: an endless loop?"
    if isinstance(error, AssertionError):
        return "failed", f"{where}: AssertionError: {safe_str(error)}"
    return "error", f"{where}: {type(error).__name__}: {safe_str(error)}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Each exercise report carries its status and cause; a passing setup or teardown says nothing."""
    exercise = item.stash.get(EXERCISE, None)
    if exercise is None or (call.when != "call" and call.excinfo is None):
        yield
        return
    kata = item.config.stash[KATA]
    status, cause = status_of(exercise, kata, call, time_limit_of(item))
    if item.config.getoption("tbstyle") == "auto":  # --tb=long and friends still get the whole traceback
        item.stash[ONE_LINE_CAUSE] = cause
    report = (yield).get_result()
    report.kata_status, report.kata_cause = status, cause
    if ONE_LINE_CAUSE in item.stash and call.when != "call":  # setup and teardown bypass repr_failure
        report.longrepr = cause


def one_line_failure(item: pytest.Item, excinfo: pytest.ExceptionInfo):
    """An exercise's failure as its one-line cause: cheaper and clearer than the traceback pytest would format."""
    return item.stash.get(ONE_LINE_CAUSE, None) or type(item).repr_failure(item, excinfo)


def pytest_report_teststatus(report: pytest.TestReport) -> tuple[str, str, str] | None:
    status = getattr(report, "kata_status", None)
    if status == "todo":
        return "todo", "t", "TODO"
    if status == "timeout":
        return "failed", "T", "TIMEOUT"
    return None


class History:
    """What earlier runs in exercises/ saw, kept in pytest's cache: each exercise's last status and failure streak,
    and which modules' lessons were shown."""

    def __init__(self, cached: Callable[[str, Any], Any]) -> None:
        self.exercises: dict[str, dict] = cached(HISTORY_KEY, {})
        self.lessons_shown: list[str] = cached(LESSONS_KEY, [])

    @classmethod
    def of(cls, config: pytest.Config) -> "History | None":
        """The learner's history; None in reference mode, or where pytest's cache is off."""
        cache = getattr(config, "cache", None)
        if cache is None or config.stash[KATA].package != "exercises":
            return None
        return cls(cache.get)

    @classmethod
    def read(cls, config: pytest.Config) -> "History":
        """The history read straight from the cache's files, for options that answer before pytest sets up."""
        folder = Path(config.rootpath, config.getini("cache_dir"), "v")

        def cached(key: str, default: Any) -> Any:
            try:
                return json.loads((folder / key).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return default

        return cls(cached)

    def status(self, exercise: Exercise) -> str | None:
        return self.exercises.get(exercise.id, {}).get("status")

    def record(self, progress: Progress) -> list[Exercise]:
        """Take in this run's results; return the exercises it newly solved."""
        newly_solved = []
        for result in progress.ran():
            before = self.exercises.get(result.exercise.id, {"status": None, "streak": 0})
            failing = result.status in ("failed", "error", "timeout")
            self.exercises[result.exercise.id] = {
                "status": result.status,
                "streak": before["streak"] + 1 if failing else 0,
            }
            if result.status == "solved" and before["status"] != "solved":
                newly_solved.append(result.exercise)
        return newly_solved

    def streak(self, exercise: Exercise) -> int:
        return self.exercises.get(exercise.id, {}).get("streak", 0)

    def save(self, config: pytest.Config) -> None:
        config.cache.set(HISTORY_KEY, self.exercises)
        config.cache.set(LESSONS_KEY, self.lessons_shown)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    kata = config.stash[KATA]
    if not kata.progress.results:
        return
    history = History.of(config)
    newly_solved = history.record(kata.progress) if history else []
    write_progress(terminalreporter, kata, history, newly_solved)
    write_next(terminalreporter.write_line, kata, config.getoption("hint") == "", history)
    write_markdown(terminalreporter.write_line, kata.progress, config.getoption("progress_md"))
    if history:
        history.save(config)


def course_solved(kata: Kata, history: History | None) -> tuple[int, int]:
    """How many exercises of the whole course are solved: this run's status, or for one it did not run, the last
    run's; and how many counted by the last run's."""
    solved = from_history = 0
    for exercise in EXERCISES:
        result = kata.progress.results.get(exercise.id)
        if result is not None:
            solved += result.status == "solved"
        elif history and history.status(exercise) is not None:
            from_history += 1
            solved += history.status(exercise) == "solved"
    return solved, from_history


def write_progress(terminalreporter, kata: Kata, history: History | None, newly_solved: list[Exercise]) -> None:
    (solved, from_history), total = course_solved(kata, history), len(EXERCISES)
    title = f"autograd-kata: {solved}/{total} solved"
    terminalreporter.write_sep("=", title, green=solved == total, yellow=solved < total)
    if from_history:
        terminalreporter.write_line(
            f"({from_history} exercise{'s' if from_history > 1 else ''} not run this time kept the status of an "
            "earlier run; `pytest` runs them all)"
        )
    if not kata.focus_only:
        for line in kata.progress.module_lines():
            terminalreporter.write_line(line)
    for exercise in newly_solved:
        # A course may leave reference/ out of the learners' copies.
        compare = f" Compare with the instructor's solution in {exercise.location('reference')}."
        terminalreporter.write_line(
            f"Solved {exercise.id}!{compare if exercise.path('reference').exists() else ''}", green=True
        )


def write_next(write, kata: Kata, hint_asked: bool, history: History | None) -> None:
    """The exercise to work on: its module's lesson the first time (in focus mode), where it is, its task (all of
    it in focus mode), and the way to a hint."""
    upcoming = kata.progress.next_up()
    if upcoming is None:
        ran, total = len(kata.progress.results), len(EXERCISES)
        write("Every exercise is solved." if ran == total else f"All {ran} exercises that ran are solved.", green=True)
        return
    exercise = upcoming.exercise
    new_module = history is not None and exercise.module not in history.lessons_shown
    if new_module and kata.focus_only:
        write("")
        write_lesson(write, exercise.module, kata.package)
        history.lessons_shown.append(exercise.module)
    write("")
    write(f"Next: {exercise.id} ({upcoming.status}) at {exercise.location(kata.package)}", bold=True)
    task = exercise.docstring(kata.package).splitlines() or [""]
    write("\n".join(f"    {line}" for line in (task if kata.focus_only else task[:1])))
    if kata.focus_only:
        write(f"  Result: {upcoming.status}{': ' + upcoming.cause if upcoming.cause else ''}")
    elif new_module:
        write(f"  New module: `pytest --lesson {exercise.module}` teaches what it needs")
    if hint_asked:
        write(f"  Hint: {exercise.hint}", cyan=True)
    elif history and history.streak(exercise) >= 2:
        write("  Failed twice in a row: `pytest --hint` shows a hint.", cyan=True)
    elif not kata.focus_only:
        write("  Work on it alone: `pytest --next`")


def write_lesson(write, module: str, package: str) -> None:
    write(f"Lesson: {module} ({package}/{module}.py)", bold=True)
    write("\n".join(f"    {line}" if line else "" for line in lesson(module, package).splitlines()))


def write_markdown(write, progress: Progress, path: str | None) -> None:
    if path == "-":
        write(progress.as_markdown())
    elif path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(progress.as_markdown())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    kata = session.config.stash[KATA]
    kata.exitstatus = exitstatus
    path = session.config.getoption("progress_json")
    if path:
        kata.progress.write_json(path)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """A thread that learner code left running must not keep the run alive after its report. (In a worker,
    such a thread ends with the worker.)"""
    kata = config.stash.get(KATA, None)
    alive = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if kata is not None and alive:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(kata.exitstatus)
