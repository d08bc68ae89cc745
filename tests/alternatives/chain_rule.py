"""Alternatives for exercises/chain_rule.py."""

from collections.abc import Callable

import torch
import torch.autograd.forward_ad as fwAD
from torch.func import grad as func_grad
from torch.func import jvp, vmap


def _fwd_slope(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    with fwAD.dual_level():
        d = fwAD.make_dual(x.detach(), torch.ones_like(x))
        tangent = fwAD.unpack_dual(f(d)).tangent
    return tangent.clone()


def _sin_sq(t: torch.Tensor) -> torch.Tensor:
    return torch.sin(t**2)


def _gauss(t: torch.Tensor) -> torch.Tensor:
    return torch.exp(-(t**2) / 2)


def _log1pexp(t: torch.Tensor) -> torch.Tensor:
    # built from torch.log and torch.exp, as the docstring asks
    return torch.log(1 + torch.exp(t))


# ---------------------------------------------------------------- sin_of_square_at: cos(x²)·2x
def sin_of_square_at__autograd_grad(x: torch.Tensor) -> torch.Tensor:
    t = x.detach().clone().requires_grad_()
    y = _sin_sq(t)
    (g,) = torch.autograd.grad(y, t, grad_outputs=torch.ones_like(y))
    return g


def sin_of_square_at__forward_dual(x: torch.Tensor) -> torch.Tensor:
    return _fwd_slope(lambda d: torch.sin(d * d), x)


def sin_of_square_at__vmap_func_grad(x: torch.Tensor) -> torch.Tensor:
    return vmap(func_grad(_sin_sq))(x.detach())


# ---------------------------------------------------------------- gaussian_at: −x·exp(−x²/2)
def gaussian_at__forward_jvp(x: torch.Tensor) -> torch.Tensor:
    _, tangent = jvp(_gauss, (x.detach(),), (torch.ones_like(x),))
    return tangent


def gaussian_at__backward_ones(x: torch.Tensor) -> torch.Tensor:
    t = torch.empty_like(x).copy_(x).requires_grad_()
    y = torch.exp(-0.5 * t * t)
    y.backward(torch.ones_like(y))
    return t.grad


def gaussian_at__jacobian_diagonal_forward(x: torch.Tensor) -> torch.Tensor:
    # the Jacobian of an elementwise map is diagonal; forward-mode, vectorized
    jac = torch.autograd.functional.jacobian(_gauss, x.detach(), strategy="forward-mode", vectorize=True)
    return torch.diagonal(jac).clone()


# -------------------------------------------------------- log_one_plus_exp_at: σ(x), built from torch.log and torch.exp
def log_one_plus_exp_at__autograd_grad(x: torch.Tensor) -> torch.Tensor:
    t = x.detach().clone().requires_grad_()
    (g,) = torch.autograd.grad(_log1pexp(t).sum(), t)
    return g


def log_one_plus_exp_at__forward_dual(x: torch.Tensor) -> torch.Tensor:
    return _fwd_slope(lambda d: torch.log(torch.exp(d) + 1.0), x)


def log_one_plus_exp_at__stable_where(x: torch.Tensor) -> torch.Tensor:
    # still only torch.log and torch.exp (plus where/clamp), rewritten so that no exp overflows:
    #   log(1 + eˣ) = x + log(1 + e⁻ˣ) for x > 0, and log(1 + eˣ) with x clamped to <= 0 elsewhere.
    # (Clamping the unused branch's input keeps its inf·0 = NaN out of the backward pass.)
    t = x.detach().clone().requires_grad_()
    pos = t > 0
    t_pos = torch.where(pos, t, torch.zeros_like(t))
    t_neg = torch.clamp(t, max=0.0)
    y = torch.where(pos, t_pos + torch.log(1 + torch.exp(-t_pos)), torch.log(1 + torch.exp(t_neg)))
    y.sum().backward()
    return t.grad


# -------------------------------------- sin_of_square_parts: (cos(x²), cos(x²)·2x), ONE backward(), retain_grad (named)
def sin_of_square_parts__ones_gradient(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    t = x.detach().clone().requires_grad_()
    u = t * t
    u.retain_grad()
    y = torch.sin(u)
    y.backward(torch.ones_like(y))
    return u.grad.clone(), t.grad.clone()


def sin_of_square_parts__square_sum(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    t = torch.empty_like(x).copy_(x).requires_grad_(True)
    u = torch.square(t)
    y = u.sin()
    u.retain_grad()  # still before backward()
    y.sum().backward()
    return u.grad, t.grad


def sin_of_square_parts__dot_ones(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    t = x.clone().detach().requires_grad_()
    u = t.pow(2)
    u.retain_grad()
    torch.dot(torch.sin(u), torch.ones_like(u)).backward()
    return u.grad.detach().clone(), t.grad.detach().clone()


# -------------------------------------------------------- chain_parts: (outer'(inner(x)), inner'(x), (outer∘inner)'(x))
def chain_parts__autograd_grad_three(
    outer: Callable[[torch.Tensor], torch.Tensor],
    inner: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    t = x.detach().clone().requires_grad_()
    u = inner(t)
    (du_dx,) = torch.autograd.grad(u.sum(), t, retain_graph=True)
    (dy_dx,) = torch.autograd.grad(outer(u).sum(), t)
    u_leaf = u.detach().requires_grad_()  # a fresh leaf at u = inner(x)
    (dy_du,) = torch.autograd.grad(outer(u_leaf).sum(), u_leaf)
    return dy_du, du_dx, dy_dx


def chain_parts__forward_duals(
    outer: Callable[[torch.Tensor], torch.Tensor],
    inner: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    xs = x.detach()
    with fwAD.dual_level():
        u_dual = inner(fwAD.make_dual(xs, torch.ones_like(xs)))
        u_p, du_dx = fwAD.unpack_dual(u_dual)
        dy_dx = fwAD.unpack_dual(outer(u_dual)).tangent  # tangent carried through both stages
        du_dx, dy_dx, u_p = du_dx.clone(), dy_dx.clone(), u_p.clone()
    with fwAD.dual_level():
        dy_du = fwAD.unpack_dual(outer(fwAD.make_dual(u_p, torch.ones_like(u_p)))).tangent.clone()
    return dy_du, du_dx, dy_dx


def chain_parts__vmap_func_grad(
    outer: Callable[[torch.Tensor], torch.Tensor],
    inner: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    xs = x.detach()
    u = inner(xs).detach()
    dy_du = vmap(func_grad(outer))(u)
    du_dx = vmap(func_grad(inner))(xs)
    dy_dx = vmap(func_grad(lambda s: outer(inner(s))))(xs)
    return dy_du, du_dx, dy_dx


def chain_parts__retain_grad_plus_one(
    outer: Callable[[torch.Tensor], torch.Tensor],
    inner: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    # one backward() through y gives dy/du (retained) and dy/dx; du/dx needs a pass of its own
    t = x.detach().clone().requires_grad_()
    u = inner(t)
    u.retain_grad()
    y = outer(u)
    y.backward(torch.ones_like(y), retain_graph=True)
    dy_du, dy_dx = u.grad.clone(), t.grad.clone()
    (du_dx,) = torch.autograd.grad(u, t, grad_outputs=torch.ones_like(u))
    return dy_du, du_dx, dy_dx


ALTERNATIVES = {
    "sin_of_square_at": [
        ("autograd-grad", sin_of_square_at__autograd_grad),
        ("forward-dual", sin_of_square_at__forward_dual),
        ("vmap-func-grad", sin_of_square_at__vmap_func_grad),
    ],
    "gaussian_at": [
        ("forward-jvp", gaussian_at__forward_jvp),
        ("backward-ones-gradient", gaussian_at__backward_ones),
        ("jacobian-diagonal-forward-mode", gaussian_at__jacobian_diagonal_forward),
    ],
    "log_one_plus_exp_at": [
        ("autograd-grad", log_one_plus_exp_at__autograd_grad),
        ("forward-dual", log_one_plus_exp_at__forward_dual),
        ("overflow-safe-where", log_one_plus_exp_at__stable_where),
    ],
    "sin_of_square_parts": [
        ("backward-ones-gradient", sin_of_square_parts__ones_gradient),
        ("square-sum-late-retain", sin_of_square_parts__square_sum),
        ("dot-ones", sin_of_square_parts__dot_ones),
    ],
    "chain_parts": [
        ("autograd-grad-three", chain_parts__autograd_grad_three),
        ("forward-duals", chain_parts__forward_duals),
        ("vmap-func-grad", chain_parts__vmap_func_grad),
        ("retain-grad-plus-one-pass", chain_parts__retain_grad_plus_one),
    ],
}
