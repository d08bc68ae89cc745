"""Save-to-verdict latency: a fresh `pytest` process against a `pytest --watch` round.

Run from the repository with the venv's python: `python benchmarks/watch_latency.py [--saves N] [PYTEST_ARGS]`.
Each save alternates derivatives.square between solved and stub on a temporary copy of the kata, and the
latency runs from the save to the line `autograd-kata: k/N solved` showing the new verdict; for `pytest --next`
and for the whole `pytest`. Fresh runs and watch rounds alternate, on two copies, so that a change in the
machine's load weighs on both alike.
"""

import argparse
import os
import platform
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.tooling.conftest import KataCopy, copy_kata  # noqa: E402  (needs ROOT on the path)

EXERCISE = "derivatives.square"
WAITING = "autograd-kata --watch: waiting for a save"


class Output:
    """A process's output lines, each stamped with the moment it arrived."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: queue.Queue[tuple[float, str | None]] = queue.Queue()
        threading.Thread(target=self.read, args=(process,), daemon=True).start()

    def read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.lines.put((time.perf_counter(), line))
        self.lines.put((time.perf_counter(), None))

    def wait_for(self, pattern: str, timeout: float = 180) -> float:
        """When the next line matching pattern arrived."""
        while True:
            try:
                arrived, line = self.lines.get(timeout=timeout)
            except queue.Empty:
                sys.exit(f"no line matching {pattern!r} within {timeout} s")
            if line is None:
                sys.exit(f"the process ended before a line matching {pattern!r}")
            if re.search(pattern, line):
                return arrived


def start_pytest(kata: KataCopy, *args: str) -> tuple[subprocess.Popen, Output]:
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", *args],
        cwd=kata.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    return process, Output(process)


class Saves:
    """Saves that alternate the exercise between solved and stub, and the verdict each one should bring."""

    def __init__(self, kata: KataCopy) -> None:
        self.file = kata.path / "exercises" / f"{EXERCISE.split('.')[0]}.py"
        stub = self.file.read_text(encoding="utf-8")
        kata.solve(EXERCISE)
        self.texts = [self.file.read_text(encoding="utf-8"), stub]  # solved first: the copy starts as stub
        self.file.write_text(stub, encoding="utf-8")
        self.count = 0

    def save(self) -> str:
        """Save the next text; return the pattern of the verdict line it brings."""
        self.file.write_text(self.texts[self.count % 2], encoding="utf-8")
        self.count += 1
        return rf"autograd-kata: {self.count % 2}/\d+ solved"


def fresh_run(saves: Saves, kata: KataCopy, args: tuple[str, ...]) -> float:
    verdict = saves.save()
    saved = time.perf_counter()
    process, output = start_pytest(kata, *args)
    latency = output.wait_for(verdict) - saved
    process.wait(timeout=180)
    return latency


def watch_round(saves: Saves, output: Output) -> float:
    verdict = saves.save()
    saved = time.perf_counter()
    latency = output.wait_for(verdict) - saved
    output.wait_for(WAITING)  # the round is over: the next save starts the next one
    return latency


def measure(args: tuple[str, ...], saves_wanted: int, workspace: Path) -> tuple[list[float], list[float], float]:
    """Latencies of fresh runs and of watch rounds, and how long the watcher took to its first verdict."""
    fresh_kata, watch_kata = copy_kata(workspace / "fresh"), copy_kata(workspace / "watch")
    fresh_saves, watch_saves = Saves(fresh_kata), Saves(watch_kata)
    started = time.perf_counter()
    watcher, output = start_pytest(watch_kata, *args, "--watch")
    try:
        first_round = output.wait_for(WAITING) - started
        fresh, watched = [], []
        for _ in range(saves_wanted):
            fresh.append(fresh_run(fresh_saves, fresh_kata, args))
            watched.append(watch_round(watch_saves, output))
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)
    return fresh, watched, first_round


def machine() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = ", ".join(f"{name} {version(name)}" for name in ("torch", "pytest", "watchfiles"))
    return f"{cpus} CPUs, {platform.platform()}, Python {platform.python_version()}, {versions}"


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "load average unknown"


def row(label: str, latencies: list[float], note: str = "") -> str:
    spread = f"{statistics.median(latencies):>8.2f}{min(latencies):>8.2f}{max(latencies):>8.2f}"
    return f"{label:<32}{spread}   {note}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=5, help="saves measured each way (default 5)")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments for every run: test files, say")
    options = parser.parse_args()
    saves_wanted, more = options.saves, tuple(options.pytest_args)
    print(f"machine: {machine()}; {load()}", flush=True)
    print(f"save -> verdict line, {saves_wanted} saves each way, in seconds")
    print(f"{'':<32}{'median':>8}{'min':>8}{'max':>8}   first verdict of --watch")
    for args in (("--next", *more), more):
        command = " ".join(("pytest", *args[: len(args) - len(more)], *([f"[{len(more)} args]"] if more else [])))
        with tempfile.TemporaryDirectory() as workspace:
            fresh, watched, first_round = measure(args, saves_wanted, Path(workspace))
        print(row(f"{command}, fresh process", fresh))
        print(row(f"{command} --watch, round", watched, f"{first_round:.2f} s after start"))
        speedup = statistics.median(fresh) / statistics.median(watched)
        print(f"{'':<32}the watch round is {speedup:.1f}x faster (medians)", flush=True)
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
