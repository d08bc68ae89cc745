"""Module 1, derivatives: each at the lab's point, others and seeded-random ones, and the near misses it rejects."""

from collections.abc import Callable

import pytest
import torch

from tests.kata.checks import (
    NearMiss,
    beside_backward,
    derivative_by_autograd,
    expect_call,
    expect_same_again,
    points,
    rejects,
    scalar,
)


def expect_derivative(solution, slope, y, wrong: dict[str, Callable], *fixed: float, lab: float, seed: int) -> None:
    """slope(x) at the fixed points, then seeded-random ones; `wrong` maps a cause to the slope that mistake gives."""
    for index, x in enumerate(points(*fixed, seed=seed)):
        likely = {cause: scalar(mistake(x)) for cause, mistake in wrong.items()}
        likely["y itself, not its slope dy/dx: return x.grad after y.backward()"] = scalar(y(x))
        likely[f"the lab's answer at x = {lab}, typed in: differentiate at the x given"] = scalar(slope(lab))
        expect_call(solution, (x,), scalar(slope(x)), likely=likely)
        if index == 0:
            expect_same_again(solution, (x,))


@pytest.mark.exercise("derivatives.square")
def test_square(solution):
    expect_derivative(solution, lambda x: 2 * x, lambda x: x**2, {}, -1.5, 2.0, 0.0, 0.01, lab=2.0, seed=1)


@pytest.mark.exercise("derivatives.quadratic")
def test_quadratic(solution):
    wrong = {"2x, the slope of x² (+ 1): the 2x term's slope 2 is missing": lambda x: 2 * x}
    expect_derivative(solution, lambda x: 2 * x + 2, lambda x: x**2 + 2 * x + 1, wrong, 2.0, -1.0, 0.5, lab=2.0, seed=2)


@pytest.mark.exercise("derivatives.cubic")
def test_cubic(solution):
    wrong = {
        "6x², the slope of 2x³ alone: the x term's slope 1 is missing": lambda x: 6 * x**2,
        "4x + 1, the slope of 2x² + x: y = 2x³ + x has x cubed": lambda x: 4 * x + 1,
    }
    expect_derivative(solution, lambda x: 6 * x**2 + 1, lambda x: 2 * x**3 + x, wrong, 1.0, -2.0, 0.0, lab=1.0, seed=3)


def square_on_one_leaf_never_zeroed():
    leaf = torch.tensor(0.0, requires_grad=True)

    def square(x):
        with torch.no_grad():
            leaf.fill_(x)
        (leaf**2).backward()
        return leaf.grad.clone()

    return square


def y_after_backward(f):
    """A learner-style solution that runs y.backward() and then returns y, detached, instead of x.grad."""

    def solve(x):
        x = torch.tensor(x, requires_grad=True)
        y = f(x)
        y.backward()
        return y.detach()

    return solve


def jvp_of(f):
    """A learner-style forward-mode solution with torch.func.jvp, whose tangent it returns as it comes."""

    def solve(x):
        point = torch.tensor(x)
        return torch.func.jvp(f, (point,), (torch.ones_like(point),))[1]

    return solve


square_near_misses = rejects(
    test_square,
    NearMiss("lab-constant", lambda x: torch.tensor(4.0), "the lab's answer at x = 2.0, typed in"),
    NearMiss("by-hand", lambda x: torch.tensor(2 * x), "autograd never ran"),
    NearMiss("closed-form-beside-backward", beside_backward(lambda x: torch.tensor(2 * x)), "autograd did not make"),
    NearMiss("returns-y", lambda x: torch.tensor(x, requires_grad=True) ** 2, "attached to the graph"),
    NearMiss("returns-y-detached", y_after_backward(lambda t: t**2), "y itself, not its slope"),
    NearMiss("returns-float", lambda x: derivative_by_autograd(lambda t: t**2)(x).item(), "got float"),
    NearMiss("no-zero-grad", square_on_one_leaf_never_zeroed(), "called twice.*make the leaf afresh"),
    NearMiss("float64", lambda x: derivative_by_autograd(lambda t: t**2)(x).double(), r"\.double\(\)"),
    NearMiss("func-jvp-float64", jvp_of(lambda t: 2.0 * t * t / 2.0), r"torch\.func\.jvp.*\.float\(\) undoes"),
)
quadratic_near_misses = rejects(
    test_quadratic,
    NearMiss("lab-constant", lambda x: torch.tensor(6.0), "autograd never ran"),
    NearMiss("closed-form-beside-backward", beside_backward(lambda x: torch.tensor(2 * x + 2)), "did not make it"),
    NearMiss("dropped-term", derivative_by_autograd(lambda x: x**2 + 1), "the 2x term's slope 2 is missing"),
    NearMiss("returns-y-detached", y_after_backward(lambda t: t**2 + 2 * t + 1), "y itself, not its slope"),
    NearMiss("no-grad-set", lambda x: torch.tensor(x).grad, "got None"),
)
cubic_near_misses = rejects(
    test_cubic,
    NearMiss("lab-constant", lambda x: torch.tensor(7.0), "autograd never ran"),
    NearMiss("closed-form-beside-backward", beside_backward(lambda x: torch.tensor(6 * x**2 + 1)), "did not make"),
    NearMiss("dropped-term", derivative_by_autograd(lambda x: 2 * x**3), "the x term's slope 1 is missing"),
    NearMiss("off-by-one-exponent", derivative_by_autograd(lambda x: 2 * x**2 + x), "has x cubed"),
    NearMiss("sign-flip", derivative_by_autograd(lambda x: -(2 * x**3 + x)), "sign is flipped"),
    NearMiss("float64", lambda x: derivative_by_autograd(lambda t: 2 * t**3 + t)(x).double(), r"\.double\(\)"),
)
