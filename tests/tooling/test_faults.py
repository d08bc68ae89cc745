"""Faults in learner code stay inside their own exercise, or their module at import time: each one is put into one
exercise of a tree where every exercise is solved, and the run must still report every other exercise solved,
name the fault in one line, end by itself with exit 1 and a complete JSON report, and cost at most one time limit.

Each runs in a fresh process on two modules of the course; with the worker and, where a guard can work there,
without it (`-p no:tests.kata.isolation`, what macOS and Windows get).
"""

import json
import re
import time
from dataclasses import dataclass

import pytest

from tests.kata.course import EXERCISES

MODULES = ("derivatives", "partial_derivatives")
LIMIT = 2  # seconds: pytest-timeout's limit for these runs, short so that hangs cost little
IN_PROCESS = "-p no:tests.kata.isolation"


@dataclass(frozen=True)
class Fault:
    label: str
    code: str
    status: str
    cause: str  # a regex the fault's one-line cause must match
    at_import: bool = False  # the code goes at the module's top level, so every exercise of it is affected
    in_process: bool = False  # also run without the worker: a guard there catches this kind of fault

    @property
    def victims(self) -> list[str]:
        if self.at_import:
            return [e.id for e in EXERCISES if e.module == "derivatives"]
        return ["derivatives.quadratic"]


FAULTS = [
    Fault("exit-at-import", "exit()", "error", r"importing exercises/derivatives.py called exit\(\)", True, True),
    Fault("sys-exit-at-import", "import sys\nsys.exit(3)", "error", r"called exit\(3\)", at_import=True),
    Fault("sys-exit", "import sys\nsys.exit(0)", "error", r"quadratic\(2.0\) called exit\(0\)"),
    Fault("keyboard-interrupt", "raise KeyboardInterrupt", "error", "raised KeyboardInterrupt", in_process=True),
    Fault("os-exit", "import os\nos._exit(0)", "error", r"exited with code 0 inside `quadratic` \(os._exit\?\)"),
    Fault("crash", "import ctypes\nctypes.string_at(0)", "error", "crashed with SIGSEGV inside `quadratic`"),
    Fault(
        "swallowed-timeout",
        "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass",
        "timeout",
        rf"still running after {LIMIT} s inside `quadratic`, stopped at exercises/derivatives.py:\d+",
    ),
    Fault(
        "alarm-off",
        "import signal\nsignal.setitimer(signal.ITIMER_REAL, 0)\nwhile True:\n    pass",
        "timeout",
        "still running after",
    ),
    Fault(
        "sigalrm-ignored",
        "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass",
        "timeout",
        "still running after",
    ),
    Fault(
        "sigalrm-blocked",
        "import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])\nwhile True:\n    pass",
        "timeout",
        "still running after",
    ),
    # Catastrophic backtracking: one C-level call that never looks for signals.
    Fault("long-c-call", 'import re\nre.match(r"(a+)+$", "a" * 40 + "b")', "timeout", "still running after"),
    Fault(
        "thread-left-running",
        "import threading, time\nthreading.Thread(target=time.sleep, args=(600,)).start()",
        "error",
        "a thread it started is still running",
        in_process=True,
    ),
    Fault(
        "default-device", 'torch.set_default_device("meta")', "failed", "default device cpu -> meta", in_process=True
    ),
    Fault("threads", "torch.set_num_threads(7)", "failed", r"threads \d -> 7"),
    Fault("deterministic", "torch.use_deterministic_algorithms(True)", "failed", "deterministic algorithms"),
    Fault("print-options", "torch.set_printoptions(precision=1)", "failed", "print options"),
    Fault("patched-method", "torch.Tensor.backward = lambda *a, **k: None", "error", "replaced torch.Tensor.backward"),
    Fault("patched-function", "torch.sin = lambda t: t", "error", "replaced torch.sin", in_process=True),
    Fault(
        "hang-at-import",
        "while True:\n    pass",
        "timeout",
        rf"still running after {LIMIT} s while importing exercises/derivatives.py, stopped at exercises/derivatives",
        at_import=True,
        in_process=True,
    ),
    Fault(
        "solutions-imported",
        "from reference.derivatives import quadratic as _q",
        "error",
        r"exercises/derivatives.py:\d+: `from reference.derivatives import quadratic as _q`: solutions from "
        "reference/ don't count",
        in_process=True,
    ),
    Fault(
        "str-raises",
        "class Odd(Exception):\n    def __str__(self):\n        raise ValueError\nraise Odd()",
        "error",
        r"Odd: <Odd whose str\(\) raised ValueError>",
        in_process=True,
    ),
]
RUNS = [
    pytest.param(fault, isolated, id=f"{fault.label}-{'worker' if isolated else 'in-process'}")
    for fault in FAULTS
    for isolated in (True, False)
    if isolated or fault.in_process
]


def statuses(kata_copy, *args: str) -> tuple[float, object, dict[str, tuple[str, str]]]:
    start = time.monotonic()
    run = kata_copy.pytest(
        "--progress-json",
        "out/progress.json",
        "-o",
        f"timeout={LIMIT}",
        *args,
        *(f"tests/test_{module}.py" for module in MODULES),
    )
    elapsed = time.monotonic() - start
    report = json.loads((kata_copy.path / "out" / "progress.json").read_text())
    return elapsed, run, {e["id"]: (e["status"], e["cause"]) for e in report["exercises"]}


@pytest.fixture(scope="module")
def clean_seconds(tmp_path_factory) -> float:
    """How long the same run takes with no fault: what a fault may add one time limit to."""
    from tests.tooling.conftest import copy_kata

    kata = copy_kata(tmp_path_factory.mktemp("clean"))
    kata.solve_all()
    return statuses(kata)[0]


@pytest.mark.parametrize(("fault", "isolated"), RUNS)
def test_a_fault_stays_in_its_own_exercise(kata_copy, clean_seconds, fault, isolated):
    kata_copy.solve_all()
    if fault.at_import:
        kata_copy.append_to_module("derivatives", fault.code)
    else:
        kata_copy.prepend_to_body("derivatives.quadratic", fault.code)
    elapsed, run, found = statuses(kata_copy, *([] if isolated else IN_PROCESS.split()))
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    expected_ids = [e.id for e in EXERCISES if e.module in MODULES]
    assert list(found) == expected_ids, output  # the report is complete, in course order
    for exercise_id in expected_ids:
        status, cause = found[exercise_id]
        if exercise_id in fault.victims:
            assert status == fault.status, (exercise_id, status, cause)
            assert re.search(fault.cause, cause), cause
            assert "\n" not in cause
        else:
            assert status == "solved", (exercise_id, status, cause)
    assert "INTERNALERROR" not in output and "Traceback" not in output, output
    assert f"autograd-kata: {len(expected_ids) - len(fault.victims)}/" in run.stdout  # the summary came
    assert elapsed < clean_seconds + LIMIT + 2.5, f"{elapsed:.1f} s against {clean_seconds:.1f} s without the fault"


def test_a_file_that_is_not_utf8_is_named_with_its_line(kata_copy):
    kata_copy.solve_all()
    path = kata_copy.path / "exercises" / "derivatives.py"
    path.write_bytes(path.read_bytes() + '\nGREETING = "café"  # as a Windows editor saves it\n'.encode("cp1252"))
    _, run, found = statuses(kata_copy)
    cause = found["derivatives.square"][1]
    assert found["derivatives.square"][0] == "error" and "Traceback" not in run.stdout
    assert re.search(r"exercises/derivatives.py:\d+ is not UTF-8 \(bytes e9 .*\): save the file as UTF-8", cause), cause
    assert found["partial_derivatives.lab_partials"][0] == "solved"
    assert kata_copy.pytest("--hint", "derivatives.square").returncode == 0  # the kata reads the file regardless


def test_a_syntax_error_in_a_module_the_exercise_imports_names_that_module(kata_copy):
    kata_copy.solve_all()
    (kata_copy.path / "exercises" / "helpers.py").write_text("def helper(:\n    pass\n", encoding="utf-8")
    kata_copy.append_to_module("derivatives", "from exercises import helpers")
    _, run, found = statuses(kata_copy)
    cause = found["derivatives.square"][1]
    assert cause == "cannot import exercises/derivatives.py: exercises/helpers.py:1: SyntaxError: invalid syntax", cause
    assert found["partial_derivatives.lab_partials"][0] == "solved"


def test_a_parallel_op_in_the_pytest_process_leaves_the_worker_able_to_run_one(kata_copy):
    """An OpenMP pool that a large op starts in the pytest process does not survive the fork: one more parallel op
    in the worker would hang, unless the worker runs its ops on one thread."""
    kata_copy.solve_all()
    big = "torch.randn(1200, 1200) @ torch.randn(1200, 1200)"
    with open(kata_copy.path / "tests" / "test_derivatives.py", "a", encoding="utf-8") as file:
        file.write(f"\n\n{big}  # collected, so run in the pytest process before the first fork\n")
    kata_copy.prepend_to_body("derivatives.square", big)
    elapsed, run, found = statuses(kata_copy)
    assert found["derivatives.square"] == ("solved", ""), run.stdout[-2000:]
    assert {status for status, _ in found.values()} == {"solved"}
