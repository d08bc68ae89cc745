"""Module 3, many values at once: the sum trick on the lab's grids, other sizes and dtypes, and near misses."""

import pytest
import torch

from tests.kata.checks import NearMiss, expect_call, random_tensor, rejects, slope_by_autograd, square, step


def grids() -> list[torch.Tensor]:
    """The lab's two grids, a seeded-random one, a float64 one (the dtype must carry through) and one point."""
    return [
        torch.linspace(-10, 10, 10),
        torch.linspace(-3, 3, 100),
        random_tensor(7, seed=7),
        random_tensor(5, seed=8, dtype=torch.float64),
        torch.tensor([0.0, -1.0, 0.5, 2.0]),
    ]


@pytest.mark.exercise("many_values.square_at")
def test_square_at(solution):
    for x in grids():
        expect_call(solution, (x,), 2 * x)


@pytest.mark.exercise("many_values.relu_at")
def test_relu_at(solution):
    for x in grids():
        expect_call(solution, (x,), (x > 0).to(x.dtype))


@pytest.mark.exercise("many_values.mean_square_gradient")
def test_mean_square_gradient(solution):
    for x in grids():
        expect_call(solution, (x,), 2 * x / len(x), likely={"the gradient of the sum, not of the mean": 2 * x})


CURVES = {square: lambda t: 2 * t, torch.relu: step, torch.sin: torch.cos}


@pytest.mark.exercise("many_values.curve")
def test_curve(solution):
    for f, derivative in CURVES.items():
        for x in grids():
            expect_call(solution, (f, x), (x.numpy(), f(x).numpy(), derivative(x).numpy()))


def curve_by(finish):
    return lambda f, x: slope_by_autograd(f, finish)(x)


square_at_near_misses = rejects(
    test_square_at,
    NearMiss("no-sum", slope_by_autograd(square, reduce=lambda y: y), "only for scalar outputs"),
    NearMiss("mean-not-sum", slope_by_autograd(square, reduce=torch.mean), "expected"),
    NearMiss("float32-always", lambda x: slope_by_autograd(square)(x.float()), "dtype"),
)
relu_at_near_misses = rejects(
    test_relu_at,
    NearMiss("by-hand", lambda x: (x > 0).to(x.dtype), "autograd never ran"),
    NearMiss("clamp-slope-1-at-0", slope_by_autograd(lambda t: t.clamp(min=0)), "expected"),
    NearMiss("keeps-shape-2d", lambda x: slope_by_autograd(torch.relu)(x).unsqueeze(1), "shape"),
)
mean_square_gradient_near_misses = rejects(
    test_mean_square_gradient,
    NearMiss("sum-not-mean", slope_by_autograd(square), "the gradient of the sum"),
    NearMiss("n-minus-1", lambda x: slope_by_autograd(square)(x) / (len(x) - 1), "expected"),
    NearMiss("returns-mean", slope_by_autograd(square, lambda x, y: y.mean().detach(), reduce=torch.mean), "shape"),
)
curve_near_misses = rejects(
    test_curve,
    NearMiss("tensors", curve_by(lambda x, y: (x.detach(), y.detach(), x.grad)), "expected a numpy array"),
    NearMiss("swapped", curve_by(lambda x, y: (x.detach().numpy(), x.grad.numpy(), y.detach().numpy())), "expected"),
    NearMiss("attached", curve_by(lambda x, y: (x.detach().numpy(), y, x.grad.numpy())), "numpy array"),
)
