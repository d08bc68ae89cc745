"""Module 2, partial derivatives: both partials at the lab's points and seeded-random ones, and near misses."""

import pytest
import torch

from tests.kata.checks import (
    NearMiss,
    beside_backward,
    expect_call,
    expect_same_again,
    expect_scaling,
    point_pairs,
    rejects,
    scalar,
)


def as_tensors(value):
    """Expected partials as float32 tensors: one, or a tuple of them."""
    return tuple(map(scalar, value)) if isinstance(value, tuple) else scalar(value)


def expect_partials(solution, partials, wrong, *fixed, example, seed, names=None) -> None:
    """partials(u, v) at the fixed and seeded-random points; `wrong` maps a cause to what that mistake gives."""
    for index, (u, v) in enumerate(point_pairs(*fixed, seed=seed)):
        likely = {cause: as_tensors(mistake(u, v)) for cause, mistake in wrong.items()}
        likely[f"the example's answer at {example}, typed in: differentiate at the (u, v) given"] = as_tensors(
            partials(*example)
        )
        expected = as_tensors(partials(u, v))
        got = expect_call(solution, (u, v), expected, likely=likely)
        if index == 0:
            expect_same_again(solution, (u, v))  # first: a leaf kept between calls spoils the probe's call too
            if names:
                orders = [1 if name else None for name in names]
                expect_scaling(solution, got, orders, "return what autograd computed for it", names)


@pytest.mark.exercise("partial_derivatives.lab_partials")
def test_lab_partials(solution):
    wrong = {
        "swapped: return (∂f/∂u, ∂f/∂v), that is (u.grad, v.grad)": lambda u, v: (u, v + 2 * u),
        "the partials of u·v alone: the u² term is missing": lambda u, v: (v, u),
    }
    expect_partials(
        solution,
        lambda u, v: (v + 2 * u, u),
        wrong,
        (1.0, 2.0),
        (-1.5, 0.5),
        (0.0, -1.0),
        example=(1.0, 2.0),
        seed=4,
        names=("∂f/∂u", "∂f/∂v"),
    )


@pytest.mark.exercise("partial_derivatives.practice_du")
def test_practice_du(solution):
    wrong = {
        "∂f/∂v (u + 2u²v), not ∂f/∂u: return u.grad": lambda u, v: u + 2 * u**2 * v,
        "2v, the slope in u of u·v + u·v: the square of u·v is missing": lambda u, v: 2 * v,
    }
    expect_partials(
        solution,
        lambda u, v: v + 2 * u * v**2,
        wrong,
        (2.0, 1.0),
        (0.5, -2.0),
        (-1.0, 0.25),
        example=(2.0, 1.0),
        seed=5,
    )


@pytest.mark.exercise("partial_derivatives.practice_dv")
def test_practice_dv(solution):
    wrong = {
        "∂f/∂u (v + 2uv²), not ∂f/∂v: return v.grad": lambda u, v: v + 2 * u * v**2,
        "u + u², the slope in v of u·v + u²·v: (u·v)² squares v as well as u": lambda u, v: u + u**2,
    }
    expect_partials(
        solution,
        lambda u, v: u + 2 * u**2 * v,
        wrong,
        (2.0, 1.0),
        (0.5, -2.0),
        (-1.0, 0.25),
        example=(2.0, 1.0),
        seed=6,
    )


def partials_of(f, pick):
    """A learner-style solution: autograd through f(u, v), then `pick` chooses what to return from (u, v)."""

    def solve(u, v):
        u = torch.tensor(u, requires_grad=True)
        v = torch.tensor(v, requires_grad=True)
        f(u, v).backward()
        return pick(u.grad, v.grad)

    return solve


def lab_f(u, v):
    return u * v + u**2


def practice_f(u, v):
    return u * v + (u * v) ** 2


def du_by_autograd_dv_typed_in(u, v):
    """Skips half the lesson: ∂f/∂u from autograd, ∂f/∂v = u written down because it looked easy."""
    tu = torch.tensor(u, requires_grad=True)
    lab_f(tu, torch.tensor(v)).backward()
    return tu.grad, torch.tensor(u)


def lab_partials_on_shared_leaves():
    """Leaves made once and reused: each call's backward() adds into the .grad the last call left."""
    u, v = torch.tensor(0.0, requires_grad=True), torch.tensor(0.0, requires_grad=True)

    def solve(u_value, v_value):
        with torch.no_grad():
            u.fill_(u_value)
            v.fill_(v_value)
        lab_f(u, v).backward()
        return u.grad.clone(), v.grad.clone()

    return solve


lab_partials_near_misses = rejects(
    test_lab_partials,
    NearMiss("swapped", partials_of(lab_f, lambda du, dv: (dv, du)), "swapped: return"),
    NearMiss("only-du", partials_of(lab_f, lambda du, dv: du), "expected a tuple"),
    NearMiss("dropped-square", partials_of(lambda u, v: u * v, lambda du, dv: (du, dv)), "the u² term is missing"),
    NearMiss("dv-typed-in", du_by_autograd_dv_typed_in, "∂f/∂v is right, but autograd did not make it"),
    NearMiss(
        "closed-form-beside-backward",
        beside_backward(lambda u, v: (torch.tensor(v + 2 * u), torch.tensor(u))),
        "autograd did not make it",
    ),
    NearMiss("shared-leaves", lab_partials_on_shared_leaves(), "called twice.*make the leaf afresh"),
    NearMiss("lab-constants", lambda u, v: (torch.tensor(4.0), torch.tensor(1.0)), "autograd never ran"),
)
practice_du_near_misses = rejects(
    test_practice_du,
    NearMiss("lab-constant", lambda u, v: torch.tensor(5.0), "autograd never ran"),
    NearMiss("dropped-square", partials_of(lambda u, v: u * v + u * v, lambda du, dv: du), "square of u·v is missing"),
    NearMiss("returns-dv", partials_of(practice_f, lambda du, dv: dv), r"not ∂f/∂u: return u\.grad"),
    NearMiss(
        "closed-form-beside-backward", beside_backward(lambda u, v: torch.tensor(v + 2 * u * v**2)), "did not make it"
    ),
    NearMiss("float64", lambda u, v: partials_of(practice_f, lambda du, dv: du)(u, v).double(), r"\.double\(\)"),
)
practice_dv_near_misses = rejects(
    test_practice_dv,
    NearMiss("returns-du", partials_of(practice_f, lambda du, dv: du), r"not ∂f/∂v: return v\.grad"),
    NearMiss("squares-u-only", partials_of(lambda u, v: u * v + u**2 * v, lambda du, dv: dv), "squares v as well"),
    NearMiss("returns-both", partials_of(practice_f, lambda du, dv: (du, dv)), "got tuple"),
    NearMiss(
        "closed-form-beside-backward", beside_backward(lambda u, v: torch.tensor(u + 2 * u**2 * v)), "did not make it"
    ),
    NearMiss("lab-constant", lambda u, v: torch.tensor(10.0), "autograd never ran"),
)
