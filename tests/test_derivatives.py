"""Module 1, derivatives: each at the lab's point and at seeded-random ones, and the near misses it rejects."""

import pytest
import torch

from tests.kata.checks import NearMiss, derivative_by_autograd, expect_call, points, rejects, scalar


def expect_derivative(solution, derivative, *fixed: float, seed: int) -> None:
    for x in points(*fixed, seed=seed):
        expect_call(solution, (x,), scalar(derivative(x)))


@pytest.mark.exercise("derivatives.square")
def test_square(solution):
    expect_derivative(solution, lambda x: 2 * x, 2.0, -1.5, 0.0, seed=1)


@pytest.mark.exercise("derivatives.quadratic")
def test_quadratic(solution):
    expect_derivative(solution, lambda x: 2 * x + 2, 2.0, -1.0, 0.5, seed=2)


@pytest.mark.exercise("derivatives.cubic")
def test_cubic(solution):
    expect_derivative(solution, lambda x: 6 * x**2 + 1, 1.0, -2.0, 0.0, seed=3)


def square_on_one_leaf_never_zeroed():
    leaf = torch.tensor(0.0, requires_grad=True)

    def square(x):
        with torch.no_grad():
            leaf.fill_(x)
        (leaf**2).backward()
        return leaf.grad.clone()

    return square


square_near_misses = rejects(
    test_square,
    NearMiss("lab-constant", lambda x: torch.tensor(4.0), "autograd never ran"),
    NearMiss("by-hand", lambda x: torch.tensor(2 * x), "autograd never ran"),
    NearMiss("returns-y", lambda x: torch.tensor(x, requires_grad=True) ** 2, "attached to the graph"),
    NearMiss("returns-float", lambda x: derivative_by_autograd(lambda t: t**2)(x).item(), "got float"),
    NearMiss("no-zero-grad", square_on_one_leaf_never_zeroed(), "expected"),
)
quadratic_near_misses = rejects(
    test_quadratic,
    NearMiss("lab-constant", lambda x: torch.tensor(6.0), "autograd never ran"),
    NearMiss("dropped-term", derivative_by_autograd(lambda x: x**2 + 1), "expected"),
    NearMiss("no-grad-set", lambda x: torch.tensor(x).grad, "got None"),
)
cubic_near_misses = rejects(
    test_cubic,
    NearMiss("lab-constant", lambda x: torch.tensor(7.0), "autograd never ran"),
    NearMiss("dropped-term", derivative_by_autograd(lambda x: 2 * x**3), "expected"),
    NearMiss("off-by-one-exponent", derivative_by_autograd(lambda x: 2 * x**2 + x), "expected"),
    NearMiss("sign-flip", derivative_by_autograd(lambda x: -(2 * x**3 + x)), "sign is flipped"),
    NearMiss("float64", lambda x: derivative_by_autograd(lambda t: 2 * t**3 + t)(x).double(), "dtype"),
)
