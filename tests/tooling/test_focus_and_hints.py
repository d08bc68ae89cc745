"""--next, --hint, the solved message and the progress table, driven in a fresh process on a copy of the kata."""

import json


def test_next_shows_the_first_unsolved_exercise_and_fails(kata_copy):
    kata_copy.solve("derivatives.square")
    run = kata_copy.pytest("--next")
    assert run.returncode == 1, run.stdout
    assert "Next: derivatives.quadratic (todo) at exercises/derivatives.py:" in run.stdout
    assert "dy/dx of y = x² + 2x + 1" in run.stdout
    assert "Interrupted" not in run.stdout
    assert "test_cubic" not in run.stdout and "partial_derivatives" not in run.stdout


def test_next_exits_0_when_everything_is_solved(kata_copy):
    run = kata_copy.pytest("--next", "--reference")
    assert run.returncode == 0, run.stdout
    assert "Every exercise is solved." in run.stdout


def test_hint_for_the_next_exercise(kata_copy):
    kata_copy.solve("derivatives.square")
    run = kata_copy.pytest("--hint")
    assert run.returncode == 1
    assert "Hint: Same recipe as square" in run.stdout


def test_hint_for_a_named_exercise_runs_nothing(kata_copy):
    run = kata_copy.pytest("--hint", "many_values.relu_at")
    assert run.returncode == 0
    assert "Hint for many_values.relu_at (exercises/many_values.py:" in run.stdout
    assert "ReLU's slope at exactly 0" in run.stdout
    assert "collected" not in run.stdout


def test_unknown_hint_id_is_a_usage_error(kata_copy):
    run = kata_copy.pytest("--hint", "derivatives.nope")
    assert run.returncode == 4
    assert "No exercise 'derivatives.nope'" in run.stdout


def test_progress_json_and_markdown_from_a_real_run(kata_copy):
    kata_copy.solve("derivatives.square")
    run = kata_copy.pytest("--progress-json", "progress.json", "--progress-md", "summary.md")
    assert run.returncode == 1
    report = json.loads((kata_copy.path / "progress.json").read_text())
    assert report["mode"] == "exercises" and report["solved"] == 1
    first = report["exercises"][0]
    assert first == {
        "id": "derivatives.square",
        "module": "derivatives",
        "file": "exercises/derivatives.py",
        "line": first["line"],
        "status": "solved",
        "passed": 1,
        "failed": 0,
        "cause": "",
    }
    assert {e["status"] for e in report["exercises"][1:]} == {"todo"}
    table = (kata_copy.path / "summary.md").read_text()
    assert "| derivatives | 1/3 | ✅ `square` ⬜ `quadratic` ⬜ `cubic` |" in table
