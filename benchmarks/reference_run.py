"""How much a full `pytest --reference` run costs beyond importing torch and pytest, which every run pays.

Paired and repeated: each round times the commands below back to back, in rotating order, so that a noisy
neighbour slows every side of a round alike. Prints the median of the per-round ratios; the kata's target
is <= 1.25 against the second floor below (<= 1.15 against `import torch, pytest` for --learner).

A second floor adds the modules torch >= 2.10 imports on first use of torch.func, torch.optim or
backward(gradient=...): torch._dynamo and sympy, about 2 s here. The course needs those calls (per-sample
gradients, SGD, vector-Jacobian products), so against that floor the ratio shows the kata's own cost.

Runs with bytecode caching on, as on a learner's machine, even where PYTHONDONTWRITEBYTECODE is set.

    python benchmarks/reference_run.py [--rounds 7] [--learner] [--against DIR] [--variant ARGS] [PYTEST_ARGS ...]

--learner times `pytest` on the pristine tree (a fresh clone's first run) instead of `pytest --reference`.
--variant ARGS also times the same run with ARGS added (say "-p no:tests.kata.isolation", the run without the
worker process), paired, and prints the ratio of the two.

--against DIR also times the same run in another checkout (say, a `git worktree` of the commit before a change),
paired with this one's, and prints the ratio of the two.

PYTEST_ARGS narrow the run, e.g. to the lab's three modules: tests/test_derivatives.py
tests/test_partial_derivatives.py tests/test_many_values.py.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "import torch, pytest": [sys.executable, "-c", "import torch, pytest"],
    "+ torch's lazy imports": [sys.executable, "-c", "import torch, pytest, torch._dynamo"],
}
RUN = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def seconds(command: list[str], cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    code = subprocess.run(command, cwd=cwd, env=ENVIRONMENT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if code.returncode not in (0, 1):  # 1: unsolved exercises, as on a fresh clone
        sys.exit(f"{' '.join(command)} exited {code.returncode}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--learner", action="store_true", help="time a fresh clone's `pytest` instead")
    parser.add_argument("--against", type=Path, help="another checkout to time the same run in, paired")
    parser.add_argument("--variant", help="pytest arguments to time the same run with too, paired")
    parser.add_argument("pytest_args", nargs="*", help="more arguments for the pytest --reference run")
    options = parser.parse_args()
    rounds = options.rounds
    label = "pytest" if options.learner else "pytest --reference"
    COMMANDS[label] = RUN + ([] if options.learner else ["--reference"]) + options.pytest_args
    places = {name: ROOT for name in COMMANDS}
    if options.against:
        COMMANDS["... in --against"] = COMMANDS[label]
        places["... in --against"] = options.against.resolve()
    if options.variant:
        COMMANDS["... with --variant"] = COMMANDS[label] + options.variant.split()
        places["... with --variant"] = ROOT
    for name, command in COMMANDS.items():
        seconds(command, places[name])  # warm the file cache and __pycache__ once, untimed
    names = list(COMMANDS)
    timings: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        for name in names[index % len(names) :] + names[: index % len(names)]:
            timings[name].append(seconds(COMMANDS[name], places[name]))
    run = timings[label]
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}")
    print(f"rounds: {rounds}; seconds, median (min)")
    for name in names:
        print(f"  {name:<24} {statistics.median(timings[name]):.2f} ({min(timings[name]):.2f})")
    for floor in [name for name in names if name != label]:
        ratios = [r / f for r, f in zip(run, timings[floor])]
        print(f"ratio to {floor:<24} median {statistics.median(ratios):.2f}  ({' '.join(f'{r:.2f}' for r in ratios)})")
    target = "1.15 to `import torch, pytest`" if options.learner else "1.25 to + torch's lazy imports"
    print(f"target: <= {target}")


if __name__ == "__main__":
    main()
