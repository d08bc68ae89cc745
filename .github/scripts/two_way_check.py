"""The kata's own check, both ways: `pytest --reference --self-check` solves every exercise with every self-check
passing, and `pytest --self-check` on the pristine tree leaves every exercise todo, exits 1 for that alone, and
passes every self-check too. .ci/run and .github/workflows/maintainer.yml both run this, with the python that has
the kata installed:

    python .github/scripts/two_way_check.py [--summary PATH]

--summary writes {"passed": N, "failed": N, "todo": N} as JSON: the real checks that passed and failed, and the
pristine tree's expected todos, which are neither.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from kata_progress import unexpected

ROOT = Path(__file__).resolve().parents[2]


def pytest(work: Path, name: str, *args: str) -> tuple[int, dict, ET.Element]:
    """Run pytest in the checkout; its exit code, --progress-json report and JUnit suite."""
    report, junit = work / f"{name}.json", work / f"{name}.xml"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--self-check", *args]
    code = subprocess.run(
        [*command, "--progress-json", str(report), "--junitxml", str(junit)], cwd=ROOT, check=False
    ).returncode
    try:
        return code, json.loads(report.read_text()), ET.parse(junit).getroot().find("testsuite")
    except (OSError, ValueError, ET.ParseError) as error:
        sys.exit(f"two-way check: {name} run left no report ({error}); pytest exited {code}")


def counts(suite: ET.Element) -> tuple[int, int]:
    """(passed, failed) test cases of a JUnit suite; errors count as failures."""
    failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    return int(suite.get("tests", 0)) - int(suite.get("skipped", 0)) - failed, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summary", type=Path, help="write the counts of real checks here as JSON")
    options = parser.parse_args()
    problems = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        code, reference, suite = pytest(work, "reference", "--reference")
        passed, failed = counts(suite)
        problems += unexpected(reference, "solved")
        if code != 0 or failed:
            problems.append(f"::error::pytest --reference --self-check exited {code}, {failed} test(s) failing")

        code, learner, suite = pytest(work, "learner")
        learner_passed, learner_failed = counts(suite)
        problems += unexpected(learner, "todo")
        todos = sum(exercise["failed"] for exercise in learner["exercises"])
        if code != 1:
            problems.append(f"::error::pytest --self-check on the pristine tree exited {code}, expected 1")
        if learner_failed != todos:  # the expected exit 1 must not hide a self-check failing too
            problems.append(
                f"::error::pytest --self-check on the pristine tree: {learner_failed - todos} self-check(s) failed "
                "beside the exercises' expected todos"
            )
    real = {"passed": passed + learner_passed, "failed": failed + learner_failed - todos, "todo": todos}
    if options.summary:
        options.summary.write_text(json.dumps(real))
    print("\n".join(problems))
    print(
        f"two-way check: reference solves {reference['solved']}/{reference['total']}; pristine tree "
        f"{sum(e['status'] == 'todo' for e in learner['exercises'])}/{learner['total']} todo; "
        f"{real['passed']} checks passed, {real['failed']} failed"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
