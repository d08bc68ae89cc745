"""Module 3, many values at once: the sum trick on the lab's grids, other sizes and dtypes, and near misses."""

import pytest
import torch

from tests.kata.checks import (
    MEAN,
    NearMiss,
    beside_backward,
    expect_call,
    passes,
    random_tensor,
    rejects,
    slope_by_autograd,
    square,
    step,
)

SUM_TRICK = (
    "this exercise is about the sum trick: one y.sum().backward() gives every point's slope at once "
    "(not a pass per point, not forward mode)"
)


def grids() -> list[torch.Tensor]:
    """The lab's grids (x² on linspace(-10, 10, 10), ReLU on linspace(-10, 10, 1000)), seeded-random points, and
    the kink 0 with a point just right of it, in float32 and float64 (the dtype must carry through)."""
    return [
        torch.linspace(-10, 10, 10),
        torch.linspace(-10, 10, 1000),
        random_tensor(7, seed=7),
        random_tensor(5, seed=8, dtype=torch.float64),
        torch.tensor([0.0, -1.0, 0.5, 2.0]),
        torch.tensor([-2.0, 1e-3, 0.0, 3.0], dtype=torch.float64),
    ]


@pytest.mark.exercise("many_values.square_at")
def test_square_at(solution):
    for x in grids():
        expect_call(
            solution,
            (x,),
            2 * x,
            mechanics=(passes(1, SUM_TRICK),),
            likely={MEAN: 2 * x / len(x), "y = x² itself, not its slope: return x.grad": x**2},
        )


def relu_slope_at_0(slope: float, spelled: str):
    return f"slope {slope} at the kink 0: {spelled} differentiates the kink otherwise; differentiate torch.relu"


@pytest.mark.exercise("many_values.relu_at")
def test_relu_at(solution):
    for x in grids():
        expect_call(
            solution,
            (x,),
            step(x),
            likely={
                relu_slope_at_0(1.0, "x.clamp(min=0) or torch.where(x >= 0, x, 0)"): (x >= 0).to(x.dtype),
                relu_slope_at_0(0.5, "torch.maximum(x, 0) or (x + |x|) / 2"): step(x) + 0.5 * (x == 0),
                "ReLU(x) itself, not its slope: return x.grad": torch.relu(x),
                MEAN: step(x) / len(x),
            },
        )


@pytest.mark.exercise("many_values.mean_square_gradient")
def test_mean_square_gradient(solution):
    for x in grids():
        n = len(x)
        expect_call(
            solution,
            (x,),
            2 * x / n,
            atol=1e-7,  # slopes shrink with n: at n = 1000 a fixed 1e-5 is 0.05% of the largest
            likely={
                "2x, the gradient of the sum of squares, not of their mean": 2 * x,
                "divided by n - 1, not n: the mean divides by the number of points": 2 * x / (n - 1),
                "divided by n twice: torch.mean already divides the gradient by n": 2 * x / n**2,
            },
        )


CURVES = {square: lambda t: 2 * t, torch.relu: step, torch.sin: torch.cos}


@pytest.mark.exercise("many_values.curve")
def test_curve(solution):
    for f, derivative in CURVES.items():
        for x in grids():
            expected = (x.numpy(), f(x).numpy(), derivative(x).numpy())
            expect_call(
                solution,
                (f, x),
                expected,
                likely={
                    "f(x) and f'(x) swapped: return (x, f(x), f'(x))": (expected[0], expected[2], expected[1]),
                    MEAN: (expected[0], expected[1], expected[2] / len(x)),
                },
            )


def curve_by(finish):
    return lambda f, x: slope_by_autograd(f, finish)(x)


def slope_per_point(f):
    """Skips the sum trick: a backward() pass for each point."""

    def solve(x):
        slopes = []
        for value in x:
            point = value.clone().requires_grad_()
            f(point).backward()
            slopes.append(point.grad)
        return torch.stack(slopes)

    return solve


def vmap_of_grad(f):
    """Skips the sum trick: torch.func.grad at each point, vectorized by vmap: no scalar sum needed."""
    return lambda x: torch.func.vmap(torch.func.grad(f))(x)


def forward_mode(f):
    """Skips the sum trick: forward mode with tangent ones needs no scalar at all."""

    def solve(x):
        return torch.func.jvp(f, (x,), (torch.ones_like(x),))[1]

    return solve


def on_the_callers_x(f):
    """Makes the caller's own tensor require grad, and leaves its .grad set."""

    def solve(x):
        x.requires_grad_()
        f(x).sum().backward()
        return x.grad.clone()

    return solve


def jacobian_diagonal(f):
    """Skips the sum trick: the whole Jacobian by torch.func.jacrev (vmap over seeds, one a point), its diagonal."""
    return lambda x: torch.func.jacrev(f)(x).diagonal().clone()


def central_difference(f, x, h=1e-6):
    wide = x.double()
    return ((f(wide + h) - f(wide - h)) / (2 * h)).to(x.dtype)


def curve_by_differences(f, x):
    """f' by central differences, beside a backward() of f that it does not use."""
    t = x.clone().requires_grad_()
    y = f(t)
    y.sum().backward()
    return x.numpy(), y.detach().numpy(), central_difference(f, x).numpy()


square_at_near_misses = rejects(
    test_square_at,
    NearMiss("no-sum", slope_by_autograd(square, reduce=lambda y: y), "only for scalar outputs"),
    NearMiss("mean-not-sum", slope_by_autograd(square, reduce=torch.mean), "divided by n"),
    NearMiss("float32-always", lambda x: slope_by_autograd(square)(x.float()), "x.clone\\(\\) keeps x's dtype"),
    NearMiss("returns-y", slope_by_autograd(square, lambda x, y: y.detach()), "itself, not its slope"),
    NearMiss("pass-per-point", slope_per_point(square), "ran 10 backward.*the sum trick"),
    NearMiss("jacrev-diagonal", jacobian_diagonal(square), "built the whole Jacobian"),
    NearMiss(
        "jacobian-vectorized-diagonal",
        lambda x: torch.autograd.functional.jacobian(square, x, vectorize=True).diagonal().clone(),
        "built the whole Jacobian",
    ),
    NearMiss("vmap-of-grad", vmap_of_grad(square), "a pass per point, vectorized"),
    NearMiss("forward-mode", forward_mode(square), "dual number; this exercise is about the sum trick"),
    NearMiss("closed-form-beside-backward", beside_backward(lambda x: 2 * x), "autograd did not make it"),
    NearMiss("callers-x", on_the_callers_x(square), "changed the caller's x: requires_grad False -> True"),
)
relu_at_near_misses = rejects(
    test_relu_at,
    NearMiss("by-hand", lambda x: (x > 0).to(x.dtype), "autograd never ran"),
    NearMiss("where-slope-1-at-0", slope_by_autograd(lambda t: torch.where(t >= 0, t, 0.0)), "slope 1.0 at the kink"),
    NearMiss("maximum-slope-half-at-0", slope_by_autograd(lambda t: torch.maximum(t, 0 * t)), "slope 0.5 at the kink"),
    NearMiss("abs-slope-half-at-0", slope_by_autograd(lambda t: (t + t.abs()) / 2), "slope 0.5 at the kink"),
    NearMiss("keeps-shape-2d", lambda x: slope_by_autograd(torch.relu)(x).unsqueeze(1), "shape"),
    NearMiss("returns-relu", slope_by_autograd(torch.relu, lambda x, y: y.detach()), r"ReLU\(x\) itself"),
    NearMiss("closed-form-beside-backward", beside_backward(step), "autograd did not make it"),
    NearMiss("float32-always", lambda x: slope_by_autograd(torch.relu)(x.float()), "keeps x's dtype"),
)
mean_square_gradient_near_misses = rejects(
    test_mean_square_gradient,
    NearMiss("sum-not-mean", slope_by_autograd(square), "the gradient of the sum"),
    NearMiss("n-minus-1", lambda x: slope_by_autograd(square)(x) / (len(x) - 1), "divided by n - 1"),
    NearMiss("mean-then-divide", lambda x: slope_by_autograd(square, reduce=torch.mean)(x) / len(x), "n twice"),
    NearMiss("returns-mean", slope_by_autograd(square, lambda x, y: y.mean().detach(), reduce=torch.mean), "shape"),
    NearMiss("closed-form-beside-backward", beside_backward(lambda x: 2 * x / len(x)), "autograd did not make it"),
    NearMiss("float32-always", lambda x: slope_by_autograd(square, reduce=torch.mean)(x.float()), "keeps x's dtype"),
)
curve_near_misses = rejects(
    test_curve,
    NearMiss("tensors", curve_by(lambda x, y: (x.detach(), y.detach(), x.grad)), "expected a numpy array"),
    NearMiss(
        "swapped",
        curve_by(lambda x, y: (x.detach().numpy(), x.grad.numpy(), y.detach().numpy())),
        "f\\(x\\) and f'\\(x\\) swapped",
    ),
    NearMiss("attached", curve_by(lambda x, y: (x.detach().numpy(), y, x.grad.numpy())), "expected a numpy array"),
    NearMiss("differences-beside-backward", curve_by_differences, "autograd did not make it"),
    NearMiss(
        "differences",
        lambda f, x: (x.numpy(), f(x).numpy(), central_difference(f, x).numpy()),
        "autograd never ran",
    ),
    NearMiss(
        "float32-always",
        lambda f, x: curve_by(lambda x, y: (x.detach().numpy(), y.detach().numpy(), x.grad.numpy()))(f, x.float()),
        "keeps x's dtype",
    ),
)
