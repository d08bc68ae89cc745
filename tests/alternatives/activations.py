"""Alternatives for exercises/activations.py."""

from collections.abc import Callable

import torch
import torch.autograd.forward_ad as fwAD
import torch.nn.functional as F
from torch.func import grad as func_grad
from torch.func import jvp, vmap


def _fwd_slope(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """f'(x) pointwise for an elementwise f, by one forward-mode pass with tangent ones."""
    with fwAD.dual_level():
        d = fwAD.make_dual(x.detach(), torch.ones_like(x))
        tangent = fwAD.unpack_dual(f(d)).tangent
    return tangent.clone()


# ---------------------------------------------------------------- tanh_at: 1 − tanh²(x)
def tanh_at__autograd_grad(x: torch.Tensor) -> torch.Tensor:
    t = x.detach().clone().requires_grad_()
    y = torch.tanh(t)
    (g,) = torch.autograd.grad(y, t, torch.ones_like(y))
    return g


def tanh_at__forward_dual(x: torch.Tensor) -> torch.Tensor:
    return _fwd_slope(torch.tanh, x)


def tanh_at__vmap_func_grad(x: torch.Tensor) -> torch.Tensor:
    return vmap(func_grad(torch.tanh))(x.detach())


# ---------------------------------------------------------------- softplus_at: σ(x)
def softplus_at__forward_jvp(x: torch.Tensor) -> torch.Tensor:
    _, tangent = jvp(F.softplus, (x.detach(),), (torch.ones_like(x),))
    return tangent


def softplus_at__logaddexp_backward(x: torch.Tensor) -> torch.Tensor:
    # softplus(x) = log(e⁰ + eˣ) = logaddexp(0, x), stable for large |x|; sum trick by backward()
    t = x.detach().clone().requires_grad_(True)
    torch.logaddexp(torch.zeros_like(t), t).sum().backward()
    return t.grad


def softplus_at__autograd_grad_nn_module(x: torch.Tensor) -> torch.Tensor:
    t = torch.empty_like(x).copy_(x).requires_grad_()
    (g,) = torch.autograd.grad(torch.nn.Softplus()(t).sum(), t)
    return g


# ---------------------------------------------------------------- leaky_relu_at: 1 where x > 0, slope where x <= 0
def leaky_relu_at__autograd_grad(x: torch.Tensor, negative_slope: float) -> torch.Tensor:
    t = x.detach().requires_grad_()
    (g,) = torch.autograd.grad(F.leaky_relu(t, negative_slope).sum(), t)
    return g


def leaky_relu_at__forward_dual(x: torch.Tensor, negative_slope: float) -> torch.Tensor:
    return _fwd_slope(lambda d: F.leaky_relu(d, negative_slope=negative_slope), x)


def leaky_relu_at__vmap_func_grad(x: torch.Tensor, negative_slope: float) -> torch.Tensor:
    return vmap(func_grad(lambda t: F.leaky_relu(t, negative_slope)))(x.detach())


# ---------------------------------------------------------------- gelu_at: Φ(x) + x·φ(x)
def gelu_at__autograd_grad(x: torch.Tensor) -> torch.Tensor:
    t = x.detach().clone().requires_grad_()
    y = F.gelu(t, approximate="none")
    (g,) = torch.autograd.grad(y, t, grad_outputs=torch.ones_like(y))
    return g


def gelu_at__forward_jvp(x: torch.Tensor) -> torch.Tensor:
    _, tangent = jvp(F.gelu, (x.detach(),), (torch.ones_like(x),))
    return tangent


def gelu_at__erf_formula_backward(x: torch.Tensor) -> torch.Tensor:
    # the exact GELU written out, x·Φ(x) with Φ(x) = (1 + erf(x/√2)) / 2; autograd differentiates it
    t = x.detach().clone().requires_grad_()
    y = t * 0.5 * (1.0 + torch.erf(t * 0.7071067811865476))
    y.backward(torch.ones_like(y))
    return t.grad


# ---------------------------------------------------------------- sigmoid_closed_form: σ(x)(1 − σ(x)), by hand
def sigmoid_closed_form__sigmoid_of_minus_x(x: torch.Tensor) -> torch.Tensor:
    # 1 − σ(x) = σ(−x)
    with torch.no_grad():
        return torch.sigmoid(x) * torch.sigmoid(-x)


def sigmoid_closed_form__exp_formula(x: torch.Tensor) -> torch.Tensor:
    # σ(x) = 1 / (1 + e⁻ˣ), written out, then σ·(1 − σ)
    xs = x.detach()
    s = 1.0 / (1.0 + torch.exp(-xs))
    return s * (1.0 - s)


def sigmoid_closed_form__quarter_sech2(x: torch.Tensor) -> torch.Tensor:
    # σ(x)(1 − σ(x)) = 1 / (4 cosh²(x/2)); cosh overflows to inf for huge |x|, which gives the right 0
    xs = x.detach()
    return 0.25 / torch.cosh(xs / 2) ** 2


# ---------------------------------------------------------------- closed_form_gap: f'(x) by autograd − derivative(x)
def closed_form_gap__autograd_grad(
    f: Callable[[torch.Tensor], torch.Tensor],
    derivative: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
) -> torch.Tensor:
    t = x.detach().clone().requires_grad_()
    (auto,) = torch.autograd.grad(f(t).sum(), t)
    hand = derivative(x.detach()).detach()  # not under no_grad: derivative may itself use autograd
    return auto - hand


def closed_form_gap__forward_dual(
    f: Callable[[torch.Tensor], torch.Tensor],
    derivative: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
) -> torch.Tensor:
    auto = _fwd_slope(f, x)
    return torch.sub(auto, derivative(x.detach()).detach())


def closed_form_gap__vmap_func_grad(
    f: Callable[[torch.Tensor], torch.Tensor],
    derivative: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
) -> torch.Tensor:
    auto = vmap(func_grad(f))(x.detach())
    return (auto - derivative(x.detach())).detach()


def closed_form_gap__no_grad_derivative(
    f: Callable[[torch.Tensor], torch.Tensor],
    derivative: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
) -> torch.Tensor:
    # the hand-written form uses no autograd, so it may run inside no_grad, on the x given
    t = x.clone().requires_grad_()
    f(t).sum().backward()
    with torch.no_grad():
        return t.grad - derivative(x)


ALTERNATIVES = {
    "tanh_at": [
        ("autograd-grad", tanh_at__autograd_grad),
        ("forward-dual", tanh_at__forward_dual),
        ("vmap-func-grad", tanh_at__vmap_func_grad),
    ],
    "softplus_at": [
        ("forward-jvp", softplus_at__forward_jvp),
        ("logaddexp-backward", softplus_at__logaddexp_backward),
        ("nn-softplus-autograd-grad", softplus_at__autograd_grad_nn_module),
    ],
    "leaky_relu_at": [
        ("autograd-grad", leaky_relu_at__autograd_grad),
        ("forward-dual", leaky_relu_at__forward_dual),
        ("vmap-func-grad", leaky_relu_at__vmap_func_grad),
    ],
    "gelu_at": [
        ("autograd-grad", gelu_at__autograd_grad),
        ("forward-jvp", gelu_at__forward_jvp),
        ("erf-formula-backward", gelu_at__erf_formula_backward),
    ],
    "sigmoid_closed_form": [
        ("sigmoid-of-minus-x", sigmoid_closed_form__sigmoid_of_minus_x),
        ("exp-formula", sigmoid_closed_form__exp_formula),
        ("quarter-sech-squared", sigmoid_closed_form__quarter_sech2),
    ],
    "closed_form_gap": [
        ("autograd-grad", closed_form_gap__autograd_grad),
        ("forward-dual", closed_form_gap__forward_dual),
        ("vmap-func-grad", closed_form_gap__vmap_func_grad),
        ("no-grad-derivative", closed_form_gap__no_grad_derivative),
    ],
}
