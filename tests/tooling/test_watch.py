"""`pytest --watch`, driven for real: a watcher process on a kata copy, real saves, real Ctrl-C."""

import codecs
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

WAITING = r"autograd-kata --watch: waiting for a save.*\n"
# The round's file line ("tests/test_derivatives.py ") is printed as its first test starts.
DERIVATIVES_STARTED = r"tests/test_derivatives\.py "
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="sends Ctrl-C as the terminal does: to a process group")


class WatchRun:
    """`pytest --watch ARGS` in its own process group on a kata copy, its output gathered as it comes."""

    def __init__(self, kata_copy, *args: str, environment: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pytest", "--watch", *args],
            cwd=kata_copy.path,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(environment or {})},
            start_new_session=True,
        )
        self.output = ""
        self.read_up_to = 0
        self.ended = False
        self.grew = threading.Condition()
        self.reader = threading.Thread(target=self.gather, daemon=True)
        self.reader.start()

    def gather(self) -> None:
        # Chunks, not lines: pytest prints a test file's name and waits for its tests before the newline.
        decoder = codecs.getincrementaldecoder("utf-8")()
        while chunk := os.read(self.process.stdout.fileno(), 65536):
            with self.grew:
                self.output += decoder.decode(chunk)
                self.grew.notify_all()
        with self.grew:
            self.ended = True
            self.grew.notify_all()

    def wait_for(self, pattern: str, timeout: float = 60) -> str:
        """The output from where the last wait stopped to the end of the next match of pattern."""
        deadline = time.monotonic() + timeout
        with self.grew:
            while not (match := re.compile(pattern).search(self.output, self.read_up_to)):
                if self.ended or time.monotonic() > deadline:
                    pytest.fail(f"no {pattern!r} within {timeout} s; the output:\n{self.output}")
                self.grew.wait(deadline - time.monotonic())
            text, self.read_up_to = self.output[self.read_up_to : match.end()], match.end()
            return text

    def next_round(self, timeout: float = 60) -> str:
        return self.wait_for(WAITING, timeout)

    def ctrl_c(self) -> tuple[int, str]:
        """Ctrl-C as a terminal sends it, to the watcher and its round: the exit code and the output after it."""
        os.killpg(self.process.pid, signal.SIGINT)
        code = self.process.wait(timeout=30)
        self.reader.join(timeout=10)
        text, self.read_up_to = self.output[self.read_up_to :], len(self.output)
        return code, text

    def __enter__(self) -> "WatchRun":
        return self

    def __exit__(self, *exc_info) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.reader.join(timeout=10)
        self.process.stdin.close()
        self.process.stdout.close()


def replace_exercise_file(kata_copy, module: str, text: str) -> None:
    """Save as editors that save safely do: write a temporary file, then rename it over the exercise."""
    target = kata_copy.path / "exercises" / f"{module}.py"
    temporary = target.with_name(f"{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, target)


def header(round_output: str) -> str:
    return round_output.strip().splitlines()[0]


@posix_only
def test_every_save_reruns_the_learner_code_fresh_and_ctrl_c_ends_cleanly(kata_copy):
    stub = (kata_copy.path / "exercises" / "derivatives.py").read_text(encoding="utf-8")
    with WatchRun(kata_copy) as run:
        first = run.next_round(timeout=120)
        assert re.search(r"autograd-kata: 0/\d+ solved", first), first
        assert "Next: derivatives.square (todo)" in first

        kata_copy.solve("derivatives.square")  # written in place, then twice more at once, as format-on-save does
        exercise_file = kata_copy.path / "exercises" / "derivatives.py"
        for _ in range(2):
            exercise_file.write_text(exercise_file.read_text(encoding="utf-8"), encoding="utf-8")
        solved = run.next_round()
        assert header(solved) == "autograd-kata --watch: exercises/derivatives.py changed"
        assert re.search(r"autograd-kata: 1/\d+ solved", solved), solved
        assert "Solved derivatives.square!" in solved  # the cache works across rounds
        assert "Next: derivatives.quadratic (todo)" in solved

        # Neither of these may start a round: the next round's header names only the exercise.
        (kata_copy.path / "exercises" / "notes.txt").write_text("d/dx x² = 2x\n", encoding="utf-8")
        (kata_copy.path / "exercises" / "__pycache__").mkdir(exist_ok=True)
        (kata_copy.path / "exercises" / "__pycache__" / "scratch.py").write_text("x = 1\n", encoding="utf-8")
        time.sleep(0.5)  # 25 of the watcher's 20 ms steps: time enough to start a round it should not
        replace_exercise_file(kata_copy, "derivatives", stub)
        unsolved = run.next_round()  # one round for the burst above, or this one would still say 1 solved
        assert header(unsolved) == "autograd-kata --watch: exercises/derivatives.py changed"
        assert re.search(r"autograd-kata: 0/\d+ solved", unsolved), unsolved

        code, after = run.ctrl_c()
    assert code == 0, after
    assert after.strip() == "autograd-kata --watch: stopped", after


@posix_only
def test_with_next_a_breakpoint_reads_the_terminal_and_ctrl_c_stops_a_hanging_round(kata_copy):
    with WatchRun(kata_copy, "--next") as run:
        first = run.next_round(timeout=120)
        assert "Next: derivatives.square (todo)" in first
        assert "test_quadratic" not in first

        kata_copy.solve("derivatives.square")
        solution = (kata_copy.path / "exercises" / "derivatives.py").read_text(encoding="utf-8")
        replace_exercise_file(kata_copy, "derivatives", solution + "\nbreakpoint()\n")
        run.wait_for(r"\(Pdb\) ")
        run.process.stdin.write(b"p 6 * 7\ncontinue\n")
        run.process.stdin.flush()
        run.wait_for(r"\b42\b")
        assert "Next: derivatives.quadratic (todo)" in run.next_round()

        replace_exercise_file(kata_copy, "derivatives", solution + "\nwhile True:\n    pass\n")
        run.wait_for(DERIVATIVES_STARTED)  # the round is stuck importing the file; its timeout is 5 s away
        code, after = run.ctrl_c()
    assert code == 0, after
    assert after.strip() == "autograd-kata --watch: stopped", after  # no TIMEOUT, no verdict: stopped at once


@posix_only
def test_with_reference_saves_in_reference_rerun_too_and_asserts_stay_rewritten(kata_copy):
    # The watcher imports the test modules ahead of the rounds: they must still get pytest's assert messages.
    (kata_copy.path / "tests" / "test_rewritten.py").write_text(
        "def test_it():\n    x = 1\n    assert x == 2\n", encoding="utf-8"
    )
    with WatchRun(kata_copy, "--reference", "tests/test_derivatives.py", "tests/test_rewritten.py") as run:
        first = run.next_round(timeout=120)
        assert re.search(r"autograd-kata: 3/\d+ solved", first), first
        reference = kata_copy.path / "reference" / "derivatives.py"
        reference.write_text(reference.read_text(encoding="utf-8") + "\n# saved again\n", encoding="utf-8")
        again = run.next_round()
        assert header(again) == "autograd-kata --watch: reference/derivatives.py changed"
        assert re.search(r"autograd-kata: 3/\d+ solved", again), again
        assert "E       assert 1 == 2" in again
        code, _ = run.ctrl_c()
    assert code == 0


def test_without_watchfiles_it_says_what_to_install(kata_copy):
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, pytest; sys.modules['watchfiles'] = None; sys.exit(pytest.main())",
            "-p",
            "no:cacheprovider",
            "--watch",
        ],
        cwd=kata_copy.path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == pytest.ExitCode.USAGE_ERROR
    assert run.stdout == 'pytest --watch needs watchfiles: pip install ".[watch]"\n'


@posix_only
def test_without_fork_a_round_is_a_new_process(kata_copy):
    # As on macOS and Windows: --watch passes on to the round's process, which must run once and end, not watch.
    with WatchRun(kata_copy, "--next", environment={"AUTOGRAD_KATA_NO_FORK": "1"}) as run:
        assert "Next: derivatives.square (todo)" in run.next_round(timeout=120)
        code, after = run.ctrl_c()
    assert code == 0, after


def test_the_watcher_never_imports_learner_code_ahead(kata_copy):
    # Against the kata's rule, this test module imports learner code: the watcher must leave it to the rounds.
    (kata_copy.path / "tests" / "test_leaky.py").write_text("import exercises.derivatives\n", encoding="utf-8")
    probe = (
        "import sys\nfrom tests.kata.watch import import_ahead\n"
        "import_ahead(['exercises.derivatives', 'reference.derivatives', 'tests.test_leaky', 'colorsys'])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('exercises', 'reference', 'tests.test_', 'colorsys'))))"
    )
    run = subprocess.run([sys.executable, "-c", probe], cwd=kata_copy.path, capture_output=True, text=True, timeout=120)
    assert run.stdout == "['colorsys']\n", run.stderr
