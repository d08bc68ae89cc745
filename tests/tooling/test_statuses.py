"""Statuses as a learner meets them, in a fresh process: todo, error, timeout, solved, and what the run says."""

import json


def statuses(kata_copy, *args: str) -> tuple[int, str, dict[str, str]]:
    run = kata_copy.pytest("--progress-json", "progress.json", *args)
    report = json.loads((kata_copy.path / "progress.json").read_text())
    return run.returncode, run.stdout, {e["id"]: e["status"] for e in report["exercises"]}


def test_fresh_clone_is_all_todo_on_one_screen(kata_copy):
    code, out, status = statuses(kata_copy)
    assert code == 1
    assert set(status.values()) == {"todo"}
    assert "Traceback" not in out and "Interrupted" not in out
    assert len(out.splitlines()) <= 50, out


def test_syntax_error_fails_only_its_own_module(kata_copy):
    (kata_copy.path / "exercises" / "partial_derivatives.py").write_text("def lab_partials(u, v:\n    pass\n")
    code, out, status = statuses(kata_copy)
    assert code == 1, out
    broken = {i: s for i, s in status.items() if i.startswith("partial_derivatives.")}
    assert set(broken.values()) == {"error"}
    assert {s for i, s in status.items() if i not in broken} == {"todo"}
    assert "exercises/partial_derivatives.py:1: SyntaxError: '(' was never closed" in out
    assert "errors during collection" not in out


def test_endless_loop_times_out_and_the_run_goes_on(kata_copy):
    kata_copy.replace_body("derivatives.quadratic", "while True:\n        pass")
    code, out, status = statuses(kata_copy, "-o", "timeout=1")
    assert code == 1
    assert status["derivatives.quadratic"] == "timeout"
    assert {s for i, s in status.items() if i != "derivatives.quadratic"} == {"todo"}
    assert "still running after 1 s, stopped at exercises/derivatives.py:" in out


def test_solving_points_at_the_reference_and_a_stuck_learner_at_the_hint(kata_copy):
    kata_copy.solve("derivatives.square")
    kata_copy.replace_body("derivatives.quadratic", "return torch.tensor(6.0)")
    first = kata_copy.pytest()
    assert (
        "Solved derivatives.square! Compare with the instructor's solution in reference/derivatives.py:" in first.stdout
    )
    assert "Work on it alone: `pytest --next`" in first.stdout and "Failed twice" not in first.stdout
    second = kata_copy.pytest()
    assert "Solved derivatives.square!" not in second.stdout
    assert "Failed twice in a row: `pytest --hint` shows a hint." in second.stdout
    assert "Same recipe as square" not in second.stdout  # the hint itself only when asked
