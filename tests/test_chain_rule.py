"""Module 5, the chain rule: compositions against their closed forms, dy/dx = dy/du · du/dx, and near misses."""

import pytest
import torch

from tests.kata.checks import (
    NearMiss,
    beside_backward,
    expect_call,
    expect_inputs_untouched,
    expect_like,
    expect_made_by_autograd,
    expect_scaling,
    fail,
    passes,
    random_tensor,
    rejects,
    retains_grad,
    slope_by_autograd,
    square,
)
from tests.kata.solution import short_repr


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
        expect_call(
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
        expect_call(
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
        expect_call(
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
        ready_made = sorted({op.name for op in solution.ops} & READY_MADE_SOFTPLUS)
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
    expect_like(got, expected, solution.call)
    expect_inputs_untouched(solution)
    if probe_parts:
        expect_scaling(
            solution,
            got,
            [1] * len(names),
            "take each part from autograd (dy/dx through outer(inner(x)) itself), not as a product of the others",
            names,
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
        "closed-form-beside-backward", beside_backward(lambda x: -x * torch.exp(-(x**2) / 2)), "autograd did not make"
    ),
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
