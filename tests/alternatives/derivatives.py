"""Alternatives for exercises/derivatives.py: each derivative by a method other than the obvious
`t = torch.tensor(x, requires_grad=True); y.backward(); t.grad`."""

import torch
import torch.autograd.forward_ad as fwAD
from torch.func import grad as func_grad


def _leaf(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float32, requires_grad=True)


# ---------------------------------------------------------------- square: y = x², dy/dx = 2x
def square__autograd_grad(x: float) -> torch.Tensor:
    t = _leaf(x)
    (g,) = torch.autograd.grad(t**2, t)
    return g


def square__forward_dual(x: float) -> torch.Tensor:
    primal = torch.as_tensor(x, dtype=torch.float32)
    with fwAD.dual_level():
        d = fwAD.make_dual(primal, torch.ones_like(primal))
        tangent = fwAD.unpack_dual(d * d).tangent
    return tangent.clone()


def square__func_grad(x: float) -> torch.Tensor:
    return func_grad(torch.square)(torch.tensor(x, dtype=torch.float32))


# ---------------------------------------------------------------- quadratic: y = x² + 2x + 1
def _quadratic(t: torch.Tensor) -> torch.Tensor:
    return t**2 + 2 * t + 1


def quadratic__full_leaf_backward_ones(x: float) -> torch.Tensor:
    # leaf made with torch.full, backward with an explicit gradient argument, grad cloned
    t = torch.full((), x, dtype=torch.float32, requires_grad=True)
    y = t * t + 2.0 * t + 1.0
    y.backward(torch.ones_like(y))
    return t.grad.clone()


def quadratic__forward_jvp(x: float) -> torch.Tensor:
    p = torch.tensor(x, dtype=torch.float32)
    _, tangent = torch.func.jvp(_quadratic, (p,), (torch.ones_like(p),))
    # torch.func.jvp can promote a 0-dim tangent to float64 (0-dim tensor × Python float): pin the dtype
    return tangent.to(torch.float32)


def quadratic__functional_vjp(x: float) -> torch.Tensor:
    p = torch.tensor(x, dtype=torch.float32)
    _, g = torch.autograd.functional.vjp(_quadratic, p)
    return g


# ---------------------------------------------------------------- cubic: y = 2x³ + x
def _cubic(t: torch.Tensor) -> torch.Tensor:
    return 2 * t**3 + t


def cubic__autograd_backward_fn(x: float) -> torch.Tensor:
    # leaf by detach().clone().requires_grad_(), backward by the functional torch.autograd.backward
    t = torch.tensor(x).to(torch.float32).detach().clone().requires_grad_()
    torch.autograd.backward(_cubic(t))
    return t.grad


def cubic__forward_dual(x: float) -> torch.Tensor:
    with fwAD.dual_level():
        d = fwAD.make_dual(torch.tensor(x, dtype=torch.float32), torch.tensor(1.0))
        _, tangent = fwAD.unpack_dual(_cubic(d))
    return tangent.clone()


def cubic__jacobian_forward(x: float) -> torch.Tensor:
    p = torch.tensor(x, dtype=torch.float32)
    return torch.autograd.functional.jacobian(_cubic, p, strategy="forward-mode", vectorize=True).to(torch.float32)


ALTERNATIVES = {
    "square": [
        ("autograd-grad", square__autograd_grad),
        ("forward-dual", square__forward_dual),
        ("func-grad", square__func_grad),
    ],
    "quadratic": [
        ("full-leaf-backward-ones", quadratic__full_leaf_backward_ones),
        ("forward-jvp", quadratic__forward_jvp),
        ("functional-vjp", quadratic__functional_vjp),
    ],
    "cubic": [
        ("autograd-backward-fn", cubic__autograd_backward_fn),
        ("forward-dual", cubic__forward_dual),
        ("jacobian-forward-mode", cubic__jacobian_forward),
    ],
}
