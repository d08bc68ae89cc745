"""Alternatives for exercises/jacobians.py."""

from collections.abc import Callable

import torch
import torch.autograd.forward_ad as fwAD
from torch.func import grad as func_grad
from torch.func import vjp, vmap


# ---------------------------------------------------------------- gradient: ∇f(x)
def gradient__func_grad(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    return func_grad(f)(x.detach())


def gradient__jacfwd(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    # forward mode: n jvps, one per coordinate, batched; the Jacobian of a scalar f is its gradient
    # jacfwd can return float64 for a float32 x when f ends in a 0-dim tensor × Python float
    # (torch.func jvp type promotion, e.g. f = lambda t: t.sum() * 3.0): pin the dtype
    return torch.func.jacfwd(f)(x.detach()).to(x.dtype)


def gradient__forward_dual_per_coordinate(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    xs = x.detach()
    out = torch.empty_like(xs)
    basis = torch.eye(xs.shape[0], dtype=xs.dtype)
    for j in range(xs.shape[0]):
        with fwAD.dual_level():
            out[j] = fwAD.unpack_dual(f(fwAD.make_dual(xs, basis[j]))).tangent
    return out


def gradient__functional_vjp(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    _, g = torch.autograd.functional.vjp(f, x.detach())
    return g


# ---------------------------------------------------------------- vector_jacobian_product: vᵀJ, one backward pass
def vector_jacobian_product__autograd_grad_outputs(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    t = x.detach().clone().requires_grad_()
    (g,) = torch.autograd.grad(f(t), t, grad_outputs=v.detach())
    return g


def vector_jacobian_product__weighted_sum_backward(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    # vᵀJ is the gradient of the scalar Σᵢ vᵢ·f(x)ᵢ, with v held constant
    t = torch.empty_like(x).copy_(x).requires_grad_()
    torch.dot(v.detach(), f(t)).backward()
    return t.grad


def vector_jacobian_product__func_vjp(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    _, pullback = vjp(f, x.detach())
    (g,) = pullback(v.detach())
    return g


def vector_jacobian_product__backward_gradient_kw(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    t = x.detach().clone().requires_grad_(True)
    y = f(t)
    torch.autograd.backward(y, grad_tensors=v.detach())
    return t.grad.clone()


# ---------------------------------------------------------------- elementwise_jacobian: diag(f'(x)), one backward pass
def elementwise_jacobian__autograd_grad_diag(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> torch.Tensor:
    t = x.detach().clone().requires_grad_()
    y = f(t)
    (g,) = torch.autograd.grad(y, t, grad_outputs=torch.ones_like(y))
    return torch.diag(g)


def elementwise_jacobian__vjp_diag_embed(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    y, pullback = vjp(f, x.detach())
    (g,) = pullback(torch.ones_like(y))
    return torch.diag_embed(g)


def elementwise_jacobian__sum_backward_fill_diagonal(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> torch.Tensor:
    t = torch.empty_like(x).copy_(x).requires_grad_()
    f(t).sum().backward()
    n = x.shape[0]
    jac = torch.zeros((n, n), dtype=x.dtype)
    jac.diagonal().copy_(t.grad)
    return jac


# ---------------------------------------------------------------- jacobian_matrix: J (m × n)
def jacobian_matrix__functional_forward_mode(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> torch.Tensor:
    return torch.autograd.functional.jacobian(f, x.detach(), strategy="forward-mode", vectorize=True)


def jacobian_matrix__jacrev(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    return torch.func.jacrev(f)(x.detach())


def jacobian_matrix__jacfwd(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    return torch.func.jacfwd(f)(x.detach()).to(x.dtype)  # see gradient__jacfwd


def jacobian_matrix__autograd_grad_rows(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    # row i = gradient of output i, one backward pass per row (retain_graph between them)
    t = x.detach().clone().requires_grad_()
    y = f(t)
    m = y.shape[0]
    rows = []
    for i in range(m):
        if not y.requires_grad:
            rows.append(torch.zeros_like(t).detach())
            continue
        (row,) = torch.autograd.grad(y[i], t, retain_graph=i < m - 1, allow_unused=True)
        rows.append(torch.zeros_like(t).detach() if row is None else row)
    return torch.stack(rows) if rows else torch.empty((0, x.shape[0]), dtype=x.dtype)


def jacobian_matrix__forward_dual_columns(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    # column j = the tangent of f along eⱼ, one forward pass per input coordinate
    xs = x.detach()
    cols = []
    for e in torch.eye(xs.shape[0], dtype=xs.dtype):
        with fwAD.dual_level():
            primal, tangent = fwAD.unpack_dual(f(fwAD.make_dual(xs, e)))
            # no tangent at all means f's output does not depend on x: that column is 0
            cols.append(torch.zeros_like(primal) if tangent is None else tangent.clone())
    return torch.stack(cols, dim=1)


# --------------------------------------------------- per_sample_gradients: 2(w·xᵢ − yᵢ)xᵢ per row, no loop over samples
def per_sample_gradients__replicated_weights_autograd_grad(
    w: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    # one copy of w per sample, as the rows of an (n, d) leaf W: Σᵢ ℓᵢ(Wᵢ) has ∂/∂Wᵢ = ∇ℓᵢ(w).
    # One backward pass over the batch, no Python loop.
    n = inputs.shape[0]
    W = w.detach().expand(n, -1).clone().requires_grad_()
    losses = ((W * inputs).sum(dim=1) - targets) ** 2
    (g,) = torch.autograd.grad(losses.sum(), W)
    return g


def per_sample_gradients__replicated_weights_backward(
    w: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    W = w.detach().repeat(inputs.shape[0], 1).requires_grad_()
    residual = torch.einsum("nd,nd->n", W, inputs) - targets
    residual.square().sum().backward()
    return W.grad


def per_sample_gradients__is_grads_batched(
    w: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    # the n losses as one vector ℓ(w); its full Jacobian (n × d) by one batched backward pass:
    # grad_outputs = the n unit vectors, vmapped over by is_grads_batched=True
    t = w.detach().clone().requires_grad_()
    losses = (inputs @ t - targets) ** 2
    eye = torch.eye(losses.shape[0], dtype=losses.dtype)
    (jac,) = torch.autograd.grad(losses, t, grad_outputs=eye, is_grads_batched=True)
    return jac


def per_sample_gradients__vmap_jacrev(w: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    def loss(weights: torch.Tensor, xi: torch.Tensor, yi: torch.Tensor) -> torch.Tensor:
        return (torch.dot(weights, xi) - yi) ** 2

    return vmap(torch.func.jacrev(loss), in_dims=(None, 0, 0))(w.detach(), inputs, targets)


ALTERNATIVES = {
    "gradient": [
        ("func-grad", gradient__func_grad),
        ("jacfwd", gradient__jacfwd),
        ("forward-dual-per-coordinate", gradient__forward_dual_per_coordinate),
        ("functional-vjp", gradient__functional_vjp),
    ],
    "vector_jacobian_product": [
        ("autograd-grad-outputs", vector_jacobian_product__autograd_grad_outputs),
        ("weighted-sum-backward", vector_jacobian_product__weighted_sum_backward),
        ("func-vjp", vector_jacobian_product__func_vjp),
        ("autograd-backward-grad-tensors", vector_jacobian_product__backward_gradient_kw),
    ],
    "elementwise_jacobian": [
        ("autograd-grad-diag", elementwise_jacobian__autograd_grad_diag),
        ("func-vjp-diag-embed", elementwise_jacobian__vjp_diag_embed),
        ("sum-backward-fill-diagonal", elementwise_jacobian__sum_backward_fill_diagonal),
    ],
    "jacobian_matrix": [
        ("functional-jacobian-forward-mode", jacobian_matrix__functional_forward_mode),
        ("jacrev", jacobian_matrix__jacrev),
        ("jacfwd", jacobian_matrix__jacfwd),
        ("autograd-grad-rows", jacobian_matrix__autograd_grad_rows),
        ("forward-dual-columns", jacobian_matrix__forward_dual_columns),
    ],
    "per_sample_gradients": [
        ("replicated-weights-autograd-grad", per_sample_gradients__replicated_weights_autograd_grad),
        ("replicated-weights-backward", per_sample_gradients__replicated_weights_backward),
        ("autograd-grad-is-grads-batched", per_sample_gradients__is_grads_batched),
        ("vmap-jacrev", per_sample_gradients__vmap_jacrev),
    ],
}
