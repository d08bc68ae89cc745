"""Module 5, the chain rule: compositions against their closed forms, dy/dx = dy/du · du/dx, and near misses.

The first section holds checks that the chain_rule, gradient_mechanics, higher_order and jacobians tests share
(candidates for tests/kata/checks.py): expect_answer (expect_call with tolerances that follow the dtype, and causes
for wrong shapes and for float64 answers right only to float32 precision), torch_calls_seen (the torch calls a
solution's own code makes: which functions, in which grad mode, with a batch of seeds or not),
expect_parts_by_autograd (each part of a tuple answer made by autograd, not multiplied together by hand) and
expect_differentiated (an n-th derivative differentiated n times in a row, in either mode, by the probe).
"""

import contextlib
import inspect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from torch.overrides import TorchFunctionMode

from tests.kata.checks import (
    ATOL,
    RTOL,
    Mechanic,
    NearMiss,
    distinct_reprs,
    expect_inputs_untouched,
    expect_like,
    expect_made_by_autograd,
    expect_no_autograd,
    fail,
    passes,
    random_tensor,
    rejects,
    retains_grad,
    slope_by_autograd,
    square,
)
from tests.kata.solution import PROBE_SCALE, Solution, short_repr

# ---- Shared checks ----------------------------------------------------------------------------------------------

# A float64 answer is held to float64's precision: one computed in float32 and cast back is off by about 1e-7.
FLOAT64_TOLERANCES = {"rtol": 1e-9, "atol": 1e-9}


def tolerances(expected: Any) -> dict[str, float]:
    """The precision the task implies: float32's for float32 answers, float64's own where every part is float64."""
    parts = expected if isinstance(expected, tuple) else (expected,)
    if all(isinstance(part, torch.Tensor) and part.dtype == torch.float64 for part in parts):
        return dict(FLOAT64_TOLERANCES)
    return {"rtol": RTOL, "atol": ATOL}


def precision_problem(got: Any, expected: Any) -> str | None:
    """A float64 answer right to float32's precision only: computed in float32 somewhere, then cast back."""
    pairs = zip(got, expected) if isinstance(expected, tuple) and isinstance(got, (tuple, list)) else [(got, expected)]
    for got_part, expected_part in pairs:
        comparable = (
            isinstance(got_part, torch.Tensor)
            and isinstance(expected_part, torch.Tensor)
            and got_part.dtype == expected_part.dtype == torch.float64
            and got_part.shape == expected_part.shape
            and not got_part.requires_grad
        )
        if not comparable:
            continue
        if torch.allclose(got_part, expected_part, **FLOAT64_TOLERANCES):
            continue
        if torch.allclose(got_part, expected_part, rtol=RTOL, atol=ATOL):
            shown_expected, shown_got = distinct_reprs(expected_part, got_part)
            return (
                f"expected {shown_expected}, got {shown_got}: right to float32's precision only; computed in "
                "float32 somewhere (torch.tensor(x.tolist()), .float())? Keep the float64 throughout"
            )
    return None


def shape_or_dtype_problem(got: Any, expected: Any, shapes: dict[tuple[int, ...], str]) -> str | None:
    """A wrong shape that `shapes` names the mistake of, or float32 where the task asks for float64."""
    if not (isinstance(got, torch.Tensor) and isinstance(expected, torch.Tensor)):
        return None
    if got.shape != expected.shape:
        cause = shapes.get(tuple(got.shape))
        return f"expected shape {list(expected.shape)}, got {list(got.shape)}: {cause}" if cause else None
    if got.dtype == torch.float32 and expected.dtype == torch.float64:
        return (
            "expected dtype torch.float64, got torch.float32: the float64 was lost on the way (a new tensor from "
            "Python floats, or .float()); work on a copy (.clone()), which keeps the dtype"
        )
    return None


def expect_answer(
    solution: Solution,
    args: Sequence[Any],
    expected: Any,
    *,
    shapes: dict[tuple[int, ...], str] | None = None,
    likely: dict[str, Any] | None = None,
    autograd: bool | None = True,
    mechanics: Sequence[Mechanic] = (),
    untouched: bool = True,
    **tolerance: float,
) -> Any:
    """expect_call (tests/kata/checks.py) with tolerances that follow expected's dtype unless given, and causes for
    a wrong shape that `shapes` names ({shape: the mistake that gives it}), for float32 where float64 was asked,
    and for a float64 answer right only to float32's precision."""
    got = solution(*args)
    problem = shape_or_dtype_problem(got, expected, shapes or {}) or precision_problem(got, expected)
    if problem:
        fail(f"{solution.call}: {problem}")
    expect_like(got, expected, solution.call, likely=likely, **{**tolerances(expected), **tolerance})
    if untouched:
        expect_inputs_untouched(solution)
    if autograd:
        expect_made_by_autograd(solution, got, expected)
    elif autograd is False:
        expect_no_autograd(solution)
    for mechanic in mechanics:
        mechanic.expect(solution)
    return got


@dataclass(frozen=True)
class TorchCall:
    """One torch call a solution's own code made."""

    name: str  # the function's __name__: "pow", "detach", "softplus", "grad", "_make_dual"...
    grad_enabled: bool  # whether grad mode was on while it ran (off inside torch.no_grad())
    batched_seeds: bool  # an autograd call seeding a whole batch at once, one seed per row of a Jacobian


def is_batched(value: Any) -> bool:
    """Whether a tensor is one that torch.func.vmap maps over (its private test; absent, no tensor counts)."""
    test = getattr(getattr(torch._C, "_functorch", None), "is_batchedtensor", None)
    return isinstance(value, torch.Tensor) and test is not None and bool(test(value))


def seeds_batched(func: Any, args: tuple, kwargs: dict) -> bool:
    """Whether an autograd call seeds a batch of rows at once: torch.autograd.grad(..., is_grads_batched=True), as
    torch.autograd.functional.jacobian(vectorize=True) does, or seeds vmapped over, as jacrev and jacfwd do."""
    if func is torch.autograd.grad:
        call = inspect.signature(torch.autograd.grad).bind(*args, **kwargs).arguments
        if call.get("is_grads_batched"):
            return True
        seeds = call.get("grad_outputs")
    elif func is torch._make_dual:
        seeds = args[1] if len(args) > 1 else kwargs.get("tangent")
    else:
        return False
    return any(is_batched(seed) for seed in (seeds if isinstance(seeds, (list, tuple)) else [seeds]))


class TorchCalls(TorchFunctionMode):
    """Notes each torch call it sees: its name, the grad mode, whether it seeds a batch."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TorchCall] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        self.calls.append(TorchCall(name, torch.is_grad_enabled(), seeds_batched(func, args, kwargs)))
        return func(*args, **kwargs)

    def names(self) -> set[str]:
        return {call.name for call in self.calls}


@contextlib.contextmanager
def torch_calls_seen(solution: Solution) -> Iterator[TorchCalls]:
    """While active, each call of the solution (the probe's too) notes, afresh, the torch calls its code makes.

    The watch runs inside the kata's recorder, around the solution alone: it sees the learner's calls, not the
    checks' own, and adds none to solution.torch_calls.
    """
    seen = TorchCalls()
    target = solution.target

    def watched(*args: Any) -> Any:
        seen.calls = []
        with seen:
            return target(*args)

    solution.target = watched
    try:
        yield seen
    finally:
        solution.target = target


def expect_parts_by_autograd(solution: Solution, got: Any, names: Sequence[str], hint: str) -> None:
    """After right values: each part of a tuple answer scales with autograd's gradients, as autograd's output does.

    The call runs again with autograd's seeds scaled by PROBE_SCALE: a gradient autograd made scales by it too; a
    product of two gradients multiplied by hand scales by its square. hint: what to do instead.
    """
    try:
        again = solution.again_probing()
    except LookupError:
        return
    except (Exception, pytest.fail.Exception):  # it could not even run with other gradients: they made it
        return
    for name, part, part_again in zip(names, got, again):
        if not (isinstance(part, torch.Tensor) and isinstance(part_again, torch.Tensor)):
            continue
        part, part_again = part.detach().double(), part_again.detach().double()
        nonzero = part.abs() > 1e-6
        if part.shape != part_again.shape or not nonzero.any():
            continue
        if torch.allclose(part_again, PROBE_SCALE * part, rtol=1e-4, atol=1e-6):
            continue
        ratio = (part_again[nonzero] / part[nonzero]).median().item()
        fail(
            f"{solution.call}: {name} is right, but autograd did not make it as it stands: scaling autograd's "
            f"gradients by {PROBE_SCALE} scaled it by {ratio:.3g}, not {PROBE_SCALE}; {hint}"
        )


def expect_differentiated(solution: Solution, got: Any, order: int, task: str) -> None:
    """After a right value: autograd differentiated `order` times in a row, each derivative built from the last.

    The call runs again with every seed autograd gets scaled by PROBE_SCALE: each differentiation seeds its own
    pass, so a k-th derivative scales by PROBE_SCALE ** k, in reverse mode (create_graph=True) and forward mode
    (nested jvp, jacfwd) alike. A finite difference of first derivatives scales by PROBE_SCALE once.
    (tests/kata/checks.py's higher_order() reads forward-mode nesting off dual-number levels, which nested
    torch.func.jvp and jacfwd(jacfwd(f)) do not show: it turns those honest solutions away.)
    """
    if not isinstance(got, torch.Tensor):
        return
    try:
        again = solution.again_probing()
    except LookupError:
        return
    except (Exception, pytest.fail.Exception):  # it could not even run with other gradients: they made it
        return
    if not isinstance(again, torch.Tensor) or again.shape != got.shape:
        return
    got, again = got.detach().double(), again.detach().double()
    nonzero = got.abs() > 1e-6 * max(1.0, got.abs().max().item())
    if not nonzero.any():
        return
    scale = PROBE_SCALE**order
    if torch.allclose(again[nonzero], scale * got[nonzero], rtol=1e-3, atol=0.0):
        return
    ratio = (again[nonzero] / got[nonzero]).median().item()
    fail(
        f"{solution.call}: the value is right, but no derivative was differentiated again: scaling autograd's "
        f"gradients by {PROBE_SCALE} scaled it by {ratio:.3g}, not {scale:g} as {order} differentiations in a "
        "row would; without create_graph=True a gradient is a constant to autograd (a difference of gradients "
        f"is a finite difference, not a derivative); {task}"
    )


# ---- The exercises ----------------------------------------------------------------------------------------------


def grids() -> list[torch.Tensor]:
    """Classic points, seeded-random ones and float64 ones (the dtype must carry through)."""
    return [
        torch.tensor([-2.0, -1.0, 0.0, 0.5, 1.5]),
        random_tensor(6, seed=51),
        random_tensor(5, seed=52, dtype=torch.float64),
    ]


@pytest.mark.exercise("chain_rule.sin_of_square_at")
def test_sin_of_square_at(solution):
    for x in grids():
        expect_answer(
            solution,
            (x,),
            torch.cos(x**2) * 2 * x,
            likely={
                "the slope of sin²(x): square inside the sine, sin(x ** 2)": torch.sin(2 * x),
                "the slope of sin(2x): the square of x is x ** 2, not x * 2": 2 * torch.cos(2 * x),
            },
        )


@pytest.mark.exercise("chain_rule.gaussian_at")
def test_gaussian_at(solution):
    for x in grids():
        expect_answer(
            solution,
            (x,),
            -x * torch.exp(-(x**2) / 2),
            likely={
                "the slope of exp(−x²): the exponent is −x² / 2": -2 * x * torch.exp(-(x**2)),
                "the slope of exp(+x²/2): the exponent −x² / 2 has a minus sign": x * torch.exp(x**2 / 2),
            },
        )


# log(1 + eˣ) ready-made, one operation whose slope autograd knows whole: the exercise is to chain log and exp.
READY_MADE_SOFTPLUS = {"softplus", "logaddexp", "logsumexp"}


@pytest.mark.exercise("chain_rule.log_one_plus_exp_at")
def test_log_one_plus_exp_at(solution):
    wide = torch.tensor([-20.0, -9.5, 7.25, 20.0])  # the ends of the range the docstring promises
    for x in [*grids(), wide, wide.double()]:
        with torch_calls_seen(solution) as seen:
            expect_answer(
                solution,
                (x,),
                torch.sigmoid(x),
                likely={
                    "eˣ, the slope of 1 + eˣ: take its log too": torch.exp(x),
                    "1 everywhere, the slope of log(eˣ) + 1 = x + 1: the 1 goes inside the log, log(1 + eˣ)": (
                        torch.ones_like(x)
                    ),
                },
            )
        ready_made = sorted(seen.names() & READY_MADE_SOFTPLUS)
        if ready_made:
            fail(
                f"{solution.call}: the values are right, but {ready_made[0]} is log(1 + eˣ) ready-made, one "
                "operation whose slope autograd knows whole: build it from torch.log and torch.exp, so that "
                "autograd chains their slopes"
            )


def expect_chain(solution, args, expected, names, du_dx=None, mechanics=(), probe_parts=False):
    """Check the parts a solution returns: dy/du kept, the chain rule between them, then each part's value, the
    caller's x left alone, autograd behind each part (probe_parts: part by part), and the mechanics.

    du_dx: the inner slope, when the solution does not return it; it is then inserted between dy/du and dy/dx.
    """
    got = solution(*args)
    if isinstance(got, (tuple, list)) and got and got[0] is None:
        fail(
            f"{solution.call}: got None for dy/du: u is not a leaf, and backward() keeps the .grad of an "
            "intermediate only when asked: call u.retain_grad() before backward()"
        )
    if isinstance(got, (tuple, list)) and len(got) == len(expected) and got[-1] is None:
        fail(
            f"{solution.call}: got None for dy/dx: nothing flowed back to x; was u cut loose from x "
            "(u.detach().requires_grad_())? Keep u in x's graph and call u.retain_grad() on it"
        )
    if isinstance(got, (tuple, list)) and len(got) == len(expected):
        parts = [got[0], du_dx, got[1]] if du_dx is not None else list(got)
        expect_chain_rule_holds(solution.call, *parts)
    problem = precision_problem(got, expected)
    if problem:
        fail(f"{solution.call}: {problem}")
    expect_like(got, expected, solution.call, **tolerances(expected))
    expect_inputs_untouched(solution)
    if probe_parts:
        expect_parts_by_autograd(
            solution,
            got,
            names,
            "take each part from autograd (dy/dx through outer(inner(x)) itself), not as a product of the others",
        )
    expect_made_by_autograd(solution, got, expected)
    for mechanic in mechanics:
        mechanic.expect(solution)


def expect_chain_rule_holds(where, dy_du, du_dx, dy_dx):
    """Fail unless dy/dx = dy/du · du/dx, when the parts are tensors that can be compared at all."""
    if not all(isinstance(part, torch.Tensor) for part in (dy_du, du_dx, dy_dx)):
        return
    if dy_dx is dy_du or dy_dx is du_dx:
        fail(
            f"{where}: two parts are one tensor object: a second backward() added into the same .grad; "
            "differentiate each part from its own copy of the points"
        )
    if len({dy_du.shape, du_dx.shape, dy_dx.shape}) > 1 or len({dy_du.dtype, du_dx.dtype, dy_dx.dtype}) > 1:
        return
    product = dy_du.detach() * du_dx.detach()
    if not torch.allclose(product, dy_dx.detach(), rtol=1e-5, atol=1e-5):
        fail(
            f"{where}: dy/dx = {short_repr(dy_dx)} but dy/du · du/dx = {short_repr(product)}: the chain rule "
            "makes them equal; are the parts in order, and is dy/du the outer slope at u, not at x?"
        )


ONE_BACKWARD_WITH_RETAIN_GRAD = "this exercise is about one backward() that fills u.grad too, by u.retain_grad()"


@pytest.mark.exercise("chain_rule.sin_of_square_parts")
def test_sin_of_square_parts(solution):
    for x in grids():
        expect_chain(
            solution,
            (x,),
            (torch.cos(x**2), torch.cos(x**2) * 2 * x),
            ("dy/du", "dy/dx"),
            du_dx=2 * x,
            mechanics=(
                retains_grad(ONE_BACKWARD_WITH_RETAIN_GRAD),
                passes(1, ONE_BACKWARD_WITH_RETAIN_GRAD, apis=("backward",)),
            ),
        )


# (outer, inner, outer', inner'): compositions whose stages differ in kind; sin∘square and square∘sin both, so
# that mixing up outer and inner shows.
COMPOSITIONS = [
    (torch.sin, square, torch.cos, lambda x: 2 * x),
    (square, torch.sin, lambda u: 2 * u, torch.cos),
    (torch.log, lambda t: 1 + torch.exp(t), lambda u: 1 / u, torch.exp),
    (torch.tanh, lambda t: 3 * t, lambda u: 1 / torch.cosh(u) ** 2, lambda x: torch.full_like(x, 3.0)),
]


@pytest.mark.exercise("chain_rule.chain_parts")
def test_chain_parts(solution):
    for outer, inner, outer_slope, inner_slope in COMPOSITIONS:
        for index, x in enumerate(grids()):
            dy_du, du_dx = outer_slope(inner(x)), inner_slope(x)
            expect_chain(
                solution,
                (outer, inner, x),
                (dy_du, du_dx, dy_du * du_dx),
                ("dy/du", "du/dx", "dy/dx"),
                probe_parts=outer is torch.sin and index == 0,  # once a test, as the probe runs the call again
            )


def parts_by(pick, keep_u=True):
    """A learner-style sin_of_square_parts: one backward() through sin(x²), then pick(u, x) what to return."""

    def solve(x):
        x = x.clone().requires_grad_()
        u = x**2
        if keep_u:
            u.retain_grad()
        torch.sin(u).sum().backward()
        return pick(u, x)

    return solve


def parts_with_u_as_new_leaf(x):
    """Cuts u off from x to read u.grad, so nothing flows back to x."""
    x = x.clone().requires_grad_()
    u = (x**2).detach().requires_grad_()
    torch.sin(u).sum().backward()
    return u.grad, x.grad


def parts_by_autograd_grad(x):
    """Both parts from one torch.autograd.grad pass: right, but no retain_grad(), the lesson."""
    x = x.clone().requires_grad_()
    u = x**2
    return torch.autograd.grad(torch.sin(u).sum(), (u, x))


def parts_by_two_passes(x):
    """dy/du from a pass through sin at a leaf holding u, dy/dx from a second pass: two passes, no retain_grad()."""
    u = (x**2).requires_grad_()
    torch.sin(u).sum().backward()
    return u.grad, slope_by_autograd(lambda t: torch.sin(t**2))(x)


def chain_parts_at_x(outer, inner, x):
    """Takes outer's slope at the points x instead of at u = inner(x): the classic chain rule slip."""
    return (slope_by_autograd(outer)(x), slope_by_autograd(inner)(x), slope_by_autograd(lambda t: outer(inner(t)))(x))


def chain_parts_one_leaf(outer, inner, x):
    """Reuses one leaf for both passes, so the second backward() adds into the x.grad it already returned."""
    x = x.clone().requires_grad_()
    u = inner(x)
    u.retain_grad()
    outer(u).sum().backward()
    inner(x).sum().backward()
    return u.grad, x.grad, x.grad


def chain_parts_no_retain(outer, inner, x):
    x = x.clone().requires_grad_()
    u = inner(x)
    outer(u).sum().backward()
    return u.grad, slope_by_autograd(inner)(x), x.grad


def chain_parts_product_by_hand(outer, inner, x):
    """dy/du and du/dx by autograd, dy/dx as their product by hand: the chain rule done for autograd."""
    dy_du = slope_by_autograd(outer)(inner(x))
    du_dx = slope_by_autograd(inner)(x)
    return dy_du, du_dx, dy_du * du_dx


def swapped_stages(outer, inner, x):
    return (slope_by_autograd(inner)(x), slope_by_autograd(outer)(x), slope_by_autograd(lambda t: inner(outer(t)))(x))


def sin_of_square_on_the_callers_x(x):
    x.requires_grad_()
    torch.sin(x**2).sum().backward()
    return x.grad.clone()


sin_of_square_at_near_misses = rejects(
    test_sin_of_square_at,
    NearMiss("sin-squared", slope_by_autograd(lambda t: torch.sin(t) ** 2), "square inside the sine"),
    NearMiss("times-two", slope_by_autograd(lambda t: torch.sin(t * 2)), "x \\*\\* 2, not x \\* 2"),
    NearMiss("by-hand", lambda x: torch.cos(x**2) * 2 * x, "autograd never ran"),
    NearMiss("callers-x", sin_of_square_on_the_callers_x, "changed the caller's x: requires_grad False -> True"),
    NearMiss(
        "float32-inside",
        lambda x: slope_by_autograd(lambda t: torch.sin(t**2))(x.float()).to(x.dtype),
        "float32's precision only",
    ),
)
gaussian_at_near_misses = rejects(
    test_gaussian_at,
    NearMiss("no-half", slope_by_autograd(lambda t: torch.exp(-(t**2))), "the exponent is −x² / 2"),
    NearMiss("sign-flip", slope_by_autograd(lambda t: torch.exp(t**2 / 2)), "has a minus sign"),
    NearMiss(
        "float32-always",
        lambda x: slope_by_autograd(lambda t: torch.exp(-(t**2) / 2))(x.float()),
        "got torch.float32: the float64 was lost",
    ),
)
log_one_plus_exp_at_near_misses = rejects(
    test_log_one_plus_exp_at,
    NearMiss("no-log", slope_by_autograd(lambda t: 1 + torch.exp(t)), "take its log"),
    NearMiss("log-of-exp", slope_by_autograd(lambda t: torch.log(torch.exp(t)) + 1), "the 1 goes inside the log"),
    NearMiss("returns-y", slope_by_autograd(lambda t: torch.log(1 + torch.exp(t)), lambda x, y: y), "attached"),
    NearMiss("by-hand", torch.sigmoid, "autograd never ran"),
    NearMiss(
        "softplus-ready-made",
        slope_by_autograd(torch.nn.functional.softplus),
        "softplus is log\\(1 \\+ eˣ\\) ready-made",
    ),
    NearMiss(
        "logaddexp-ready-made",
        slope_by_autograd(lambda t: torch.logaddexp(t, torch.zeros_like(t))),
        "logaddexp is log\\(1 \\+ eˣ\\) ready-made",
    ),
)
sin_of_square_parts_near_misses = rejects(
    test_sin_of_square_parts,
    NearMiss("no-retain-grad", parts_by(lambda u, x: (u.grad, x.grad), keep_u=False), "got None.*retain_grad"),
    NearMiss("u-as-new-leaf", parts_with_u_as_new_leaf, "got None for dy/dx.*cut loose"),
    NearMiss("swapped", parts_by(lambda u, x: (x.grad, u.grad)), "chain rule"),
    NearMiss("outer-at-x", parts_by(lambda u, x: (torch.cos(x.detach()), x.grad)), "chain rule"),
    NearMiss("only-dy-dx", parts_by(lambda u, x: x.grad), "expected a tuple"),
    NearMiss("by-hand", lambda x: (torch.cos(x**2), torch.cos(x**2) * 2 * x), "autograd never ran"),
    NearMiss("autograd-grad-both", parts_by_autograd_grad, "retain_grad\\(\\) never ran"),
    NearMiss("two-passes", parts_by_two_passes, "retain_grad\\(\\) never ran"),
    NearMiss(
        "retain-grad-two-passes",
        lambda x: (parts_by(lambda u, t: u.grad)(x), slope_by_autograd(lambda t: torch.sin(t**2))(x)),
        "it ran 2 backward\\(\\) passes; this exercise is about one backward\\(\\)",
    ),
)
chain_parts_near_misses = rejects(
    test_chain_parts,
    NearMiss("outer-at-x", chain_parts_at_x, "not at x"),
    NearMiss("one-leaf", chain_parts_one_leaf, "one tensor object"),
    NearMiss("no-retain-grad", chain_parts_no_retain, "retain_grad"),
    NearMiss("swapped-stages", swapped_stages, "chain rule"),
    NearMiss("product-by-hand", chain_parts_product_by_hand, "dy/dx is right, but autograd did not make it"),
)
