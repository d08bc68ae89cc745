"""`pytest --plots DIR`: after the run, each solved 1-D exercise drawn as the lab draws it, f beside f'.

The derivatives come from the learner's own solutions (or with --reference from reference/); f itself is
computed here. matplotlib is an optional extra, imported only when --plots is given.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.kata.course import Exercise
from tests.kata.plugin import KATA
from tests.kata.solution import Solution, load

PLOTS_DIR = pytest.StashKey[Path]()
INSTALL = 'pip install ".[plots]"'
# Enough for smooth curves, few enough that calling a one-point exercise per point stays quick.
POINTS = 100


def per_point(solution: Solution, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """f' from an exercise that takes one float: call it at every point of the grid."""
    return (torch.stack([torch.as_tensor(solution(float(point))) for point in x]),)


def on_grid(solution: Solution, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """f' from an exercise that takes the tensor of points."""
    return (solution(x),)


@dataclass(frozen=True)
class Plot:
    math: str  # f(x) as the title shows it
    f: Callable[[torch.Tensor], torch.Tensor]
    grid: tuple[float, float]
    # The exercise's derivatives on the grid: (f',) or (f', f'').
    derivatives: Callable[[Solution, torch.Tensor], tuple[torch.Tensor, ...]] = on_grid


# The 1-D exercises worth a picture. A new one is one line: "module.name": Plot("f(x)", f, (low, high), call).
PLOTS: dict[str, Plot] = {
    "derivatives.square": Plot("x²", lambda x: x**2, (-10, 10), per_point),
    "derivatives.quadratic": Plot("x² + 2x + 1", lambda x: x**2 + 2 * x + 1, (-10, 10), per_point),
    "derivatives.cubic": Plot("2x³ + x", lambda x: 2 * x**3 + x, (-3, 3), per_point),
    "many_values.square_at": Plot("x²", lambda x: x**2, (-10, 10)),
    "many_values.relu_at": Plot("ReLU(x)", torch.relu, (-3, 3)),
    "many_values.curve": Plot(
        "sin x", torch.sin, (-2 * math.pi, 2 * math.pi), lambda solution, x: (solution(torch.sin, x)[2],)
    ),
}


def plotted(exercise: Exercise, package: str) -> dict[str, np.ndarray]:
    """The arrays one plot draws, as float64: "x", "f", then "f'" (and "f''") as `package` computes them."""
    plot = PLOTS[exercise.id]
    x = torch.linspace(*plot.grid, POINTS)
    derivatives = plot.derivatives(load(exercise, package), x)
    curves = {"x": x, "f": plot.f(x), **{"f" + "'" * order: d for order, d in enumerate(derivatives, 1)}}
    return {label: torch.as_tensor(values).detach().double().numpy() for label, values in curves.items()}


def draw(exercise: Exercise, package: str, path: Path) -> None:
    from matplotlib.figure import Figure  # a bare Figure renders with Agg: no display, no pyplot state

    curves = plotted(exercise, package)
    x = curves.pop("x")
    figure = Figure(figsize=(6.4, 4.2), layout="constrained")
    axes = figure.subplots()
    axes.axhline(0, color="0.8", linewidth=0.8)
    for label, values in curves.items():
        axes.plot(x, values, label=label)
    axes.set(title=f"f(x) = {PLOTS[exercise.id].math}", xlabel="x")
    axes.legend(title=f"f' by {exercise.relpath(package)}: {exercise.name}", title_fontsize="small")
    figure.savefig(path)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("autograd-kata").addoption(
        "--plots", metavar="DIR",
        help=f"after the run, draw each solved 1-D exercise and its derivative into DIR/<id>.png ({INSTALL})",
    )


def pytest_cmdline_main(config: pytest.Config) -> None:
    """Say at once, in one line, when the optional extra is missing, rather than after the whole run."""
    directory = config.getoption("plots")
    if directory is None:
        return
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise pytest.UsageError(f"--plots needs matplotlib, an optional extra: {INSTALL}") from None
    config.stash[PLOTS_DIR] = Path(config.invocation_params.dir, directory)


@pytest.hookimpl(trylast=True)  # after the kata's progress summary
def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    directory = config.stash.get(PLOTS_DIR, None)
    kata = config.stash[KATA]
    if directory is None or not kata.progress.results:
        return
    write = terminalreporter.write_line
    plottable = [result for result in kata.progress.ran() if result.exercise.id in PLOTS]
    drawn, unsolved = [], []
    for result in plottable:
        exercise = result.exercise
        if result.status != "solved":
            unsolved.append(exercise.id)
            continue
        path = directory / f"{exercise.id}.png"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            draw(exercise, kata.package, path)
        except (Exception, pytest.fail.Exception) as error:  # a plot that fails must not spoil the run
            write(f"plots: {exercise.id} not drawn: {type(error).__name__}: {error}", red=True)
            continue
        drawn.append(exercise.id)
        write(f"plots: wrote {path}")
    skipped = f"; skipped (solve it first): {', '.join(unsolved)}" if unsolved else ""
    write(f"plots: {len(drawn)} of {len(plottable)} plottable exercises drawn into {directory}{skipped}")

