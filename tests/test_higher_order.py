"""Module 7, higher-order derivatives: closed forms at fixed, random and float64 points, and near misses."""

import math

import numpy as np
import pytest
import torch
from numpy.polynomial import polynomial

from tests.kata.checks import (
    Mechanic,
    NearMiss,
    cube,
    differentiating,
    expect_call,
    expect_scaling,
    fail,
    point_pairs,
    random_tensor,
    rejects,
)
from tests.kata.solution import short_repr


def grids() -> list[torch.Tensor]:
    """A fixed float32 grid through 0, and a seeded-random float64 one (the dtype must carry through)."""
    return [torch.tensor([-1.0, 0.0, 0.5, 2.0]), random_tensor(5, seed=72, dtype=torch.float64)]


def quartic(t):
    return t**4 - 2 * t


def only_autograd_grad(task: str) -> Mechanic:
    """The task names torch.autograd.grad: every differentiating call is one, neither backward() nor forward mode."""

    def problem(calls) -> str | None:
        others = sorted({call.api for call in differentiating(calls) if call.api != "autograd.grad"})
        if not others:
            return None
        if "dual number" in others:
            return f"it came from forward mode (dual numbers, torch.func.jvp or jacfwd); {task}"
        return f"it ran backward(), which writes .grad; {task}"

    return Mechanic(problem)


BY_AUTOGRAD_GRAD = "this exercise is about torch.autograd.grad, which returns the gradient and writes no .grad"
TWICE_BY_AUTOGRAD_GRAD = "this exercise is about torch.autograd.grad twice, the first with create_graph=True"


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
            expect_call(solution, (f, leaf), derivative(x), mechanics=(only_autograd_grad(BY_AUTOGRAD_GRAD),))
            expect_grad_untouched(solution, "the .grad of the weight inside f", weight)
    # An x that comes with a .grad of its own, from an earlier backward(): it stays as it was too.
    leaf = grids()[0].requires_grad_()
    leaf.grad = torch.full_like(leaf, 7.0)
    expect_call(solution, (cube, leaf), 3 * leaf.detach() ** 2, mechanics=(only_autograd_grad(BY_AUTOGRAD_GRAD),))


SECOND_DERIVATIVES = [  # f, f', f''
    (cube, lambda t: 3 * t**2, lambda t: 6 * t),
    (torch.sin, torch.cos, lambda t: -torch.sin(t)),
    (quartic, lambda t: 4 * t**3 - 2, lambda t: 12 * t**2),
    (torch.tanh, lambda t: 1 - torch.tanh(t) ** 2, lambda t: -2 * torch.tanh(t) * (1 - torch.tanh(t) ** 2)),
]


@pytest.mark.exercise("higher_order.second_derivative")
def test_second_derivative(solution):
    for f, first, second in SECOND_DERIVATIVES:
        for index, x in enumerate(grids()):
            got = expect_call(
                solution,
                (f, x),
                second(x),
                likely={"the first derivative f', not f''": first(x)},
                mechanics=(only_autograd_grad(TWICE_BY_AUTOGRAD_GRAD),),
            )
            if f is cube and index == 0:  # once a test, as the probe runs the call again
                expect_scaling(solution, got, 2, TWICE_BY_AUTOGRAD_GRAD)


NTH_DERIVATIVES = [  # coefficients and the n to test: up to two past the degree, where every derivative is 0
    ([1.0, 0.0, 0.0, 2.0], [1, 2, 3, 4, 5]),
    # repeated and zero coefficients: powers taken from coefficients.index(c) go wrong here
    ([1.0, 2.0, 2.0, 0.0, 1.0], [1, 3]),
    ([5.0], [1, 2]),
]

NTH_BY_AUTOGRAD = "this exercise is about differentiating each derivative again (create_graph=True, or torch.func)"


def coefficients_by_index(coefficients: list[float]) -> list[float]:
    """The polynomial a learner builds with the power of c taken as coefficients.index(c): repeats share one."""
    wrong = [0.0] * len(coefficients)
    for c in coefficients:
        wrong[coefficients.index(c)] += c
    return wrong


def polynomial_derivative(coefficients: list[float], x: torch.Tensor, n: int) -> torch.Tensor:
    values = polynomial.polyval(x.double().numpy(), polynomial.polyder(coefficients, n))
    return torch.from_numpy(np.asarray(values)).to(x.dtype)


def expect_nth_derivative(solution, coefficients: list[float], x: torch.Tensor, n: int, probe: bool) -> None:
    degree = len(coefficients) - 1
    got = expect_call(
        solution,
        (coefficients, x, n),
        polynomial_derivative(coefficients, x, n),
        likely={
            "the (n-1)-th derivative: one grad call too few": polynomial_derivative(coefficients, x, n - 1),
            "0 everywhere: a derivative taken without create_graph=True looks constant": torch.zeros_like(x),
            "the coefficients taken highest degree first: they come lowest degree first, c₀ first": (
                polynomial_derivative(coefficients[::-1], x, n)
            ),
            "the powers from coefficients.index(c): repeated coefficients get the first one's power; "
            "enumerate(coefficients) gives each its own": polynomial_derivative(
                coefficients_by_index(coefficients), x, n
            ),
        },
        # Past the degree the docstring gives the answer, 0: a shortcut to torch.zeros_like(x) may skip autograd.
        autograd=True if n <= degree else None,
    )
    if probe and 2 <= n <= degree:  # expect_answer's own probe looks at one call: a first derivative
        expect_scaling(solution, got, n, NTH_BY_AUTOGRAD)


@pytest.mark.exercise("higher_order.nth_derivative")
def test_nth_derivative(solution):
    fixed, other = grids()
    for coefficients, orders in NTH_DERIVATIVES:
        for n in orders:  # the first derivative past the first of each polynomial: differentiated n times?
            expect_nth_derivative(solution, coefficients, fixed, n, probe=n == orders[1])
        expect_nth_derivative(solution, coefficients, other, orders[1], probe=False)


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


MIXED_PARTIALS = [  # f(u, v), ∂²f/∂v∂u, ∂²f/∂u² and ∂f/∂u; the separable f last, as it needs a step of its own
    (uv_plus_u2, lambda u, v: 1.0, lambda u, v: 2.0, lambda u, v: v + 2 * u),
    (u2_v3, lambda u, v: 6 * u * v**2, lambda u, v: 2 * v**3, lambda u, v: 2 * u * v**3),
    (
        sin_uv,
        lambda u, v: math.cos(u * v) - u * v * math.sin(u * v),
        lambda u, v: -(v**2) * math.sin(u * v),
        lambda u, v: v * math.cos(u * v),
    ),
    (
        exp_u_times_v2,
        lambda u, v: 2 * v * math.exp(u),
        lambda u, v: math.exp(u) * v**2,
        lambda u, v: math.exp(u) * v**2,
    ),
    (separable, lambda u, v: 0.0, lambda u, v: 6 * u, lambda u, v: 3 * u**2),
]

MIXED_BY_AUTOGRAD = "this exercise is about differentiating ∂f/∂u itself (create_graph=True, or torch.func)"


@pytest.mark.exercise("higher_order.mixed_partial")
def test_mixed_partial(solution):
    for f, mixed, twice_in_u, in_u in MIXED_PARTIALS:
        for index, (u, v) in enumerate(point_pairs((1.0, 2.0), count=1, seed=73, low=-2.0, high=2.0)):
            got = expect_call(
                solution,
                (f, u, v),
                torch.tensor(mixed(u, v), dtype=torch.float32),
                likely={
                    "∂²f/∂u², not ∂²f/∂v∂u: the second grad is with respect to v": twice_in_u(u, v),
                    "∂f/∂u, the first partial: differentiate it once more, with respect to v": in_u(u, v),
                },
            )
            if f is uv_plus_u2 and index == 0:  # once a test, as the probe runs the call again
                expect_scaling(solution, got, 2, MIXED_BY_AUTOGRAD)


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def p0_squared_p1(p):
    return p[0] ** 2 * p[1]


def sin_cos(p):
    return torch.sin(p[0]) * torch.cos(p[1])


def partly_linear(p):
    return p[0] ** 2 + 3 * p[1]


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
    (partly_linear, lambda a, b: [[2.0, 0.0], [0.0, 0.0]]),  # ∂f/∂p₁ = 3 is constant: row 1 is 0
]

HESSIAN_BY_AUTOGRAD = "this exercise is about differentiating the gradient itself (create_graph=True, or torch.func)"
HESSIAN_SHAPES = {
    (2,): "one vector, not the 2 × 2 matrix: the gradient, or the sum trick on it (the Hessian's row sums); "
    "differentiate each entry ∂f/∂pᵢ of the gradient for row i",
}


@pytest.mark.exercise("higher_order.hessian_matrix")
def test_hessian_matrix(solution):
    for f, hessian in HESSIANS:
        for index, point in enumerate(
            [torch.tensor([1.0, 2.0]), random_tensor(2, seed=75, scale=2, dtype=torch.float64)]
        ):
            expected = torch.tensor(hessian(*point.tolist()), dtype=point.dtype)
            got = expect_call(
                solution,
                (f, point),
                expected,
                shapes=HESSIAN_SHAPES,
                **({"rtol": 1e-4} if point.dtype == torch.float32 else {}),
            )
            if f is p0_squared_p1 and index == 0:  # once a test, as the probe runs the call again
                expect_scaling(solution, got, 2, HESSIAN_BY_AUTOGRAD)


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


def first_by_forward_mode(f, x):
    """The tangent along ones: f' for an elementwise f, and no .grad written, but not torch.autograd.grad."""
    return torch.func.jvp(f, (x.detach(),), (torch.ones_like(x),))[1]


def second_by_finite_differences(f, x, h=1e-4):
    """A central difference of autograd's first derivatives, in float64: f'' to float32's precision, but nothing
    differentiated f' itself."""

    def slope(at):
        t = at.clone().requires_grad_()
        return torch.autograd.grad(f(t).sum(), t)[0]

    wide = x.double()
    return ((slope(wide + h) - slope(wide - h)) / (2 * h)).to(x.dtype)


def second_by_forward_over_forward(f, x):
    ones = torch.ones_like(x)
    return torch.func.jvp(lambda s: torch.func.jvp(f, (s,), (ones,))[1], (x,), (ones,))[1]


def nth_by_finite_differences(coefficients, x, n, h=1e-3):
    """p' by autograd, then n - 1 central differences of it, in float64: no derivative differentiated again."""

    def slope(at):
        t = at.clone().requires_grad_()
        p = sum(c * t**k for k, c in enumerate(coefficients))
        (d,) = torch.autograd.grad(p.sum(), t, allow_unused=True)
        return torch.zeros_like(at) if d is None else d

    def difference(order, at):
        if order == 0:
            return slope(at)
        return (difference(order - 1, at + h) - difference(order - 1, at - h)) / (2 * h)

    return difference(n - 1, x.double()).to(x.dtype)


def nth_by_index(coefficients, x, n):
    """The powers from coefficients.index(c): right while no coefficient repeats."""
    x = x.clone().requires_grad_()
    derivative = sum(c * x ** coefficients.index(c) for c in coefficients)
    for _ in range(n):
        if not derivative.requires_grad:
            return torch.zeros_like(x)
        (derivative,) = torch.autograd.grad(derivative.sum(), x, create_graph=True)
    return derivative.detach()


def mixed_by_finite_differences(f, u, v, h=1e-3):
    """∂f/∂u by autograd at v ± h, and their central difference in float64: ∂f/∂u itself never differentiated."""

    def in_u(at_v):
        tu = torch.tensor(u, dtype=torch.float64, requires_grad=True)
        return torch.autograd.grad(f(tu, torch.tensor(at_v, dtype=torch.float64)), tu)[0]

    return ((in_u(v + h) - in_u(v - h)) / (2 * h)).float()


def hessian_by_finite_differences(f, point, h=1e-5):
    """Central differences of autograd's gradients, in float64: the Hessian's numbers, no gradient differentiated."""

    def gradient_at(at):
        t = at.clone().requires_grad_()
        return torch.autograd.grad(f(t), t)[0]

    wide = point.double()
    rows = [(gradient_at(wide + h * e) - gradient_at(wide - h * e)) / (2 * h) for e in torch.eye(2, dtype=wide.dtype)]
    return torch.stack(rows).to(point.dtype)


first_derivative_near_misses = rejects(
    test_first_derivative,
    NearMiss("backward-fills-x-grad", first_by_backward, "changed the caller's x: .grad None -> set"),
    NearMiss("backward-on-a-copy", first_by_backward_on_a_copy, "it ran backward\\(\\), which writes .grad"),
    NearMiss("create-graph", lambda f, x: slope_by(create_graph=True)(f, x)[0], "attached to the graph"),
    NearMiss("no-sum", lambda f, x: torch.autograd.grad(f(x), x)[0], "only for scalar outputs"),
    NearMiss("returns-the-tuple", slope_by(), "got tuple"),
    NearMiss("forward-mode", first_by_forward_mode, "forward mode.*this exercise is about torch.autograd.grad"),
)
second_derivative_near_misses = rejects(
    test_second_derivative,
    NearMiss("no-create-graph", twice(first_create_graph=False), "does not require grad"),
    NearMiss("first-derivative", first_only, "the first derivative"),
    NearMiss("attached", twice(second_create_graph=True), "attached to the graph"),
    NearMiss("no-sum-second", twice(reduce_slope=torch.ravel), "only for scalar outputs"),
    NearMiss("finite-differences", second_by_finite_differences, "no derivative was differentiated again"),
    NearMiss("forward-over-forward", second_by_forward_over_forward, "forward mode.*torch.autograd.grad twice"),
)
nth_derivative_near_misses = rejects(
    test_nth_derivative,
    NearMiss("one-too-few", repeated_grad(times=lambda n: n - 1), "one grad call too few"),
    NearMiss("no-create-graph", repeated_grad(create_graph=False), "without create_graph=True looks constant"),
    NearMiss("crash-past-degree", repeated_grad(stop_at_constant=False), "does not require grad"),
    NearMiss("highest-degree-first", repeated_grad(coefficients_of=lambda c: c[::-1]), "lowest degree first"),
    NearMiss("power-from-index", nth_by_index, "coefficients.index\\(c\\)"),
    NearMiss("finite-differences", nth_by_finite_differences, "no derivative was differentiated again"),
    NearMiss("by-hand", polynomial_derivative, "autograd never ran"),
)
mixed_partial_near_misses = rejects(
    test_mixed_partial,
    NearMiss("second-in-u", mixed_by("u"), "the second grad is with respect to v"),
    NearMiss("no-create-graph", mixed_by(create_graph=False), "does not require grad"),
    NearMiss("separable-unhandled", mixed_by(), "allow_unused"),
    NearMiss("unused-returns-none", mixed_by(allow_unused=True), "got None.*allow_unused=True\\) gives None"),
    NearMiss("first-partial", first_partial, "the first partial: differentiate it once more"),
    NearMiss("finite-differences", mixed_by_finite_differences, "no derivative was differentiated again"),
)
hessian_matrix_near_misses = rejects(
    test_hessian_matrix,
    NearMiss("gradient-only", first_only, "got \\[2\\]: one vector, not the 2 × 2 matrix"),
    NearMiss("sum-trick-row-sums", hessian_by_sum_trick, "got \\[2\\]: one vector.*row sums"),
    NearMiss("no-create-graph", hessian_rows(create_graph=False), "does not require grad"),
    NearMiss("no-retain-graph", hessian_rows(retain_graph=False), "second time"),
    NearMiss("float32-always", lambda f, p: hessian_rows()(f, p.float()), "the float64 was lost"),
    NearMiss("finite-differences", hessian_by_finite_differences, "no derivative was differentiated again"),
)
