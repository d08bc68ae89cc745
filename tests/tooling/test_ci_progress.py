"""The GitHub Actions helper on real --progress-json reports: annotations for a learner, checks for upstream."""

import json
import subprocess
import sys

from tests.kata.course import ROOT

SCRIPT = ROOT / ".github" / "scripts" / "kata_progress.py"
sys.path.insert(0, str(SCRIPT.parent))
from kata_progress import unexpected  # noqa: E402  (the scripts folder is not a package)


def kata_progress(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_a_learner_sees_causes_on_their_lines_and_upstream_rejects_solutions(kata_copy):
    kata_copy.solve("derivatives.square")
    kata_copy.replace_body("derivatives.quadratic", "return torch.tensor(6.0)")
    kata_copy.pytest("--progress-json", "progress.json", "tests/test_derivatives.py")
    annotated = kata_progress("annotate", "progress.json", cwd=kata_copy.path)
    assert annotated.returncode == 0
    errors = [line for line in annotated.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1
    line = kata_copy.line("derivatives.quadratic")
    assert errors[0].startswith(
        f"::error file=exercises/derivatives.py,line={line},title=derivatives.quadratic%3A failed::"
    )
    assert "quadratic(2.0): the value is right, but autograd never ran" in errors[0]
    assert "::notice" not in annotated.stdout  # the next exercise is the failing one, already marked
    upstream = unexpected(json.loads((kata_copy.path / "progress.json").read_text()), "todo")
    assert any("derivatives.square is solved: solutions don't belong upstream" in line for line in upstream)


def test_a_fresh_fork_gets_one_notice_on_the_first_exercise(kata_copy):
    kata_copy.pytest("--progress-json", "progress.json", "tests/test_derivatives.py")
    annotated = kata_progress("annotate", "progress.json", cwd=kata_copy.path)
    assert "::error" not in annotated.stdout
    line = kata_copy.line("derivatives.square")
    notice = f"::notice file=exercises/derivatives.py,line={line},title=Next%3A derivatives.square::"
    assert annotated.stdout.startswith(notice)
