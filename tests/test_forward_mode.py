"""Module 13, forward mode: closed forms at fixed, random and float64 points, the mode and number of passes each
task names (counted by the recorder), what a call builds on the way (a watch of its own), and near misses."""

import math
from collections.abc import Callable, Iterator

import pytest
import torch
import torch.autograd.forward_ad as fwAD
from torch.overrides import TorchFunctionMode

from tests.kata.checks import (
    Mechanic,
    NearMiss,
    coupled,
    coupled_jacobian,
    cube,
    expect_call,
    expect_inputs_untouched,
    expect_like,
    expect_made_by_autograd,
    fail,
    forward_mode,
    forward_passes,
    log_sum_exp,
    random_tensor,
    rejects,
    running_sum,
)
from tests.kata.solution import AutogradCall


def tensors_in(*values) -> Iterator[torch.Tensor]:
    for value in values:
        if isinstance(value, torch.Tensor):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from tensors_in(*value)
        elif isinstance(value, dict):
            yield from tensors_in(*value.values())


class Watch(TorchFunctionMode):
    """Around a solution's call, outside its recorder: which matrices of the given shapes it built, and in what
    order it made dual numbers, took gradients (inside a forward-AD level or not) and unpacked dual numbers."""

    def __init__(self, shapes: set[tuple[int, int]]) -> None:
        super().__init__()
        self.shapes = shapes
        self.built: tuple[int, ...] | None = None
        self.events: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if func in (torch.autograd.grad, torch.autograd.backward, torch.Tensor.backward):
            self.events.append("reverse in a dual level" if fwAD._current_level >= 0 else "reverse")
        elif name in ("_make_dual", "_unpack_dual"):
            self.events.append(name.strip("_"))
        result = func(*args, **kwargs)
        if self.built is None:
            for tensor in tensors_in(args, kwargs, result):
                if tensor.dim() == 2 and tuple(tensor.shape) in self.shapes:
                    self.built = tuple(tensor.shape)
                    break
        return result


def counted(f: Callable) -> Callable:
    """f, counting its calls in .calls, under f's own name for messages."""

    def call(t):
        call.calls += 1
        return f(t)

    call.calls = 0
    call.__name__ = f.__name__
    return call


# ---- value_and_derivative -----------------------------------------------------------------------------------


def damped(t):
    return t * torch.exp(-t)


ELEMENTWISE = [  # f, f'
    (cube, lambda t: 3 * t**2),
    (torch.sin, torch.cos),
    (torch.tanh, lambda t: 1 - torch.tanh(t) ** 2),
    (damped, lambda t: (1 - t) * torch.exp(-t)),
]


def grids() -> list[torch.Tensor]:
    """A fixed float32 grid through 0, and seeded-random float64 points (the dtype must carry through)."""
    return [torch.tensor([-1.5, 0.0, 0.5, 2.0]), random_tensor(5, seed=141, dtype=torch.float64)]


@pytest.mark.exercise("forward_mode.value_and_derivative")
@pytest.mark.timeout(60)  # a solution's first forward-mode or torch.func call imports more of torch: seconds, once
def test_value_and_derivative(solution):
    in_forward_mode = forward_mode("forward mode: f of a dual number, whose tangent is the derivative")
    for f, slope in ELEMENTWISE:
        for x in grids():
            watched = counted(f)
            got = solution(watched, x)
            calls = watched.calls
            if isinstance(got, (tuple, list)) and len(got) == 2 and got[1] is None:
                fail(
                    f"{solution.call}: the derivative came back None: after `with dual_level():` ends, unpack_dual "
                    "finds no tangent; unpack inside the block"
                )
            expected = (f(x), slope(x))
            expect_like(
                got,
                expected,
                solution.call,
                likely={
                    "the value twice: the primal for the derivative too; the tangent is the derivative": (
                        f(x),
                        f(x),
                    ),
                    "(f'(x), f(x)), swapped: the primal comes first": (slope(x), f(x)),
                    "a zero derivative: the tangent was 0; seed every point with 1, torch.ones_like(x)": (
                        f(x),
                        torch.zeros_like(x),
                    ),
                },
            )
            if calls != 1:
                fail(
                    f"{solution.call}: the values are right, but f ran {calls} times: one call on the dual number "
                    "carries the value and the derivative together, and unpack_dual gives both"
                )
            expect_inputs_untouched(solution)
            expect_made_by_autograd(solution, got, expected)
            in_forward_mode.expect(solution)


# ---- directional_derivative ---------------------------------------------------------------------------------


def sum_and_squares(t):
    return torch.stack([t.sum(), (t**2).sum()])


def times_sum(t):
    return t * t.sum()


VECTOR_FUNCTIONS = [  # f, its Jacobian at x, n: square and non-symmetric first, then tall, wide, elementwise
    (running_sum, lambda x: torch.tril(torch.ones(len(x), len(x), dtype=x.dtype)), 3),
    (times_sum, lambda x: torch.diag(x.sum().expand(len(x))) + x[:, None], 3),
    (coupled, coupled_jacobian, 3),
    (sum_and_squares, lambda x: torch.stack([torch.ones_like(x), 2 * x]), 5),
    (torch.sin, lambda x: torch.diag(torch.cos(x)), 4),
]


def points_for(n: int, seed: int) -> list[torch.Tensor]:
    fixed = torch.tensor([0.5, -1.0, 2.0, 1.5, -0.25][:n])
    return [fixed, random_tensor(n, seed=seed, dtype=torch.float64)]


@pytest.mark.exercise("forward_mode.directional_derivative")
@pytest.mark.timeout(60)  # a solution's first forward-mode or torch.func call imports more of torch: seconds, once
def test_directional_derivative(solution):
    mechanics = [
        forward_mode("J v in one forward-mode pass (torch.func.jvp, or a dual number with tangent v)"),
        forward_passes(1, "one jvp with tangent v gives J v; n jvps build the whole Jacobian"),
    ]
    for f, jacobian, n in VECTOR_FUNCTIONS:
        for x in points_for(n, seed=142):
            jac = jacobian(x)
            m = jac.shape[0]
            v = random_tensor(n, seed=143, dtype=x.dtype)
            likely = {
                "J·(1, …, 1): the tangent must be v": jac.sum(1),
                "f(x), the primal, not the tangent J v": f(x),
            }
            if m == n:
                likely["Jᵀv (vᵀJ), reverse mode's product: v weighs J's columns here, the inputs"] = jac.T @ v
            expected = jac @ v
            with Watch({(m, n), (n, m), (n, n), (m, m)}) as watch:
                expect_call(solution, (f, x, v), expected, mechanics=mechanics, likely=likely)
            if watch.built:
                fail(
                    f"{solution.call}: the value is right, but it built a {watch.built[0]} × {watch.built[1]} matrix "
                    "(the Jacobian, or its basis: n passes' work) to get J v: one jvp with tangent v gives it"
                )


# ---- jacobian_by_columns ------------------------------------------------------------------------------------


def transposed_shape(jac: torch.Tensor) -> dict[tuple[int, ...], str]:
    """expect_call's shapes= for a Jacobian: a non-square J's transpose, named before the shape check speaks."""
    if jac.shape[0] == jac.shape[1]:
        return {}
    return {
        tuple(jac.T.shape): "transposed, the columns stacked as rows; J eⱼ is column j: torch.stack(columns, dim=1)"
    }


@pytest.mark.exercise("forward_mode.jacobian_by_columns")
@pytest.mark.timeout(60)  # a solution's first forward-mode or torch.func call imports more of torch: seconds, once
def test_jacobian_by_columns(solution):
    in_forward_mode = forward_mode("the Jacobian in forward mode, a column per pass")
    for f, jacobian, n in VECTOR_FUNCTIONS[:4]:
        columns = forward_passes(
            n,
            f"one jvp per column, with tangent eⱼ (jacfwd, or jvp under vmap, batches all {n} into one call)",
        )
        for x in points_for(n, seed=144):
            jac = jacobian(x)
            likely = {
                "every column is J·(1, …, 1): column j's tangent is eⱼ alone, row j of torch.eye(n)": jac.sum(
                    1, keepdim=True
                ).expand_as(jac)
            }
            if n == jac.shape[0]:
                likely["transposed: J eⱼ is column j; torch.stack(columns, dim=1)"] = jac.T
            expect_call(
                solution,
                (f, x),
                jac,
                shapes=transposed_shape(jac),
                likely=likely,
                mechanics=(in_forward_mode, columns),
            )


# ---- cheaper_jacobian ---------------------------------------------------------------------------------------


def tall(t):
    return torch.stack([t[0], t[1], t[0] * t[1], t[0] ** 2, torch.sin(t[1])])


def tall_jacobian(x):
    a, b = x.tolist()
    return torch.tensor([[1, 0], [0, 1], [b, a], [2 * a, 0], [0, math.cos(b)]], dtype=x.dtype)


def loss_like(t):
    return (t**2).sum().reshape(1)


SHAPED_FUNCTIONS = [  # f, its Jacobian at x, n
    (tall, tall_jacobian, 2),
    (sum_and_squares, lambda x: torch.stack([torch.ones_like(x), 2 * x]), 5),
    (loss_like, lambda x: 2 * x[None, :], 4),
    (running_sum, lambda x: torch.tril(torch.ones(len(x), len(x), dtype=x.dtype)), 3),
]


def fewer_passes(n: int, m: int) -> Mechanic:
    """For f from n values to m: forward mode when n < m, reverse mode when m < n, either when square."""

    def problem(calls: list[AutogradCall]) -> str | None:
        modes = {call.mode for call in calls if call.mode}
        wrong = "reverse" if n < m else "forward" if m < n else None
        if wrong not in modes:
            return None
        right = {"reverse": "forward", "forward": "reverse"}[wrong]
        tool = {"forward": "torch.func.jacfwd", "reverse": "torch.func.jacrev"}[right]
        return (
            f"{wrong} mode ran: for f from n = {n} values to m = {m}, forward mode needs n = {n} passes (a jvp "
            f"per column) and reverse mode m = {m} (a vjp per row): {right} mode needs fewer, {tool}"
        )

    return Mechanic(problem)


@pytest.mark.exercise("forward_mode.cheaper_jacobian")
@pytest.mark.timeout(60)  # a solution's first forward-mode or torch.func call imports more of torch: seconds, once
def test_cheaper_jacobian(solution):
    for f, jacobian, n in SHAPED_FUNCTIONS:
        for x in points_for(n, seed=145):
            jac = jacobian(x)
            m = jac.shape[0]
            likely = {"transposed: row i of J is output i's gradient": jac.T} if m == n else {}
            expect_call(
                solution, (f, x), jac, shapes=transposed_shape(jac), likely=likely, mechanics=(fewer_passes(n, m),)
            )


# ---- hessian_vector_product ---------------------------------------------------------------------------------


def quartic_sum(t):
    return (t**4).sum()


def coupled_scalar(t):
    return t[0] ** 2 * t[1] + torch.sin(t[1]) * t[2]


def coupled_scalar_hessian(x):
    a, b, c = x.tolist()
    return torch.tensor([[2 * b, 2 * a, 0], [2 * a, -math.sin(b) * c, math.cos(b)], [0, math.cos(b), 0]], dtype=x.dtype)


def log_sum_exp_hessian(x):
    p = torch.softmax(x, 0)
    return torch.diag(p) - torch.outer(p, p)


SCALAR_FUNCTIONS = [  # f, its gradient, its Hessian at x, n
    (quartic_sum, lambda x: 4 * x**3, lambda x: torch.diag(12 * x**2), 4),
    (coupled_scalar, None, coupled_scalar_hessian, 3),
    (log_sum_exp, lambda x: torch.softmax(x, 0), log_sum_exp_hessian, 5),
]


def forward_over_reverse(events: list[str]) -> str | None:
    """What is wrong with the order of a call's autograd events for a jvp of the gradient, or None."""
    if "make_dual" not in events:
        return (
            "no forward mode ran: reverse over reverse (a gradient of a gradient with create_graph=True) gives "
            "H v too, but this exercise is forward-over-reverse, torch.func.jvp of torch.func.grad(f)"
        )
    if not any(event.startswith("reverse") for event in events):
        return (
            "no reverse-mode gradient ran, forward mode alone: here the jvp is of the gradient, "
            "torch.func.jvp(torch.func.grad(f), (x,), (v,))"
        )
    packed = False
    for event in events:
        if event == "make_dual":
            packed = True
        elif event == "unpack_dual":
            packed = False
        elif event == "reverse in a dual level" and packed:
            return None
    return (
        "it is reverse over forward: the gradient was taken of a forward-mode result, after its tangent was "
        "unpacked; here forward mode goes outside, the jvp of the gradient, "
        "torch.func.jvp(torch.func.grad(f), (x,), (v,))"
    )


@pytest.mark.exercise("forward_mode.hessian_vector_product")
@pytest.mark.timeout(60)  # a solution's first forward-mode or torch.func call imports more of torch: seconds, once
def test_hessian_vector_product(solution):
    for f, gradient, hessian, n in SCALAR_FUNCTIONS:
        for x in points_for(n, seed=146):
            hess = hessian(x)
            for v in (random_tensor(n, seed=147, dtype=x.dtype), torch.eye(n, dtype=x.dtype)[0]):
                likely = {"H·(1, …, 1): the tangent must be v": hess.sum(1)}
                if gradient is not None:
                    likely["∇f(x), the gradient, not H v: take the jvp of the gradient"] = gradient(x)
                expected = hess @ v
                with Watch({(n, n)}) as watch:
                    expect_call(solution, (f, x, v), expected, likely=likely, rtol=1e-4)
                problem = forward_over_reverse(watch.events)
                if problem:
                    fail(f"{solution.call}: the value is right, but {problem}")
                if watch.built:
                    fail(
                        f"{solution.call}: the value is right, but it built the whole {n} × {n} Hessian (n passes' "
                        "work) to multiply it by v: the jvp of the gradient gives H v without it"
                    )


# ---- Near misses --------------------------------------------------------------------------------------------


def dual_of(f, x, tangent):
    with fwAD.dual_level():
        out = fwAD.unpack_dual(f(fwAD.make_dual(x, tangent)))
        return out.primal, out.tangent


def unpacked_outside(f, x):
    with fwAD.dual_level():
        y = f(fwAD.make_dual(x, torch.ones_like(x)))
    out = fwAD.unpack_dual(y)
    return out.primal, out.tangent


def value_by_second_call(f, x):
    return f(x), dual_of(f, x, torch.ones_like(x))[1]


def sum_trick_pair(f, x):
    x = x.clone().requires_grad_()
    y = f(x)
    y.sum().backward()
    return y.detach(), x.grad


def jvps_combined(f, x, v):
    """Σⱼ vⱼ · J eⱼ: right, from n passes."""
    basis = torch.eye(len(x), dtype=x.dtype)
    return sum(v[j] * torch.func.jvp(f, (x,), (basis[j],))[1] for j in range(len(x)))


def vjp_of(f, x, v):
    """vᵀJ by reverse mode, where m = n; else it fails on the shapes."""
    return torch.func.vjp(f, x)[1](v)[0]


def columns_by(tangents, dim=1):
    def solve(f, x):
        basis = torch.eye(len(x), dtype=x.dtype)
        return torch.stack([torch.func.jvp(f, (x,), (tangents(basis, j),))[1] for j in range(len(x))], dim=dim)

    return solve


def rows_by_vjp(f, x):
    y, pull = torch.func.vjp(f, x)
    basis = torch.eye(len(y), dtype=x.dtype)
    return torch.stack([pull(basis[i])[0] for i in range(len(y))])


def double_backward(f, x, v):
    x = x.clone().requires_grad_()
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.autograd.grad(g @ v, x)[0]


def reverse_over_forward(f, x, v):
    return torch.func.grad(lambda t: torch.func.jvp(f, (t,), (v,))[1])(x)


def reverse_over_forward_by_hand(f, x, v):
    leaf = x.clone().requires_grad_()
    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(f(fwAD.make_dual(leaf, v))).tangent
        return torch.autograd.grad(tangent, leaf)[0]


jvp = torch.func.jvp

value_and_derivative_near_misses = rejects(
    test_value_and_derivative,
    NearMiss("reverse-sum-trick", sum_trick_pair, "came from reverse mode"),
    NearMiss("unpacked-outside-the-level", unpacked_outside, "unpack inside the block"),
    NearMiss("f-called-twice", value_by_second_call, "f ran 2 times"),
    NearMiss("zero-tangent", lambda f, x: dual_of(f, x, torch.zeros_like(x)), "the tangent was 0"),
    NearMiss("swapped", lambda f, x: dual_of(f, x, torch.ones_like(x))[::-1], "swapped"),
    NearMiss("primal-twice", lambda f, x: (dual_of(f, x, torch.ones_like(x))[0],) * 2, "the value twice"),
)
directional_derivative_near_misses = rejects(
    test_directional_derivative,
    NearMiss("jacrev-times-v", lambda f, x, v: torch.func.jacrev(f)(x) @ v, "came from reverse mode"),
    NearMiss("jacfwd-times-v", lambda f, x, v: torch.func.jacfwd(f)(x) @ v, "built a 3 × 3 matrix"),
    NearMiss("n-jvps-combined", jvps_combined, "ran 3 forward-mode passes"),
    NearMiss("vjp", vjp_of, "reverse mode's product"),
    NearMiss("functional-jvp", lambda f, x, v: torch.autograd.functional.jvp(f, x, v)[1], "came from reverse mode"),
    NearMiss("ones-tangent", lambda f, x, v: jvp(f, (x,), (torch.ones_like(x),))[1], "the tangent must be v"),
    NearMiss("primal", lambda f, x, v: jvp(f, (x,), (v,))[0], "the primal"),
)
jacobian_by_columns_near_misses = rejects(
    test_jacobian_by_columns,
    NearMiss("jacfwd", lambda f, x: torch.func.jacfwd(f)(x), "batches all 3 into one call"),
    NearMiss("rows-by-vjp", rows_by_vjp, "came from reverse mode"),
    NearMiss("stacked-as-rows", columns_by(lambda basis, j: basis[j], dim=0), "transposed"),
    NearMiss("jacrev", lambda f, x: torch.func.jacrev(f)(x), "came from reverse mode"),
    NearMiss("one-tangent-for-all", columns_by(lambda basis, j: basis.sum(0)), "column j's tangent is eⱼ alone"),
)
cheaper_jacobian_near_misses = rejects(
    test_cheaper_jacobian,
    NearMiss("always-jacrev", lambda f, x: torch.func.jacrev(f)(x), "forward mode needs fewer, torch.func.jacfwd"),
    NearMiss("always-jacfwd", lambda f, x: torch.func.jacfwd(f)(x), "reverse mode needs fewer, torch.func.jacrev"),
    NearMiss(
        "rule-reversed",
        lambda f, x: (torch.func.jacrev if len(x) < len(f(x)) else torch.func.jacfwd)(f)(x),
        "mode needs fewer",
    ),
    NearMiss("both", lambda f, x: (torch.func.jacfwd(f)(x) + torch.func.jacrev(f)(x)) / 2, "mode ran"),
    NearMiss("transposed", lambda f, x: torch.func.jacrev(f)(x).T, "transposed"),
)
hessian_vector_product_near_misses = rejects(
    test_hessian_vector_product,
    NearMiss("double-backward", double_backward, "no forward mode ran"),
    NearMiss("functional-hvp", lambda f, x, v: torch.autograd.functional.hvp(f, x, v)[1], "no forward mode ran"),
    NearMiss("reverse-over-forward", reverse_over_forward, "reverse over forward"),
    NearMiss("reverse-over-forward-by-hand", reverse_over_forward_by_hand, "reverse over forward"),
    NearMiss("whole-hessian", lambda f, x, v: torch.func.hessian(f)(x) @ v, "built the whole 4 × 4 Hessian"),
    NearMiss("gradient", lambda f, x, v: torch.func.grad(f)(x), "the gradient, not H v"),
    NearMiss("ones-tangent", lambda f, x, v: jvp(torch.func.grad(f), (x,), (torch.ones_like(x),))[1], "must be v"),
)
