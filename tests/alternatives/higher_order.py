"""Alternatives for exercises/higher_order.py."""

import warnings
from collections.abc import Callable

import torch
from torch.func import grad as func_grad
from torch.func import jvp, vmap


# ------------------------------------------------------ first_derivative: torch.autograd.grad (named), no .grad written
def first_derivative__grad_outputs_ones(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    y = f(x)
    (g,) = torch.autograd.grad(outputs=y, inputs=x, grad_outputs=torch.ones_like(y))
    return g.detach()


def first_derivative__fresh_leaf_sum(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    # differentiate at a fresh leaf holding x's values: x itself is left completely alone
    t = x.detach().clone().requires_grad_()
    (g,) = torch.autograd.grad(f(t).sum(), [t])
    return g


def first_derivative__per_point(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    # one torch.autograd.grad per point on a 1-element slice (f is elementwise); allow_unused + zeros
    # also cover an f that ignores its input
    out = torch.empty_like(x.detach())
    for i in range(x.shape[0]):
        t = x.detach()[i : i + 1].clone().requires_grad_()
        y = f(t)
        if not y.requires_grad:
            out[i] = 0
            continue
        (g,) = torch.autograd.grad(y.sum(), t, allow_unused=True)
        out[i] = 0 if g is None else g[0]
    return out


# ---------------------------------------------------------------- second_derivative: torch.autograd.grad twice (named)
def second_derivative__grad_outputs_ones(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    t = x.detach().requires_grad_()
    y = f(t)
    (g,) = torch.autograd.grad(y, t, grad_outputs=torch.ones_like(y), create_graph=True)
    (h,) = torch.autograd.grad(g, t, grad_outputs=torch.ones_like(g))
    return h.detach()


def second_derivative__sum_inputs_list(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    t = torch.empty_like(x).copy_(x).requires_grad_(True)
    g = torch.autograd.grad(f(t).sum(), inputs=[t], create_graph=True)[0]
    h = torch.autograd.grad(g.sum(), inputs=[t])[0]
    return h


def second_derivative__per_point(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    # a plain loop over the points, each a 0-dim leaf, torch.autograd.grad twice at each
    values = []
    for xi in x.detach():
        t = xi.clone().requires_grad_()
        (g,) = torch.autograd.grad(f(t), t, create_graph=True)
        (h,) = torch.autograd.grad(g, t)
        values.append(h)
    return torch.stack(values) if values else torch.empty_like(x.detach())


# ---------------------------------------------------------------- nth_derivative: p⁽ⁿ⁾(x)
def _poly(coefficients: list[float], t: torch.Tensor) -> torch.Tensor:
    """Horner: (((c_d)·t + c_{d−1})·t + …)·t + c₀, in t's dtype."""
    acc = torch.zeros_like(t)
    for c in reversed(coefficients):
        acc = acc * t + c
    return acc


def nth_derivative__autograd_grad_loop(coefficients: list[float], x: torch.Tensor, n: int) -> torch.Tensor:
    t = x.detach().clone().requires_grad_()
    d = _poly(coefficients, t)
    for _ in range(n):
        if not d.requires_grad:  # constant by now: every further derivative is 0
            return torch.zeros_like(x.detach())
        (d,) = torch.autograd.grad(d.sum(), t, create_graph=True, allow_unused=True)
        if d is None:
            return torch.zeros_like(x.detach())
    return d.detach()


def nth_derivative__nested_func_grad(coefficients: list[float], x: torch.Tensor, n: int) -> torch.Tensor:
    g = lambda s: _poly(coefficients, s)  # noqa: E731
    for _ in range(n):
        g = func_grad(g)
    return vmap(g)(x.detach())


def nth_derivative__nested_forward_jvp(coefficients: list[float], x: torch.Tensor, n: int) -> torch.Tensor:
    # forward mode nested n times: D(g)(t) = jvp of g at t along ones (g is elementwise)
    def derive(g: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[torch.Tensor], torch.Tensor]:
        return lambda s: jvp(g, (s,), (torch.ones_like(s),))[1].to(s.dtype)

    g = lambda s: _poly(coefficients, s)  # noqa: E731
    for _ in range(n):
        g = derive(g)
    return g(x.detach()).detach()


def nth_derivative__power_sum_backward_create_graph(coefficients: list[float], x: torch.Tensor, n: int) -> torch.Tensor:
    # p as Σ cₖ·xᵏ with powers; each derivative by backward(create_graph=True), read off .grad
    t = x.detach().clone().requires_grad_()
    d = sum((c * t**k for k, c in enumerate(coefficients)), torch.zeros_like(t))
    for _ in range(n):
        if not d.requires_grad:
            return torch.zeros_like(x.detach())
        t.grad = None
        with warnings.catch_warnings():  # backward(create_graph=True) warns of a .grad reference cycle,
            warnings.simplefilter("ignore", UserWarning)  # broken below by t.grad = None
            d.sum().backward(create_graph=True)
        d = t.grad if t.grad is not None else torch.zeros_like(t)
    t.grad = None
    return d.detach()


# ---------------------------------------------------------------- mixed_partial: ∂/∂v (∂f/∂u), float32
def mixed_partial__autograd_grad_allow_unused(
    f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], u: float, v: float
) -> torch.Tensor:
    tu = torch.tensor(u, dtype=torch.float32, requires_grad=True)
    tv = torch.tensor(v, dtype=torch.float32, requires_grad=True)
    (fu,) = torch.autograd.grad(f(tu, tv), tu, create_graph=True)
    if not fu.requires_grad:
        return torch.zeros((), dtype=torch.float32)
    (fuv,) = torch.autograd.grad(fu, tv, allow_unused=True)
    return torch.zeros((), dtype=torch.float32) if fuv is None else fuv.detach()


def mixed_partial__nested_func_grad(
    f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], u: float, v: float
) -> torch.Tensor:
    fu = func_grad(f, argnums=0)
    return func_grad(fu, argnums=1)(torch.tensor(u, dtype=torch.float32), torch.tensor(v, dtype=torch.float32))


def mixed_partial__forward_over_reverse(
    f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], u: float, v: float
) -> torch.Tensor:
    tu = torch.tensor(u, dtype=torch.float32)
    fu_of_v = lambda s: func_grad(f, argnums=0)(tu, s)  # noqa: E731
    _, fuv = jvp(fu_of_v, (torch.tensor(v, dtype=torch.float32),), (torch.tensor(1.0),))
    # torch.func.jvp can promote a 0-dim tangent to float64 (0-dim tensor × Python float): pin the dtype
    return fuv.to(torch.float32)


def mixed_partial__functional_hessian(
    f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], u: float, v: float
) -> torch.Tensor:
    # H[0, 1] = ∂/∂p₁ (∂f/∂p₀) for p = (u, v)
    point = torch.tensor([u, v], dtype=torch.float32)
    h = torch.autograd.functional.hessian(lambda p: f(p[0], p[1]), point)
    return h[0, 1].clone()


# ---------------------------------------------------------------- hessian_matrix: H[i, j] = ∂²f/∂pᵢ∂pⱼ
def hessian_matrix__func_hessian(f: Callable[[torch.Tensor], torch.Tensor], point: torch.Tensor) -> torch.Tensor:
    return torch.func.hessian(f)(point.detach()).to(point.dtype)  # hessian = jacfwd(jacrev): pin the dtype


def hessian_matrix__functional_hessian(f: Callable[[torch.Tensor], torch.Tensor], point: torch.Tensor) -> torch.Tensor:
    return torch.autograd.functional.hessian(f, point.detach())


def hessian_matrix__jacrev_jacrev(f: Callable[[torch.Tensor], torch.Tensor], point: torch.Tensor) -> torch.Tensor:
    return torch.func.jacrev(torch.func.jacrev(f))(point.detach())


def hessian_matrix__autograd_grad_rows(f: Callable[[torch.Tensor], torch.Tensor], point: torch.Tensor) -> torch.Tensor:
    p = point.detach().clone().requires_grad_()
    (g,) = torch.autograd.grad(f(p), p, create_graph=True)
    rows = []
    for i in range(p.shape[0]):
        if g[i].requires_grad:
            (row,) = torch.autograd.grad(g[i], p, retain_graph=True, allow_unused=True)
        else:
            row = None
        rows.append(torch.zeros_like(p) if row is None else row.detach())
    return torch.stack(rows)


def hessian_matrix__forward_over_reverse_columns(
    f: Callable[[torch.Tensor], torch.Tensor], point: torch.Tensor
) -> torch.Tensor:
    # column j = d/dε ∇f(p + ε eⱼ): a jvp of the gradient along each unit vector, batched by vmap
    p = point.detach()
    basis = torch.eye(p.shape[0], dtype=p.dtype)
    cols = vmap(lambda e: jvp(func_grad(f), (p,), (e,))[1])(basis)  # cols[j] = H[:, j]
    return cols.T.contiguous().to(point.dtype)


ALTERNATIVES = {
    "first_derivative": [
        ("autograd-grad-grad-outputs", first_derivative__grad_outputs_ones),
        ("autograd-grad-fresh-leaf", first_derivative__fresh_leaf_sum),
        ("autograd-grad-per-point", first_derivative__per_point),
    ],
    "second_derivative": [
        ("autograd-grad-grad-outputs", second_derivative__grad_outputs_ones),
        ("autograd-grad-sum-twice", second_derivative__sum_inputs_list),
        ("autograd-grad-per-point", second_derivative__per_point),
    ],
    "nth_derivative": [
        ("autograd-grad-loop-horner", nth_derivative__autograd_grad_loop),
        ("nested-func-grad-vmap", nth_derivative__nested_func_grad),
        ("nested-forward-jvp", nth_derivative__nested_forward_jvp),
        ("backward-create-graph-powers", nth_derivative__power_sum_backward_create_graph),
    ],
    "mixed_partial": [
        ("autograd-grad-allow-unused", mixed_partial__autograd_grad_allow_unused),
        ("nested-func-grad", mixed_partial__nested_func_grad),
        ("forward-over-reverse", mixed_partial__forward_over_reverse),
        ("functional-hessian-entry", mixed_partial__functional_hessian),
    ],
    "hessian_matrix": [
        ("func-hessian", hessian_matrix__func_hessian),
        ("functional-hessian", hessian_matrix__functional_hessian),
        ("jacrev-jacrev", hessian_matrix__jacrev_jacrev),
        ("autograd-grad-rows", hessian_matrix__autograd_grad_rows),
        ("forward-over-reverse-columns", hessian_matrix__forward_over_reverse_columns),
    ],
}
