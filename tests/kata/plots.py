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
import torch.nn.functional as F

from tests.kata.course import Exercise
from tests.kata.isolation import InWorkerError, in_own_process
from tests.kata.plugin import KATA
from tests.kata.solution import Solution, load

PLOTS_DIR = pytest.StashKey[Path]()
INSTALL = 'pip install ".[plots]"'
# Enough for smooth curves, few enough that calling a one-point exercise per point stays quick.
POINTS = 100

LEAK = 0.1  # steeper than leaky_relu's default 0.01, to see the slope left of 0
CUBIC = [0.0, -3.0, 0.0, 1.0]  # x³ − 3x, lowest degree first

Curve = Callable[[torch.Tensor], torch.Tensor]
Curves = tuple[torch.Tensor, ...]


def slope(f: Curve, x: torch.Tensor, order: int = 1) -> torch.Tensor:
    """The order-th derivative of an elementwise f at every point of x, by autograd here, not by an exercise."""
    x = x.detach().requires_grad_()
    y = f(x)
    for _ in range(order):
        (y,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    return y.detach()


# How to call an exercise for its curves on the grid x, by the exercise's signature.
def per_point(solution: Solution, f: Curve, x: torch.Tensor) -> Curves:
    """One float at a time: call it at every point of the grid."""
    return (torch.stack([torch.as_tensor(solution(float(point))) for point in x]),)


def on_grid(solution: Solution, f: Curve, x: torch.Tensor) -> Curves:
    return (solution(x),)


def of_f_on_leaf(solution: Solution, f: Curve, x: torch.Tensor) -> Curves:
    """For an exercise that wants points that already require grad."""
    return (solution(f, x.clone().requires_grad_()),)


def last_of_curve(solution: Solution, f: Curve, x: torch.Tensor) -> Curves:
    return solution(f, x)[2:]  # (x, f(x), f'(x)): f' is the exercise's


def leaky_relu_at_slope(solution: Solution, f: Curve, x: torch.Tensor) -> Curves:
    return (solution(x, LEAK),)


def by_its_backward(solution: Solution, f: Curve, x: torch.Tensor) -> Curves:
    """A custom autograd.Function: f' is what its own backward passes back to the points."""
    x = x.clone().requires_grad_()
    solution(x).sum().backward()
    return (x.grad,)


def autograd_then_second(solution: Solution, f: Curve, x: torch.Tensor) -> Curves:
    """f' by autograd here beside the exercise's f'', so that the plot shows all three."""
    return slope(f, x), solution(f, x)


def first_three_of_cubic(solution: Solution, f: Curve, x: torch.Tensor) -> Curves:
    return tuple(solution(CUBIC, x, n) for n in (1, 2, 3))


@dataclass(frozen=True)
class Plot:
    math: str  # f(x) as the title shows it
    f: Curve
    grid: tuple[float, float]
    curves: Callable[[Solution, Curve, torch.Tensor], Curves] = on_grid
    labels: tuple[str, ...] = ("f'",)  # one per curve the call returns; a prime means a derivative of f


# The 1-D exercises worth a picture. A new one is one line: "module.name": Plot("f(x)", f, (low, high), call).
PLOTS: dict[str, Plot] = {
    "derivatives.square": Plot("x²", lambda x: x**2, (-10, 10), per_point),
    "derivatives.quadratic": Plot("x² + 2x + 1", lambda x: x**2 + 2 * x + 1, (-10, 10), per_point),
    "derivatives.cubic": Plot("2x³ + x", lambda x: 2 * x**3 + x, (-3, 3), per_point),
    "many_values.square_at": Plot("x²", lambda x: x**2, (-10, 10)),
    "many_values.relu_at": Plot("ReLU(x)", torch.relu, (-3, 3)),
    "many_values.curve": Plot("sin x", torch.sin, (-2 * math.pi, 2 * math.pi), last_of_curve),
    "activations.tanh_at": Plot("tanh x", torch.tanh, (-4, 4)),
    "activations.softplus_at": Plot("softplus(x) = log(1 + eˣ)", F.softplus, (-6, 6)),
    "activations.leaky_relu_at": Plot(
        f"leaky ReLU(x), slope {LEAK} left of 0", lambda x: F.leaky_relu(x, LEAK), (-3, 3), leaky_relu_at_slope
    ),
    "activations.gelu_at": Plot("GELU(x) = x·Φ(x)", F.gelu, (-4, 4)),
    "activations.sigmoid_closed_form": Plot("σ(x) = 1 / (1 + e⁻ˣ)", torch.sigmoid, (-6, 6)),
    "chain_rule.sin_of_square_at": Plot("sin(x²)", lambda x: torch.sin(x**2), (-2.5, 2.5)),
    "chain_rule.gaussian_at": Plot("exp(−x²/2)", lambda x: torch.exp(-(x**2) / 2), (-4, 4)),
    "chain_rule.log_one_plus_exp_at": Plot("log(1 + eˣ)", lambda x: torch.log(1 + torch.exp(x)), (-6, 6)),
    "chain_rule.sin_of_square_parts": Plot(
        "sin(u), u = x²", lambda x: torch.sin(x**2), (-2.5, 2.5), lambda s, f, x: s(x), ("dy/du = cos(u)", "f' = dy/dx")
    ),
    "higher_order.first_derivative": Plot("x·sin x", lambda x: x * torch.sin(x), (-6, 6), of_f_on_leaf),
    "higher_order.second_derivative": Plot(
        "sin x", torch.sin, (-2 * math.pi, 2 * math.pi), autograd_then_second, ("f' (autograd)", "f''")
    ),
    "higher_order.nth_derivative": Plot(
        "x³ − 3x", lambda x: x**3 - 3 * x, (-2.5, 2.5), first_three_of_cubic, ("f'", "f''", "f'''")
    ),
    "custom_functions.Cube": Plot("x³", lambda x: x**3, (-2, 2), by_its_backward),
    # No grid point falls on the kinks at 0 and 1, where the exercise's slope and autograd's clamp's differ.
    "custom_functions.ClippedReLU": Plot("x clamped to [0, 1]", lambda x: x.clamp(0, 1), (-1.5, 2.5), by_its_backward),
}


def plotted(exercise: Exercise, package: str) -> dict[str, np.ndarray]:
    """The arrays one plot draws, as float64: "x", "f", then one per label as `package` computes them."""
    plot = PLOTS[exercise.id]
    x = torch.linspace(*plot.grid, POINTS)
    curves = plot.curves(load(exercise, package), plot.f, x)
    arrays = {"x": x, "f": plot.f(x), **dict(zip(plot.labels, curves, strict=True))}
    return {label: torch.as_tensor(values).detach().double().numpy() for label, values in arrays.items()}


def draw(exercise: Exercise, package: str, path: Path, curves: dict[str, np.ndarray]) -> None:
    from matplotlib.figure import Figure  # a bare Figure renders with Agg: no display, no pyplot state

    x = curves.pop("x")
    figure = Figure(figsize=(6.4, 4.2), layout="constrained")
    axes = figure.subplots()
    axes.axhline(0, color="0.8", linewidth=0.8)
    for label, values in curves.items():
        axes.plot(x, values, label=label)
    axes.set(title=f"f(x) = {PLOTS[exercise.id].math}", xlabel="x")
    axes.legend(title=f"{exercise.relpath(package)}: {exercise.name}", title_fontsize="small")
    figure.savefig(path)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("autograd-kata").addoption(
        "--plots",
        metavar="DIR",
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
    config.stash[PLOTS_DIR] = Path(directory)


@pytest.hookimpl(trylast=True)  # after the kata's progress summary
def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    directory = config.stash.get(PLOTS_DIR, None)
    kata = config.stash[KATA]
    if directory is None or not kata.progress.results:
        return
    write = terminalreporter.write_line
    plottable = [result for result in kata.progress.ran() if result.exercise.id in PLOTS]
    unsolved = [result.exercise.id for result in plottable if result.status != "solved"]
    drawn = 0
    for exercise in (result.exercise for result in plottable if result.status == "solved"):
        path = directory / f"{exercise.id}.png"  # as the learner wrote it; written where pytest started
        try:
            (config.invocation_params.dir / directory).mkdir(parents=True, exist_ok=True)
            curves = in_own_process(config, plotted, exercise, kata.package)  # learner code: not in this process
            draw(exercise, kata.package, config.invocation_params.dir / path, curves)
        except (Exception, pytest.fail.Exception) as error:  # a plot that fails must not spoil the run
            cause = str(error) if isinstance(error, InWorkerError) else f"{type(error).__name__}: {error}"
            write(f"plots: {exercise.id} not drawn: {cause}", red=True)
            continue
        drawn += 1
        write(f"plots: wrote {path}")
    skipped = f"; {len(unsolved)} skipped, solve them first: {', '.join(unsolved)}" if unsolved else ""
    write(f"plots: {drawn} of {len(plottable)} plottable exercises drawn into {directory}{skipped}")
