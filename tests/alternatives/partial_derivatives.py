"""Alternatives for exercises/partial_derivatives.py."""

import torch
import torch.autograd.forward_ad as fwAD
from torch.func import grad as func_grad
from torch.func import jvp


def _lab(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return u * v + u**2


def _practice(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return u * v + (u * v) ** 2


def _f32(a: float) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float32)


# ---------------------------------------------------------------- lab_partials: (v + 2u, u)
def lab_partials__autograd_grad(u: float, v: float) -> tuple[torch.Tensor, torch.Tensor]:
    tu = _f32(u).requires_grad_()
    tv = _f32(v).requires_grad_()
    du, dv = torch.autograd.grad(_lab(tu, tv), (tu, tv))
    return du, dv


def lab_partials__func_grad_argnums(u: float, v: float) -> tuple[torch.Tensor, torch.Tensor]:
    du, dv = func_grad(_lab, argnums=(0, 1))(_f32(u), _f32(v))
    return du, dv


def lab_partials__one_vector_leaf(u: float, v: float) -> tuple[torch.Tensor, torch.Tensor]:
    # one leaf p = (u, v) of shape (2,), one backward(); the two entries of p.grad, as 0-dim copies
    p = torch.tensor([u, v], dtype=torch.float32, requires_grad=True)
    _lab(p[0], p[1]).backward()
    return p.grad[0].clone(), p.grad[1].clone()


def lab_partials__forward_two_jvps(u: float, v: float) -> tuple[torch.Tensor, torch.Tensor]:
    pu, pv = _f32(u), _f32(v)
    one, zero = torch.tensor(1.0), torch.tensor(0.0)
    _, du = jvp(_lab, (pu, pv), (one, zero))
    _, dv = jvp(_lab, (pu, pv), (zero, one))
    # torch.func.jvp can promote a 0-dim tangent to float64 (0-dim tensor × Python float): pin the dtype
    return du.to(torch.float32), dv.to(torch.float32)


# ---------------------------------------------------------------- practice_du: v + 2uv²
def practice_du__autograd_grad_u_only(u: float, v: float) -> torch.Tensor:
    tu = _f32(u).requires_grad_()
    tv = _f32(v)  # v is a constant here: only ∂f/∂u is asked for
    (du,) = torch.autograd.grad(_practice(tu, tv), tu)
    return du


def practice_du__forward_dual(u: float, v: float) -> torch.Tensor:
    with fwAD.dual_level():
        du_dual = fwAD.make_dual(_f32(u), torch.tensor(1.0))
        tangent = fwAD.unpack_dual(_practice(du_dual, _f32(v))).tangent
    return tangent.clone()


def practice_du__both_leaves_backward(u: float, v: float) -> torch.Tensor:
    tu = torch.full((), u, dtype=torch.float32, requires_grad=True)
    tv = torch.full((), v, dtype=torch.float32, requires_grad=True)
    y = _practice(tu, tv)
    y.backward(torch.ones_like(y))
    return tu.grad.detach().clone()


# ---------------------------------------------------------------- practice_dv: u + 2u²v
def practice_dv__func_grad_argnums1(u: float, v: float) -> torch.Tensor:
    return func_grad(_practice, argnums=1)(_f32(u), _f32(v))


def practice_dv__forward_jvp(u: float, v: float) -> torch.Tensor:
    pu = _f32(u)
    _, dv = jvp(lambda t: _practice(pu, t), (_f32(v),), (torch.tensor(1.0),))
    return dv.to(torch.float32)


def practice_dv__vector_leaf_autograd_grad(u: float, v: float) -> torch.Tensor:
    p = torch.tensor([u, v], dtype=torch.float32).requires_grad_()
    (g,) = torch.autograd.grad(_practice(p[0], p[1]), p)
    return g[1].clone()


ALTERNATIVES = {
    "lab_partials": [
        ("autograd-grad", lab_partials__autograd_grad),
        ("func-grad-argnums", lab_partials__func_grad_argnums),
        ("one-vector-leaf-backward", lab_partials__one_vector_leaf),
        ("forward-two-jvps", lab_partials__forward_two_jvps),
    ],
    "practice_du": [
        ("autograd-grad-u-only", practice_du__autograd_grad_u_only),
        ("forward-dual", practice_du__forward_dual),
        ("both-leaves-backward-ones", practice_du__both_leaves_backward),
    ],
    "practice_dv": [
        ("func-grad-argnums-1", practice_dv__func_grad_argnums1),
        ("forward-jvp", practice_dv__forward_jvp),
        ("vector-leaf-autograd-grad", practice_dv__vector_leaf_autograd_grad),
    ],
}
