"""Module 10, numerical derivatives: finite differences against their closed forms (exact for cubes and
exponentials), their error against autograd's, the best step per dtype, gradcheck's verdicts, and near misses."""

import math
import warnings

import pytest
import torch

from tests.kata.checks import NearMiss, cube, expect_call, fail, random_tensor, rejects, square
from tests.kata.solution import short_repr

F64 = torch.float64
FORWARD_DIFFERENCE = "a forward difference (f(x + h) − f(x)) / h: the task is the central one"
EXACT = "autograd's exact derivative, not the finite-difference estimate"
OVER_H = "divided by h instead of 2h: twice the answer"


def points64(*fixed: float, seed: int) -> torch.Tensor:
    """The fixed points, then seeded-random ones up to six: few enough for a message to show them all."""
    return torch.cat([torch.tensor(fixed, dtype=F64), random_tensor(6 - len(fixed), seed=seed, dtype=F64)])


@pytest.mark.exercise("numerical.central_difference")
def test_central_difference(solution):
    x = points64(1.0, 2.0, -1.5, 0.0, seed=110)
    for h in (0.1, 0.01):
        # For a cube the central difference is exactly 3x² + h², whatever x.
        expect_call(
            solution,
            (cube, x, h),
            3 * x**2 + h**2,
            autograd=False,
            rtol=1e-9,
            atol=1e-9,
            likely={FORWARD_DIFFERENCE: 3 * x**2 + 3 * x * h + h**2, EXACT: 3 * x**2, OVER_H: 2 * (3 * x**2 + h**2)},
        )
    h = 1e-3
    expect_call(
        solution,
        (torch.exp, x, h),
        torch.exp(x) * math.sinh(h) / h,
        autograd=False,
        rtol=1e-9,
        atol=0,
        likely={FORWARD_DIFFERENCE: torch.exp(x) * math.expm1(h) / h, EXACT: torch.exp(x)},
    )
    expect_call(solution, (torch.sin, x, 1e-4), torch.cos(x), autograd=False, rtol=0, atol=1e-8)
    x32 = random_tensor(5, seed=111)
    expect_call(solution, (cube, x32, 0.1), 3 * x32**2 + 0.01, autograd=False, rtol=1e-4, atol=1e-4)


def three_way_product_gradient(x: torch.Tensor) -> torch.Tensor:
    return torch.stack([x[1] * x[2], x[0] * x[2], x[0] * x[1]])


@pytest.mark.exercise("numerical.numerical_gradient")
def test_numerical_gradient(solution):
    cases = [  # (f, x, h, expected gradient, what autograd would give instead)
        (lambda t: cube(t).sum(), points64(1.0, -2.0, seed=112), 0.1, lambda x: 3 * x**2 + 0.01, lambda x: 3 * x**2),
        (torch.prod, random_tensor(3, seed=113, dtype=F64), 0.1, three_way_product_gradient, None),
        (
            lambda t: torch.logsumexp(t, 0),
            random_tensor(4, seed=114, dtype=F64),
            1e-4,
            lambda x: torch.softmax(x, 0),
            None,
        ),
        (lambda t: cube(t).sum(), random_tensor(3, seed=115), 0.1, lambda x: 3 * x**2 + 0.01, None),
    ]
    for f, x, h, gradient, exact in cases:
        tolerance = 1e-8 if x.dtype == F64 else 1e-4
        expect_call(
            solution,
            (f, x, h),
            gradient(x),
            autograd=False,
            rtol=tolerance,
            atol=tolerance,
            likely={EXACT: exact(x)} if exact else None,
        )


@pytest.mark.exercise("numerical.relative_error")
def test_relative_error(solution):
    h = 0.1
    x = points64(1.0, 0.5, -2.0, seed=116)
    derivative = 3 * x**2
    numerical = derivative + h**2
    expect_call(
        solution,
        (cube, x, h),
        h**2 / derivative,
        rtol=1e-6,
        likely={
            "relative to the central difference: divide by autograd's |f'(x)| instead": h**2 / numerical,
            "the absolute error |num − auto|: divide it by |auto|": torch.full_like(x, h**2),
        },
    )
    x = points64(0.0, 1.0, -3.0, seed=117)
    signed = (torch.cos(x) * (math.sin(h) / h - 1)) / torch.cos(x).abs()
    expect_call(
        solution,
        (torch.sin, x, h),
        torch.full_like(x, 1 - math.sin(h) / h),
        rtol=1e-6,
        likely={"the error keeps its sign: take |num − auto|": signed},
    )
    # Where f'(x) = 0 and the estimate is exactly 0 too, tiny keeps 0 / 0 at 0.
    x = torch.tensor([0.0, 1.0, -2.0], dtype=F64)
    expect_call(solution, (square, x, h), torch.zeros_like(x), atol=1e-12)
    x32 = torch.tensor([1.0, 2.0, -1.5])
    expect_call(solution, (cube, x32, h), h**2 / (3 * x32**2), rtol=1e-2)


def expect_float(solution, args, expected: float, likely: dict[str, float]) -> None:
    got = solution(*args)
    if not isinstance(got, float):
        fail(f"{solution.call}: got {type(got).__name__} {short_repr(got)}, expected a Python float")
    if not math.isclose(got, expected, rel_tol=1e-9):
        cause = next((f": {why}" for why, wrong in likely.items() if math.isclose(got, wrong, rel_tol=1e-6)), "")
        fail(f"{solution.call}: expected {expected:.6g}, got {got:.6g}{cause}")


@pytest.mark.exercise("numerical.step_size")
def test_step_size(solution):
    for dtype in (torch.float64, torch.float32, torch.float16, torch.bfloat16):
        eps = torch.finfo(dtype).eps
        expect_float(
            solution,
            (dtype,),
            eps ** (1 / 3),
            likely={
                "√eps, the best step of a one-sided forward difference; "
                "the central one's error is h², not h": math.sqrt(eps),
                "the machine epsilon itself: rounding error eps / h would be as large as the derivative": eps,
            },
        )


class SinWithWrongBackward(torch.autograd.Function):
    """sin whose backward ignores grad_output: right for one point, wrong for more; gradcheck finds such bugs."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sin(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return torch.cos(x)


def gradcheck_cases():
    """(f, x, gradcheck's verdict, why), made afresh for each run; tiny, as gradcheck calls f 2n + 1 times."""
    return [
        (torch.sin, random_tensor(2, seed=118, dtype=F64), True, "a smooth function in float64"),
        (torch.sin, random_tensor(2, seed=118), False, "float32: a step of 1e-6 drowns in rounding"),
        (torch.relu, torch.tensor([0.0, 1.0], dtype=F64), False, "x = 0 is a kink: the differences see slope 1/2"),
        (torch.relu, torch.tensor([-1.0, 1.0], dtype=F64), True, "relu away from its kink"),
        (SinWithWrongBackward.apply, torch.tensor([0.5, 1.0], dtype=F64), False, "a backward that is wrong"),
    ]


@pytest.mark.exercise("numerical.gradcheck_passes")
def test_gradcheck_passes(solution):
    with warnings.catch_warnings():  # gradcheck warns on float32 input: that case is here to fail
        warnings.filterwarnings("ignore", "Input #0 requires gradient and is not a double")
        for f, x, expected, why in gradcheck_cases():
            got = solution(f, x)
            if not isinstance(got, bool):
                fail(f"{solution.call}: got {type(got).__name__} {short_repr(got)}, expected a Python bool")
            if got != expected:
                fail(
                    f"{solution.call}: expected {expected}, got {got}: gradcheck {'passes' if expected else 'fails'} "
                    f"here ({why})"
                )


def central(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def forward_difference(f, x, h):
    return (f(x + h) - f(x)) / h


def autograd_derivative(f, x):
    """f' at each point by the sum trick; for f with a 0-dim result, its gradient."""
    x = x.clone().requires_grad_()
    f(x).sum().backward()
    return x.grad


def perturbs_x_in_place(f, x, h):
    partials = []
    for i in range(len(x)):
        x[i] += h
        plus = f(x)
        x[i] -= 2 * h
        minus = f(x)
        x[i] += h
        partials.append((plus - minus) / (2 * h))
    return torch.stack(partials)


def relative_error_of(divide_by, finish=torch.abs):
    """A learner-style relative_error: finish(num − auto) / divide_by(num, auto)."""

    def solve(f, x, h):
        numerical, derivative = central(f, x, h), autograd_derivative(f, x)
        return finish(numerical - derivative) / divide_by(numerical, derivative)

    return solve


def relative_error_between(numerical, derivative):
    return (numerical - derivative).abs() / derivative.abs().clamp(min=torch.finfo(derivative.dtype).tiny)


def attached_relative_error(f, x, h):
    x = x.clone().requires_grad_()
    numerical = central(f, x, h)  # built from x that requires grad: part of the graph
    f(x).sum().backward()
    return relative_error_between(numerical, x.grad)


def relative_error_to_small_step(f, x, h):
    """Against a central difference with a tiny step instead of autograd: close in float64, but not the task."""
    return relative_error_between(central(f, x, h), central(f, x, 1e-6))


def gradcheck_with(**settings):
    return lambda f, x: torch.autograd.gradcheck(f, (x.clone().requires_grad_(),), **settings)


central_difference_near_misses = rejects(
    test_central_difference,
    NearMiss("forward-difference", forward_difference, "forward difference"),
    NearMiss("over-h", lambda f, x, h: 2 * central(f, x, h), "divided by h instead of 2h"),
    NearMiss("autograd", lambda f, x, h: autograd_derivative(f, x), "exact derivative"),
    NearMiss("returns-list", lambda f, x, h: central(f, x, h).tolist(), "got list"),
)
numerical_gradient_near_misses = rejects(
    test_numerical_gradient,
    NearMiss("all-coordinates-at-once", central, "shape"),
    NearMiss("autograd", lambda f, x, h: autograd_derivative(f, x), "exact derivative"),
    NearMiss("perturbs-x-in-place", perturbs_x_in_place, "changed the caller's x: its values changed"),
)
relative_error_near_misses = rejects(
    test_relative_error,
    NearMiss("no-tiny", relative_error_of(lambda num, auto: auto.abs()), "got NaN"),
    NearMiss("relative-to-estimate", relative_error_of(lambda num, auto: num.abs()), "relative to the central"),
    NearMiss("absolute", relative_error_of(lambda num, auto: torch.ones_like(num)), "absolute error"),
    NearMiss("signed", relative_error_of(lambda num, auto: auto.abs(), finish=lambda e: e), "keeps its sign"),
    NearMiss("attached", attached_relative_error, "attached to the graph"),
    NearMiss("no-autograd", relative_error_to_small_step, "autograd never ran"),
)
step_size_near_misses = rejects(
    test_step_size,
    NearMiss("sqrt-eps", lambda dtype: math.sqrt(torch.finfo(dtype).eps), "one-sided"),
    NearMiss("gradcheck-default", lambda dtype: 1e-6, "expected"),
    NearMiss("tensor", lambda dtype: torch.tensor(torch.finfo(dtype).eps) ** (1 / 3), "expected a Python float"),
)
gradcheck_passes_near_misses = rejects(
    test_gradcheck_passes,
    NearMiss("raises", gradcheck_with(), "Jacobian mismatch"),
    NearMiss(
        "no-requires-grad", lambda f, x: torch.autograd.gradcheck(f, (x,), raise_exception=False), "require gradient"
    ),
    NearMiss("guesses-by-dtype", lambda f, x: x.dtype == torch.float64, "expected False, got True"),
    NearMiss("tensor-verdict", lambda f, x: torch.tensor(gradcheck_with(raise_exception=False)(f, x)), "Python bool"),
)
