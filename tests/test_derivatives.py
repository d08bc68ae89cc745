"""Module 1, derivatives: each at the lab's point, others and seeded-random ones, and the near misses it rejects.

The helpers above the tests serve the other modules' tests too (shared checks that tests/kata/checks.py lacks).
"""

import contextlib
from collections.abc import Callable, Iterator

import pytest
import torch

from tests.kata.checks import (
    NearMiss,
    derivative_by_autograd,
    expect_call,
    fail,
    has_nonzero,
    points,
    rejects,
    same_values,
    scalar,
)
from tests.kata.solution import PROBE_SCALE, short_repr

FLOAT64 = (
    "a Python float makes a float32 tensor (torch.tensor(x)); float64 comes from .double() or "
    "dtype=torch.float64, or from torch.func.jvp/jacfwd on a 0-dim tensor times a Python float (2.0 * x), "
    "which .float() undoes"
)


@contextlib.contextmanager
def naming(causes: dict[str, str]) -> Iterator[None]:
    """Failures whose message contains a key end with its cause: for what `likely` cannot name (dtype, NaN)."""
    try:
        yield
    except pytest.fail.Exception as failure:
        message = str(failure.msg)
        cause = next((cause for words, cause in causes.items() if words in message), None)
        if cause is None:
            raise
        raise pytest.fail.Exception(f"{message}: {cause}", pytrace=False) from None


def expect_same_again(solution, args) -> None:
    """The same call twice gives the same result: a leaf kept between calls adds every backward() into its .grad."""
    first = solution(*args)
    again = solution(*args)
    if not same_values(first, again):
        fail(
            f"{solution.call}: called twice, it returned {short_repr(first)}, then {short_repr(again)}: a leaf "
            "kept between calls adds each backward() into its .grad; make the leaf afresh in each call"
        )


def expect_each_by_autograd(solution, got, expected, names: tuple[str | None, ...]) -> None:
    """The provenance probe part by part: each named non-zero part of a tuple result must change with autograd's
    gradients (checks.py's probe passes a tuple when any one part changes). A part named None is not probed."""
    try:
        again = solution.again_probing()
    except (Exception, pytest.fail.Exception):  # it could not run with other gradients: they made it
        return
    if not isinstance(again, (tuple, list)) or len(again) != len(expected):
        return
    for name, got_item, again_item, expected_item in zip(names, got, again, expected):
        if name and has_nonzero(expected_item) and same_values(got_item, again_item):
            fail(
                f"{solution.call}: the values are right, but autograd did not make {name}: it stays the same when "
                f"autograd's gradients are scaled by {PROBE_SCALE}; return what autograd computed for it, not a "
                "value computed beside it"
            )


def beside_backward(closed_form: Callable) -> Callable:
    """A lesson-skipping solution: the answer typed in as a formula, beside a backward() that has nothing to do
    with it. The provenance probe turns it away: scaling autograd's gradients leaves it as it is."""

    def solve(*args):
        dummy = torch.tensor(1.0, requires_grad=True)
        (dummy * 3).backward()
        return closed_form(*args)

    return solve


def expect_derivative(solution, slope, y, wrong: dict[str, Callable], *fixed: float, lab: float, seed: int) -> None:
    """slope(x) at the fixed points, then seeded-random ones; `wrong` maps a cause to the slope that mistake gives."""
    for index, x in enumerate(points(*fixed, seed=seed)):
        likely = {cause: scalar(mistake(x)) for cause, mistake in wrong.items()}
        likely["y itself, not its slope dy/dx: return x.grad after y.backward()"] = scalar(y(x))
        likely[f"the lab's answer at x = {lab}, typed in: differentiate at the x given"] = scalar(slope(lab))
        with naming({"got torch.float64": FLOAT64}):
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
