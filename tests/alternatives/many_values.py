"""Alternatives for exercises/many_values.py."""

from collections.abc import Callable

import numpy as np
import torch
import torch.autograd.forward_ad as fwAD
import torch.nn.functional as F
from torch.func import grad as func_grad
from torch.func import vjp, vmap


# ---------------------------------------------------------------- square_at: 2x, one backward pass (named)
def square_at__ones_gradient(x: torch.Tensor) -> torch.Tensor:
    # the sum trick spelled as backward(gradient=ones): the same vector-Jacobian product as y.sum().backward()
    t = x.detach().clone().requires_grad_()
    y = t * t
    y.backward(torch.ones_like(y))
    return t.grad


def square_at__dot_ones_sum(x: torch.Tensor) -> torch.Tensor:
    # the scalar is Σ yᵢ written as a dot product with ones; leaf made by empty_like + copy_
    t = torch.empty_like(x).copy_(x).requires_grad_(True)
    s = torch.dot(torch.square(t), torch.ones_like(t))
    s.backward()
    return t.grad.clone()


def square_at__pow_sum_method(x: torch.Tensor) -> torch.Tensor:
    t = x.clone().detach().requires_grad_(True)
    torch.sum(t.pow(2)).backward()
    return t.grad.detach()


def square_at__autograd_grad_of_sum(x: torch.Tensor) -> torch.Tensor:
    # the single pass as torch.autograd.grad of the sum, which the docstring names beside y.sum().backward()
    t = x.clone().requires_grad_()
    (g,) = torch.autograd.grad((t**2).sum(), t)
    return g


def square_at__func_grad_of_sum(x: torch.Tensor) -> torch.Tensor:
    # torch.func.grad of the sum: the same single pass, functional
    return func_grad(lambda t: (t**2).sum())(x)


# ---------------------------------------------------------------- relu_at: 0 where x <= 0, 1 where x > 0
def relu_at__autograd_grad(x: torch.Tensor) -> torch.Tensor:
    t = x.detach().requires_grad_()
    y = torch.relu(t)
    (g,) = torch.autograd.grad(y, t, grad_outputs=torch.ones_like(y))
    return g


def relu_at__forward_dual(x: torch.Tensor) -> torch.Tensor:
    with fwAD.dual_level():
        d = fwAD.make_dual(x.detach(), torch.ones_like(x))
        tangent = fwAD.unpack_dual(F.relu(d)).tangent
    return tangent.clone()


def relu_at__vmap_func_grad(x: torch.Tensor) -> torch.Tensor:
    return vmap(func_grad(torch.relu))(x.detach())


# ---------------------------------------------------------------- mean_square_gradient: 2xᵢ / n
def mean_square_gradient__func_grad(x: torch.Tensor) -> torch.Tensor:
    return func_grad(lambda t: (t**2).mean())(x.detach())


def mean_square_gradient__mse_loss_autograd_grad(x: torch.Tensor) -> torch.Tensor:
    # mean of squares = mse_loss against zeros
    t = x.detach().clone().requires_grad_()
    (g,) = torch.autograd.grad(F.mse_loss(t, torch.zeros_like(t)), t)
    return g


def mean_square_gradient__jacobian_forward(x: torch.Tensor) -> torch.Tensor:
    if x.numel() == 0:  # vmap has no batching rule for mean over an empty batch
        return torch.empty_like(x)
    return torch.autograd.functional.jacobian(
        lambda t: torch.mean(t * t), x.detach(), strategy="forward-mode", vectorize=True
    )


def mean_square_gradient__backward_sum_div(x: torch.Tensor) -> torch.Tensor:
    t = torch.empty_like(x).copy_(x).requires_grad_()
    (t.square().sum() / t.numel()).backward()
    return t.grad


# ---------------------------------------------------------------- curve: (x, f(x), f'(x)) as numpy arrays
def curve__func_vjp(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # one vjp gives both f(x) and, with v = ones, f'(x) at every point
    xs = x.detach()
    y, pullback = vjp(f, xs)
    (dy,) = pullback(torch.ones_like(y))
    return xs.numpy().copy(), y.detach().numpy().copy(), dy.detach().numpy().copy()


def curve__forward_dual(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # one forward pass with tangent ones carries f(x) (primal) and f'(x) (tangent)
    xs = x.detach()
    with fwAD.dual_level():
        out = fwAD.unpack_dual(f(fwAD.make_dual(xs, torch.ones_like(xs))))
        y, dy = out.primal.clone(), out.tangent.clone()
    return np.array(xs.cpu()), np.array(y.cpu()), np.array(dy.cpu())


def curve__autograd_grad_no_grad_values(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = x.detach().clone().requires_grad_()
    (dy,) = torch.autograd.grad(f(t).sum(), t)
    with torch.no_grad():
        y = f(x.detach())
    return x.detach().cpu().numpy(), y.cpu().numpy(), dy.cpu().numpy()


ALTERNATIVES = {
    "square_at": [
        ("backward-ones-gradient", square_at__ones_gradient),
        ("backward-dot-ones", square_at__dot_ones_sum),
        ("backward-torch-sum-pow", square_at__pow_sum_method),
        ("autograd-grad-of-sum", square_at__autograd_grad_of_sum),
        ("func-grad-of-sum", square_at__func_grad_of_sum),
    ],
    "relu_at": [
        ("autograd-grad", relu_at__autograd_grad),
        ("forward-dual", relu_at__forward_dual),
        ("vmap-func-grad", relu_at__vmap_func_grad),
    ],
    "mean_square_gradient": [
        ("func-grad", mean_square_gradient__func_grad),
        ("mse-loss-autograd-grad", mean_square_gradient__mse_loss_autograd_grad),
        ("jacobian-forward-mode", mean_square_gradient__jacobian_forward),
        ("backward-sum-div-numel", mean_square_gradient__backward_sum_div),
    ],
    "curve": [
        ("func-vjp", curve__func_vjp),
        ("forward-dual", curve__forward_dual),
        ("autograd-grad-no-grad-values", curve__autograd_grad_no_grad_values),
    ],
}
