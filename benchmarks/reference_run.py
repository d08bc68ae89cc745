"""How much a full `pytest --reference` run costs beyond importing torch and pytest, which every run pays.

Paired and repeated: each round times `python -c "import torch, pytest"` and the full reference run back to
back, in alternating order, so that a noisy neighbour slows both sides of a pair alike. Prints the median of
the per-round ratios; the kata's target is <= 1.25.

    python benchmarks/reference_run.py [--rounds 7]
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
BASELINE = [sys.executable, "-c", "import torch, pytest"]
REFERENCE_RUN = [sys.executable, "-m", "pytest", "--reference", "-q", "-p", "no:cacheprovider"]


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    seconds(REFERENCE_RUN)  # warm the file cache and __pycache__ once, untimed
    pairs = []
    for index in range(rounds):
        commands = (BASELINE, REFERENCE_RUN) if index % 2 == 0 else (REFERENCE_RUN, BASELINE)
        timed = {tuple(command): seconds(command) for command in commands}
        pairs.append((timed[tuple(BASELINE)], timed[tuple(REFERENCE_RUN)]))
    baseline, reference = zip(*pairs)
    ratios = [run / base for base, run in pairs]
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}")
    print(f"rounds: {rounds}")
    print(f"import torch, pytest : median {statistics.median(baseline):.2f} s (min {min(baseline):.2f})")
    print(f"pytest --reference   : median {statistics.median(reference):.2f} s (min {min(reference):.2f})")
    print(f"ratio per round      : {' '.join(f'{r:.2f}' for r in ratios)}")
    print(f"median ratio         : {statistics.median(ratios):.2f} (target <= 1.25)")


if __name__ == "__main__":
    main()
