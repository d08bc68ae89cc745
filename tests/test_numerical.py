"""Module 10, numerical derivatives: finite differences against their closed forms (exact for cubes and
exponentials), their error against autograd's, the best step per dtype, gradcheck's verdicts, and near misses."""

import contextlib
import math
import warnings

import pytest
import torch
from torch.autograd.gradcheck import GradcheckError

from tests.kata.checks import (
    NearMiss,
    cube,
    expect_call,
    expect_inputs_untouched,
    expect_like,
    expect_no_autograd,
    fail,
    random_tensor,
    rejects,
    slope_by_autograd,
    square,
)
from tests.kata.solution import LEARNER_FOLDERS, relative, short_repr

F64 = torch.float64
FORWARD_DIFFERENCE = "a forward difference (f(x + h) − f(x)) / h: the task is the central one"
EXACT = "autograd's exact derivative, not the finite-difference estimate"
OVER_H = "divided by h instead of 2h: twice the answer"
IN_FLOAT64 = (
    "computed in float64 and cast back: compute in x's dtype, whose rounding (eps / h) the step has to live with"
)


def points64(*fixed: float, seed: int) -> torch.Tensor:
    """The fixed points, then seeded-random ones up to six: few enough for a message to show them all."""
    return torch.cat([torch.tensor(fixed, dtype=F64), random_tensor(6 - len(fixed), seed=seed, dtype=F64)])


def central(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


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
    # With a small step in float32, rounding shows: float32's own estimate, to its last bits, is the answer
    # (float64's is off by about 1e-4 here).
    expect_call(
        solution,
        (torch.sin, x32, 1e-3),
        central(torch.sin, x32, 1e-3),
        autograd=False,
        rtol=1e-6,
        atol=1e-6,
        likely={IN_FLOAT64: central(torch.sin, x32.double(), 1e-3).float(), EXACT: torch.cos(x32)},
    )


def sum_of_cubes(t: torch.Tensor) -> torch.Tensor:
    return cube(t).sum()


def logsumexp(t: torch.Tensor) -> torch.Tensor:
    return torch.logsumexp(t, 0)


def three_way_product_gradient(x: torch.Tensor) -> torch.Tensor:
    return torch.stack([x[1] * x[2], x[0] * x[2], x[0] * x[1]])


@pytest.mark.exercise("numerical.numerical_gradient")
def test_numerical_gradient(solution):
    cases = [  # (f, x, h, expected gradient, what autograd would give instead)
        (sum_of_cubes, points64(1.0, -2.0, seed=112), 0.1, lambda x: 3 * x**2 + 0.01, lambda x: 3 * x**2),
        (torch.prod, random_tensor(3, seed=113, dtype=F64), 0.1, three_way_product_gradient, None),
        (logsumexp, random_tensor(4, seed=114, dtype=F64), 1e-4, lambda x: torch.softmax(x, 0), None),
        (sum_of_cubes, random_tensor(3, seed=115), 0.1, lambda x: 3 * x**2 + 0.01, None),
    ]
    all_at_once = (
        "every coordinate stepped at once (x ± h): that is one directional difference; step one coordinate at "
        "a time, x ± h·eᵢ"
    )
    for f, x, h, gradient, exact in cases:
        tolerance = 1e-8 if x.dtype == F64 else 1e-4
        got = solution(f, x, h)
        if isinstance(got, torch.Tensor) and got.dim() == 0:
            fail(f"{solution.call}: expected shape {list(x.shape)}, got []: {all_at_once}, one entry each")
        likely = {all_at_once: central(f, x, h).expand_as(x), **({EXACT: exact(x)} if exact else {})}
        expect_like(got, gradient(x), solution.call, rtol=tolerance, atol=tolerance, likely=likely)
        expect_inputs_untouched(solution)
        expect_no_autograd(solution)


@contextlib.contextmanager
def unstarted_stubs_named(exercise: str):
    """A NotImplementedError from another exercise's stub that this one calls fails with a line naming that stub,
    rather than passing for this exercise's own (the kata would call it not started, at its own line)."""
    try:
        yield
    except NotImplementedError as error:
        tb = error.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        code = tb.tb_frame.f_code
        if code.co_name == exercise or not code.co_filename.startswith(LEARNER_FOLDERS):
            raise
        where = f"{relative(code.co_filename)}:{tb.tb_lineno}"
        fail(f"{exercise} calls your {code.co_name}, still a stub (NotImplementedError at {where})")


def small_cube(t: torch.Tensor) -> torch.Tensor:
    """t³ / 10⁹: a derivative that is small but not 0, where |auto| + 1e-8 is not |auto|."""
    return 1e-9 * t**3


@pytest.mark.exercise("numerical.relative_error")
def test_relative_error(solution):
    with unstarted_stubs_named("relative_error"):
        check_relative_error(solution)


def check_relative_error(solution):
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
    # Where f' is small but not 0, only |auto| itself will do as the denominator.
    for x, rtol in ((points64(1.0, -0.5, 2.0, seed=118), 1e-6), (torch.tensor([1.0, 0.5, -1.5]), 1e-3)):
        expect_call(
            solution,
            (small_cube, x, h),
            h**2 / (3 * x**2),
            rtol=rtol,
            atol=0,
            likely={
                "divided by |auto| + 1e-8 (or another fixed floor): that changes small |f'(x)| too; "
                "|auto|.clamp(min=torch.finfo(x.dtype).tiny) changes only 0": 1e-9 * h**2 / (3e-9 * x**2 + 1e-8),
            },
        )
    x32 = torch.tensor([1.0, 2.0, -1.5])
    expect_call(solution, (cube, x32, h), h**2 / (3 * x32**2), rtol=1e-3)


def float_problem(got: float, expected: float, likely: dict[str, float]) -> str:
    """Where a Python float differs from the expected one beyond float32's precision, what to say, else ''."""
    if math.isclose(got, expected, rel_tol=1e-6):
        return ""
    digits = next((d for d in (6, 9, 12, 17) if f"{got:.{d}g}" != f"{expected:.{d}g}"), 17)
    cause = next((f": {why}" for why, wrong in likely.items() if math.isclose(got, wrong, rel_tol=1e-6)), "")
    return f"expected {expected:.{digits}g}, got {got:.{digits}g}{cause}"


def floating_dtypes() -> list[torch.dtype]:
    """The dtypes the docstring names, others it does not, and float8 ones where this torch has them."""
    dtypes = [torch.float64, torch.float32, torch.float16, torch.bfloat16]
    for name in ("float8_e4m3fn", "float8_e5m2"):
        with contextlib.suppress(AttributeError, TypeError, RuntimeError):
            torch.finfo(getattr(torch, name))
            dtypes.append(getattr(torch, name))
    return dtypes


@pytest.mark.exercise("numerical.step_size")
def test_step_size(solution):
    dtypes = floating_dtypes()
    for dtype in dtypes:
        eps = torch.finfo(dtype).eps
        likely = {
            "√eps, the best step of a one-sided forward difference; the central one's error is h², not h": eps**0.5,
            "the machine epsilon itself: rounding error eps / h would be as large as the derivative": eps,
            "(eps / 2) ** (1/3), the exact minimum of h² + eps / h: the task is the rule of thumb eps ** (1/3)": (
                eps / 2
            )
            ** (1 / 3),
            "1e-6, gradcheck's default step, the same for every dtype: the best step grows with eps": 1e-6,
        }
        for other in dtypes:
            if torch.finfo(other).eps != eps:
                likely[f"{other}'s step, not {dtype}'s: take eps from torch.finfo(dtype), whatever the dtype"] = (
                    torch.finfo(other).eps ** (1 / 3)
                )
        got = solution(dtype)
        if not isinstance(got, float):
            fail(f"{solution.call}: got {type(got).__name__} {short_repr(got)}, expected a Python float")
        problem = float_problem(got, eps ** (1 / 3), likely)
        if problem:
            fail(f"{solution.call}: {problem}")


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
            try:
                got = solution(f, x)
            except GradcheckError as error:
                first_line = str(error).strip().splitlines()[0].rstrip(",")
                fail(
                    f"{solution.call}: gradcheck raised GradcheckError ({first_line}): a failed check is the "
                    "answer False, not an error; pass raise_exception=False"
                )
            if not isinstance(got, bool):
                fail(f"{solution.call}: got {type(got).__name__} {short_repr(got)}, expected a Python bool")
            if got != expected:
                fail(
                    f"{solution.call}: expected {expected}, got {got}: gradcheck {'passes' if expected else 'fails'} "
                    f"here ({why}), its settings at their defaults"
                )
            expect_inputs_untouched(solution)


# ---- Near misses --------------------------------------------------------------------------------------------------


def forward_difference(f, x, h):
    return (f(x + h) - f(x)) / h


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
        numerical, derivative = central(f, x, h), slope_by_autograd(f)(x)
        return finish(numerical - derivative) / divide_by(numerical, derivative)

    return solve


def relative_error_between(numerical, derivative):
    return (numerical - derivative).abs() / derivative.abs().clamp(min=torch.finfo(derivative.dtype).tiny)


def attached_relative_error(f, x, h):
    x = x.clone().requires_grad_()
    numerical = central(f, x, h)  # built from x that requires grad: part of the graph
    f(x).sum().backward()
    return relative_error_between(numerical, x.grad)


def relative_error_on_callers_x(f, x, h):
    numerical = central(f, x, h)
    x.requires_grad_()  # the caller's x, not a copy
    f(x).sum().backward()
    return relative_error_between(numerical, x.grad)


def relative_error_to_small_step(f, x, h):
    """Against a central difference with a tiny step instead of autograd: close in float64, but not the task."""
    return relative_error_between(central(f, x, h), central(f, x, 1e-6))


def gradcheck_with(**settings):
    return lambda f, x: torch.autograd.gradcheck(f, (x.clone().requires_grad_(),), **settings)


def step_table(dtype):
    """The steps of the dtypes the docstring names, and float32's for any other."""
    return {torch.float64: 6.055454452393343e-06, torch.float32: 0.00492156660115185}.get(dtype, 0.00492156660115185)


central_difference_near_misses = rejects(
    test_central_difference,
    NearMiss("forward-difference", forward_difference, "forward difference"),
    NearMiss("over-h", lambda f, x, h: 2 * central(f, x, h), "divided by h instead of 2h"),
    NearMiss("autograd", lambda f, x, h: slope_by_autograd(f)(x), "exact derivative"),
    NearMiss("returns-list", lambda f, x, h: central(f, x, h).tolist(), "got list"),
    NearMiss("in-float64", lambda f, x, h: central(f, x.double(), h).to(x.dtype), "computed in float64"),
)
numerical_gradient_near_misses = rejects(
    test_numerical_gradient,
    NearMiss("all-coordinates-at-once", central, r"expected shape \[6\], got \[\]: every coordinate stepped at once"),
    NearMiss(
        "all-coordinates-at-once-broadcast",
        lambda f, x, h: central(f, x, h).expand_as(x),
        "every coordinate stepped at once",
    ),
    NearMiss("autograd", lambda f, x, h: slope_by_autograd(f)(x), "exact derivative"),
    NearMiss("perturbs-x-in-place", perturbs_x_in_place, "changed the caller's x: its values changed"),
)
relative_error_near_misses = rejects(
    test_relative_error,
    NearMiss("no-tiny", relative_error_of(lambda num, auto: auto.abs()), "got NaN"),
    NearMiss("plus-1e-8", relative_error_of(lambda num, auto: auto.abs() + 1e-8), r"divided by \|auto\| \+ 1e-8"),
    NearMiss("relative-to-estimate", relative_error_of(lambda num, auto: num.abs()), "relative to the central"),
    NearMiss("absolute", relative_error_of(lambda num, auto: torch.ones_like(num)), "absolute error"),
    NearMiss("signed", relative_error_of(lambda num, auto: auto.abs(), finish=lambda e: e), "keeps its sign"),
    NearMiss("attached", attached_relative_error, "attached to the graph"),
    NearMiss("requires-grad-on-callers-x", relative_error_on_callers_x, "changed the caller's x: requires_grad"),
    NearMiss("no-autograd", relative_error_to_small_step, "autograd never ran"),
)
step_size_near_misses = rejects(
    test_step_size,
    NearMiss("sqrt-eps", lambda dtype: math.sqrt(torch.finfo(dtype).eps), "one-sided"),
    NearMiss("gradcheck-default", lambda dtype: 1e-6, "gradcheck's default step"),
    NearMiss("half-eps", lambda dtype: (torch.finfo(dtype).eps / 2) ** (1 / 3), "the rule of thumb"),
    NearMiss("table-of-named-dtypes", step_table, "torch.float32's step, not torch.float16's"),
    NearMiss("tensor", lambda dtype: torch.tensor(torch.finfo(dtype).eps) ** (1 / 3), "expected a Python float"),
)
gradcheck_passes_near_misses = rejects(
    test_gradcheck_passes,
    NearMiss("raises", gradcheck_with(), "raised GradcheckError .*pass raise_exception=False"),
    NearMiss(
        "no-requires-grad", lambda f, x: torch.autograd.gradcheck(f, (x,), raise_exception=False), "require gradient"
    ),
    NearMiss(
        "requires-grad-on-callers-x",
        lambda f, x: torch.autograd.gradcheck(f, (x.requires_grad_(),), raise_exception=False),
        "changed the caller's x: requires_grad",
    ),
    NearMiss("bigger-step", gradcheck_with(raise_exception=False, eps=1e-3), r"expected False, got True.*float32"),
    NearMiss("guesses-by-dtype", lambda f, x: x.dtype == torch.float64, r"expected False, got True.*kink"),
    NearMiss("tensor-verdict", lambda f, x: torch.tensor(gradcheck_with(raise_exception=False)(f, x)), "Python bool"),
)
