"""Module 2, partial derivatives: both partials at the lab's points and seeded-random ones, and near misses."""

import pytest
import torch

from tests.kata.checks import NearMiss, expect_call, point_pairs, rejects, scalar


@pytest.mark.exercise("partial_derivatives.lab_partials")
def test_lab_partials(solution):
    for u, v in point_pairs((1.0, 2.0), (-1.5, 0.5), seed=4):
        expect_call(solution, (u, v), (scalar(v + 2 * u), scalar(u)))


@pytest.mark.exercise("partial_derivatives.practice_du")
def test_practice_du(solution):
    for u, v in point_pairs((2.0, 1.0), (0.5, -2.0), seed=5):
        expect_call(solution, (u, v), scalar(v + 2 * u * v**2))


@pytest.mark.exercise("partial_derivatives.practice_dv")
def test_practice_dv(solution):
    for u, v in point_pairs((2.0, 1.0), (0.5, -2.0), seed=6):
        expect_call(solution, (u, v), scalar(u + 2 * u**2 * v))


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


lab_partials_near_misses = rejects(
    test_lab_partials,
    NearMiss("swapped", partials_of(lab_f, lambda du, dv: (dv, du)), "expected"),
    NearMiss("only-du", partials_of(lab_f, lambda du, dv: du), "expected a tuple"),
    NearMiss("dropped-square", partials_of(lambda u, v: u * v, lambda du, dv: (du, dv)), "expected"),
)
practice_du_near_misses = rejects(
    test_practice_du,
    NearMiss("lab-constant", lambda u, v: torch.tensor(5.0), "autograd never ran"),
    NearMiss("dropped-square", partials_of(lambda u, v: u * v + u * v, lambda du, dv: du), "expected"),
    NearMiss("returns-dv", partials_of(practice_f, lambda du, dv: dv), "expected"),
)
practice_dv_near_misses = rejects(
    test_practice_dv,
    NearMiss("returns-du", partials_of(practice_f, lambda du, dv: du), "expected"),
    NearMiss("squares-u-only", partials_of(lambda u, v: u * v + u**2 * v, lambda du, dv: dv), "expected"),
    NearMiss("returns-both", partials_of(practice_f, lambda du, dv: (du, dv)), "got tuple"),
)
