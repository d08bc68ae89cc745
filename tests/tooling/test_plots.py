"""`pytest --plots DIR`: the arrays each plot draws, and real runs that write PNGs (pixels go unchecked)."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from tests.kata.course import BY_ID
from tests.kata.plots import PLOTS, POINTS, plotted, slope

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A PNG of the plots' size with axes and title but no curves is about 10 kB; a drawn plot 20 kB or more.
EMPTY_FIGURE_BYTES = 15_000
# Only the modules that have plots: a fresh process per run is slow enough without the rest of the course.
PLOTTED_TEST_FILES = sorted({f"tests/test_{BY_ID[exercise_id].module}.py" for exercise_id in PLOTS})


def test_every_plot_names_an_exercise_of_the_course():
    assert set(PLOTS) <= set(BY_ID), f"not in tests/course.py: {sorted(set(PLOTS) - set(BY_ID))}"


def test_the_lab_plots_are_the_closed_forms():
    for exercise_id in ("derivatives.square", "many_values.square_at"):
        curves = plotted(BY_ID[exercise_id], "reference")
        x = curves["x"]
        assert list(curves) == ["x", "f", "f'"]
        np.testing.assert_allclose(x, np.linspace(-10, 10, POINTS), atol=1e-6)
        np.testing.assert_allclose(curves["f"], x**2, rtol=1e-6)
        np.testing.assert_allclose(curves["f'"], 2 * x, rtol=1e-6)
    relu = plotted(BY_ID["many_values.relu_at"], "reference")
    np.testing.assert_allclose(relu["x"], np.linspace(-3, 3, POINTS), atol=1e-6)
    np.testing.assert_array_equal(relu["f"], np.maximum(relu["x"], 0))
    np.testing.assert_array_equal(relu["f'"], relu["x"] > 0)


def test_second_derivative_and_chain_rule_plots_are_the_closed_forms():
    sine = plotted(BY_ID["higher_order.second_derivative"], "reference")
    x = sine["x"]
    assert list(sine) == ["x", "f", "f' (autograd)", "f''"]
    np.testing.assert_allclose(sine["f' (autograd)"], np.cos(x), atol=1e-6)
    np.testing.assert_allclose(sine["f''"], -np.sin(x), atol=1e-6)
    parts = plotted(BY_ID["chain_rule.sin_of_square_parts"], "reference")
    x = parts["x"]
    np.testing.assert_allclose(parts["dy/du = cos(u)"], np.cos(x**2), atol=1e-6)
    np.testing.assert_allclose(parts["f' = dy/dx"], np.cos(x**2) * 2 * x, atol=1e-5)


def derivative_order(label: str) -> int:
    """2 for "f''" or "f'' (…)": how often a curve's label says f was differentiated; 0 for any other curve."""
    name = label.split(" ")[0]
    return len(name) - 1 if name.startswith("f'") and set(name[1:]) == {"'"} else 0


@pytest.mark.parametrize("exercise_id", PLOTS)
def test_each_plot_shows_the_derivatives_of_its_own_f(exercise_id):
    """The reference's f', f'', … on the grid are autograd's of the f the plot draws: the spec is right."""
    curves = plotted(BY_ID[exercise_id], "reference")
    x = torch.from_numpy(curves["x"])
    assert x.shape == curves["f"].shape == (POINTS,)
    derivatives = {label: order for label in curves if (order := derivative_order(label))}
    assert derivatives, f"{exercise_id} plots no f', f'', …"
    for label, order in derivatives.items():
        expected = slope(PLOTS[exercise_id].f, x, order).numpy()
        np.testing.assert_allclose(curves[label], expected, rtol=1e-4, atol=1e-4, err_msg=f"{exercise_id}: {label}")


def assert_plots(directory, exercise_ids) -> None:
    assert sorted(path.name for path in directory.iterdir()) == sorted(f"{name}.png" for name in exercise_ids)
    for exercise_id in exercise_ids:
        data = (directory / f"{exercise_id}.png").read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > EMPTY_FIGURE_BYTES, exercise_id


def test_reference_run_draws_every_plottable_exercise(kata_copy):
    run = kata_copy.pytest("--reference", "--plots", "plots", *PLOTTED_TEST_FILES)
    assert run.returncode == 0, run.stdout
    assert_plots(kata_copy.path / "plots", PLOTS)
    for exercise_id in PLOTS:
        assert f"plots: wrote plots/{exercise_id}.png\n" in run.stdout
    assert f"plots: {len(PLOTS)} of {len(PLOTS)} plottable exercises drawn into plots\n" in run.stdout
    assert "not drawn" not in run.stdout


def test_a_learner_gets_plots_of_what_they_solved_only(kata_copy):
    kata_copy.solve("many_values.relu_at")
    run = kata_copy.pytest("--plots", "plots", *PLOTTED_TEST_FILES)
    assert run.returncode == 1, run.stdout
    assert_plots(kata_copy.path / "plots", ["many_values.relu_at"])
    unsolved = ", ".join(exercise_id for exercise_id in PLOTS if exercise_id != "many_values.relu_at")
    summary = f"plots: 1 of {len(PLOTS)} plottable exercises drawn into plots; {len(PLOTS) - 1} skipped, "
    assert f"{summary}solve them first: {unsolved}\n" in run.stdout
    assert "not drawn" not in run.stdout  # the unsolved were not even tried


def test_a_plot_that_fails_is_reported_and_the_run_goes_on(kata_copy):
    # Right at every point the tests try, wrong far out on the plot's grid, as a learner's solution can be.
    with open(kata_copy.path / "exercises" / "derivatives.py", "a", encoding="utf-8") as file:
        file.write(
            "\n\ndef square(x):\n"
            "    if x < -9:\n        raise ValueError('not this far left')\n"
            "    x = torch.tensor(x, requires_grad=True)\n    (x**2).backward()\n    return x.grad\n"
        )
    kata_copy.solve("derivatives.cubic")
    run = kata_copy.pytest("--plots", "plots", *PLOTTED_TEST_FILES)
    assert "plots: derivatives.square not drawn: ValueError: not this far left" in run.stdout
    assert_plots(kata_copy.path / "plots", ["derivatives.cubic"])
    assert f"plots: 1 of {len(PLOTS)} plottable exercises drawn" in run.stdout
    assert "autograd-kata: 2/" in run.stdout  # the run itself counted both as solved


def test_without_matplotlib_the_option_says_how_to_install_it(kata_copy):
    hide_matplotlib = (
        "import sys; sys.modules['matplotlib'] = None; import pytest; "
        "sys.exit(pytest.main(['-p', 'no:cacheprovider', '--plots', 'plots']))"
    )
    run = subprocess.run(
        [sys.executable, "-c", hide_matplotlib],
        cwd=kata_copy.path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.stdout + run.stderr
    assert run.stderr.strip() == 'ERROR: --plots needs matplotlib, an optional extra: pip install ".[plots]"'
    assert "collected" not in run.stdout and not (kata_copy.path / "plots").exists()
