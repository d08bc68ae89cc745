"""Module 7, higher-order derivatives: closed forms at fixed, random and float64 points, and near misses."""

import math

import numpy as np
import pytest
import torch
from numpy.polynomial import polynomial

from tests.kata.checks import NearMiss, cube, expect_call, fail, point_pairs, random_tensor, rejects
from tests.kata.solution import short_repr


def grids() -> list[torch.Tensor]:
    """A fixed float32 grid through 0, and a seeded-random float64 one (the dtype must carry through)."""
    return [torch.tensor([-1.0, 0.0, 0.5, 2.0]), random_tensor(5, seed=72, dtype=torch.float64)]


def quartic(t):
    return t**4 - 2 * t


def expect_grad_untouched(solution, which_grad: str, leaf: torch.Tensor) -> None:
    if leaf.grad is not None:
        fail(
            f"{solution.call}: the value is right, but {which_grad} is {short_repr(leaf.grad)}, not None: "
            "backward() stores gradients in .grad; torch.autograd.grad returns them and writes no .grad"
        )


@pytest.mark.exercise("higher_order.first_derivative")
def test_first_derivative(solution):
    weight = torch.tensor(1.5, requires_grad=True)  # a model's weight inside f: its .grad must stay None too

    def weighted(t):
        return weight * t**2 + torch.exp(t)

    cases = [(cube, lambda t: 3 * t**2), (torch.sin, torch.cos), (weighted, lambda t: 3 * t + torch.exp(t))]
    for f, derivative in cases:
        for x in grids():
            leaf = x.clone().requires_grad_()
            expect_call(solution, (f, leaf), derivative(x))
            expect_grad_untouched(solution, "the .grad of the weight inside f", weight)


SECOND_DERIVATIVES = [  # f, f', f''
    (cube, lambda t: 3 * t**2, lambda t: 6 * t),
    (torch.sin, torch.cos, lambda t: -torch.sin(t)),
    (quartic, lambda t: 4 * t**3 - 2, lambda t: 12 * t**2),
    (torch.tanh, lambda t: 1 - torch.tanh(t) ** 2, lambda t: -2 * torch.tanh(t) * (1 - torch.tanh(t) ** 2)),
]


@pytest.mark.exercise("higher_order.second_derivative")
def test_second_derivative(solution):
    for f, first, second in SECOND_DERIVATIVES:
        for x in grids():
            expect_call(solution, (f, x), second(x), likely={"the first derivative f', not f''": first(x)})


NTH_DERIVATIVES = [  # coefficients and the n to test: up to two past the degree, where every derivative is 0
    ([1.0, 0.0, 0.0, 2.0], [1, 2, 3, 4, 5]),
    ([5.0], [1, 2]),
]


def polynomial_derivative(coefficients: list[float], x: torch.Tensor, n: int) -> torch.Tensor:
    values = polynomial.polyval(x.double().numpy(), polynomial.polyder(coefficients, n))
    return torch.from_numpy(np.asarray(values)).to(x.dtype)


def expect_nth_derivative(solution, coefficients: list[float], x: torch.Tensor, n: int) -> None:
    expect_call(
        solution,
        (coefficients, x, n),
        polynomial_derivative(coefficients, x, n),
        likely={
            "the (n-1)-th derivative: one grad call too few": polynomial_derivative(coefficients, x, n - 1),
            "0 everywhere: a derivative taken without create_graph=True looks constant": torch.zeros_like(x),
        },
    )


@pytest.mark.exercise("higher_order.nth_derivative")
def test_nth_derivative(solution):
    fixed, other = grids()
    for coefficients, orders in NTH_DERIVATIVES:
        for n in orders:
            expect_nth_derivative(solution, coefficients, fixed, n)
        expect_nth_derivative(solution, coefficients, other, 2)


def uv_plus_u2(u, v):
    return u * v + u**2


def u2_v3(u, v):
    return u**2 * v**3


def sin_uv(u, v):
    return torch.sin(u * v)


def exp_u_times_v2(u, v):
    return torch.exp(u) * v**2


def separable(u, v):
    return u**3 + v**2


MIXED_PARTIALS = [  # f(u, v), ∂²f/∂u∂v and ∂²f/∂u²; the separable f last, as it needs a step of its own
    (uv_plus_u2, lambda u, v: 1.0, lambda u, v: 2.0),
    (u2_v3, lambda u, v: 6 * u * v**2, lambda u, v: 2 * v**3),
    (sin_uv, lambda u, v: math.cos(u * v) - u * v * math.sin(u * v), lambda u, v: -(v**2) * math.sin(u * v)),
    (exp_u_times_v2, lambda u, v: 2 * v * math.exp(u), lambda u, v: math.exp(u) * v**2),
    (separable, lambda u, v: 0.0, lambda u, v: 6 * u),
]


@pytest.mark.exercise("higher_order.mixed_partial")
def test_mixed_partial(solution):
    for f, mixed, twice_in_u in MIXED_PARTIALS:
        for u, v in point_pairs((1.0, 2.0), count=1, seed=73, low=-2.0, high=2.0):
            expect_call(
                solution,
                (f, u, v),
                torch.tensor(mixed(u, v), dtype=torch.float32),
                likely={
                    "∂²f/∂u², not ∂²f/∂u∂v: the second grad is with respect to v": twice_in_u(u, v),
                },
            )


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def p0_squared_p1(p):
    return p[0] ** 2 * p[1]


def sin_cos(p):
    return torch.sin(p[0]) * torch.cos(p[1])


HESSIANS = [  # f(p) and its Hessian at p = (a, b)
    (p0_squared_p1, lambda a, b: [[2 * b, 2 * a], [2 * a, 0.0]]),
    (rosenbrock, lambda a, b: [[2 - 400 * (b - a**2) + 800 * a**2, -400 * a], [-400 * a, 200.0]]),
    (
        sin_cos,
        lambda a, b: [
            [-math.sin(a) * math.cos(b), -math.cos(a) * math.sin(b)],
            [-math.cos(a) * math.sin(b), -math.sin(a) * math.cos(b)],
        ],
    ),
]


@pytest.mark.exercise("higher_order.hessian_matrix")
def test_hessian_matrix(solution):
    for f, hessian in HESSIANS:
        for point in [torch.tensor([1.0, 2.0]), random_tensor(2, seed=75, scale=2, dtype=torch.float64)]:
            expected = torch.tensor(hessian(*point.tolist()), dtype=point.dtype)
            expect_call(solution, (f, point), expected, rtol=1e-4)


def slope_by(**grad_options):
    """A learner-style first derivative: torch.autograd.grad of f(x).sum(), returned as it comes."""
    return lambda f, x: torch.autograd.grad(f(x).sum(), x, **grad_options)


def first_only(f, x):
    x = x.clone().requires_grad_()
    return torch.autograd.grad(f(x).sum(), x)[0]


def first_by_backward(f, x):
    f(x).sum().backward()
    return x.grad.clone()


def first_by_backward_on_a_copy(f, x):
    copy = x.detach().requires_grad_()
    f(copy).sum().backward()
    return copy.grad


def twice(first_create_graph=True, second_create_graph=False, reduce_slope=torch.sum):
    """A learner-style second derivative: grad of f(x).sum(), then grad of reduce_slope(f'(x))."""

    def solve(f, x):
        x = x.clone().requires_grad_()
        (slope,) = torch.autograd.grad(f(x).sum(), x, create_graph=first_create_graph)
        (curvature,) = torch.autograd.grad(reduce_slope(slope), x, create_graph=second_create_graph)
        return curvature

    return solve


def repeated_grad(times=lambda n: n, coefficients_of=lambda c: c, create_graph=True, stop_at_constant=True):
    """A learner-style n-th derivative: differentiate the polynomial times(n) times."""

    def solve(coefficients, x, n):
        x = x.clone().requires_grad_()
        derivative = sum(c * x**k for k, c in enumerate(coefficients_of(coefficients)))
        for _ in range(times(n)):
            if stop_at_constant and not derivative.requires_grad:
                return torch.zeros_like(x)
            (derivative,) = torch.autograd.grad(derivative.sum(), x, create_graph=create_graph)
        return derivative.detach()

    return solve


def mixed_by(second_wrt="v", create_graph=True, **second_options):
    """A learner-style mixed partial: ∂f/∂u, then its derivative with respect to `second_wrt`."""

    def solve(f, u, v):
        u = torch.tensor(u, requires_grad=True)
        v = torch.tensor(v, requires_grad=True)
        (du,) = torch.autograd.grad(f(u, v), u, create_graph=create_graph)
        return torch.autograd.grad(du, {"u": u, "v": v}[second_wrt], **second_options)[0]

    return solve


def first_partial(f, u, v):
    u = torch.tensor(u, requires_grad=True)
    return torch.autograd.grad(f(u, torch.tensor(v, requires_grad=True)), u)[0]


def hessian_rows(create_graph=True, retain_graph=True):
    """A learner-style Hessian: the gradient, then one grad call per row of it."""

    def solve(f, point):
        p = point.clone().requires_grad_()
        (gradient,) = torch.autograd.grad(f(p), p, create_graph=create_graph)
        return torch.stack([torch.autograd.grad(g, p, retain_graph=retain_graph)[0] for g in gradient])

    return solve


def hessian_by_sum_trick(f, point):
    p = point.clone().requires_grad_()
    (gradient,) = torch.autograd.grad(f(p), p, create_graph=True)
    return torch.autograd.grad(gradient.sum(), p)[0]


first_derivative_near_misses = rejects(
    test_first_derivative,
    NearMiss("backward-fills-x-grad", first_by_backward, "changed the caller's x: .grad None -> set"),
    NearMiss("backward-on-a-copy", first_by_backward_on_a_copy, "the .grad of the weight inside f is"),
    NearMiss("create-graph", lambda f, x: slope_by(create_graph=True)(f, x)[0], "attached to the graph"),
    NearMiss("no-sum", lambda f, x: torch.autograd.grad(f(x), x)[0], "only for scalar outputs"),
    NearMiss("returns-the-tuple", slope_by(), "got tuple"),
)
second_derivative_near_misses = rejects(
    test_second_derivative,
    NearMiss("no-create-graph", twice(first_create_graph=False), "does not require grad"),
    NearMiss("first-derivative", first_only, "the first derivative"),
    NearMiss("attached", twice(second_create_graph=True), "attached to the graph"),
    NearMiss("no-sum-second", twice(reduce_slope=torch.ravel), "only for scalar outputs"),
)
nth_derivative_near_misses = rejects(
    test_nth_derivative,
    NearMiss("one-too-few", repeated_grad(times=lambda n: n - 1), "one grad call too few"),
    NearMiss("no-create-graph", repeated_grad(create_graph=False), "without create_graph=True looks constant"),
    NearMiss("crash-past-degree", repeated_grad(stop_at_constant=False), "does not require grad"),
    NearMiss("highest-degree-first", repeated_grad(coefficients_of=lambda c: c[::-1]), "expected"),
)
mixed_partial_near_misses = rejects(
    test_mixed_partial,
    NearMiss("second-in-u", mixed_by("u"), "the second grad is with respect to v"),
    NearMiss("no-create-graph", mixed_by(create_graph=False), "does not require grad"),
    NearMiss("separable-unhandled", mixed_by(), "allow_unused"),
    NearMiss("unused-returns-none", mixed_by(allow_unused=True), "got None"),
    NearMiss("first-partial", first_partial, "expected"),
)
hessian_matrix_near_misses = rejects(
    test_hessian_matrix,
    NearMiss("gradient-only", first_only, "expected shape \\[2, 2\\], got \\[2\\]"),
    NearMiss("sum-trick-row-sums", hessian_by_sum_trick, "expected shape \\[2, 2\\], got \\[2\\]"),
    NearMiss("no-create-graph", hessian_rows(create_graph=False), "does not require grad"),
    NearMiss("no-retain-graph", hessian_rows(retain_graph=False), "second time"),
    NearMiss("float32-always", lambda f, p: hessian_rows()(f, p.float()), "dtype"),
)
