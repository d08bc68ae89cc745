"""Activations: the sum trick gives each activation's slope at every point and checks slopes found by hand.

Activations act point by point, so the sum trick of many_values gives an activation's slope at every point:
clone the points, requires_grad_(), sum, backward(), read x.grad. The slope says how much gradient a unit lets
through: where it is near 0 (the flat tails of tanh and the sigmoid, ReLU left of 0), almost nothing flows back.
Autograd also checks a derivative worked out by hand: subtract the formula from autograd's slope, and a right one
leaves zeros, up to rounding.

By hand
-------
SiLU(x) = x·σ(x), with the sigmoid σ(x) = 1 / (1 + e⁻ˣ). First σ' by the chain rule: σ'(x) = e⁻ˣ / (1 + e⁻ˣ)²,
and as 1 − σ(x) = e⁻ˣ / (1 + e⁻ˣ), σ' = σ·(1 − σ). Then the product rule (fg)' = f'g + fg':
SiLU'(x) = 1·σ(x) + x·σ(x)(1 − σ(x)) = σ(x)·(1 + x·(1 − σ(x))).
At x = 0: σ = 0.5, so SiLU'(0) = 0.5·(1 + 0) = 0.5. At x = 2: σ(2) ≈ 0.8808, so 0.8808·(1 + 2·0.1192) ≈ 1.0908.
The others: tanh' = 1 − tanh²; softplus' = σ; leaky ReLU's slope is 1 right of 0 and negative_slope at and left
of 0; the exact GELU(x) = x·Φ(x) has slope Φ(x) + x·φ(x).

In torch
--------
>>> import torch
>>> import torch.nn.functional as F
>>> x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
>>> F.silu(x).sum().backward()
>>> x.grad.round(decimals=4)
tensor([0.0723, 0.5000, 1.0908])
>>> s = torch.sigmoid(x.detach())
>>> torch.allclose(x.grad, s * (1 + x.detach() * (1 - s)))
True

Traps the tests catch
---------------------
- The activation instead of its slope (tanh(x), softplus(x), σ(x)): return x.grad, not y.
- leaky_relu without its second argument takes the default slope 0.01; torch.where(x >= 0, …) puts slope 1 at 0.
- F.gelu(x, approximate="tanh") is an approximation with a slightly different slope; keep the exact default.
- sigmoid_closed_form is by hand: autograd must not run, and 1 − σ² is not σ'.
- closed_form_gap: autograd's slope minus derivative(x), signed and pointwise (not abs, max or isclose), with
  derivative evaluated at points off the graph, or the gap stays attached.
- The sigmoid's slope for softplus's; a mean where the sum trick sums; float32 for float64 points.

Read more
---------
https://pytorch.org/docs/stable/nn.functional.html
https://pytorch.org/docs/stable/notes/autograd.html
"""

from collections.abc import Callable

import torch
import torch.nn.functional as F


def tanh_at(x: torch.Tensor) -> torch.Tensor:
    """The derivative of tanh at every point of x, by autograd: tanh'(x) = 1 − tanh²(x).

    x: a 1-D float tensor of points; it does not require grad, and it must come back unchanged (work on a copy).
    Returns: a tensor of x's shape and dtype, not attached to the graph (requires_grad False).

    Example: tanh_at(torch.tensor([0.0, 1.0])) -> tensor([1.0000, 0.4200])
    """
    x = x.clone().requires_grad_()
    torch.tanh(x).sum().backward()
    return x.grad


def softplus_at(x: torch.Tensor) -> torch.Tensor:
    """The derivative of softplus(x) = log(1 + eˣ) at every point of x, by autograd: it is the sigmoid σ(x).

    Differentiate a softplus that stays finite for large x, such as torch.nn.functional.softplus: log(1 + eˣ)
    written out overflows (eˣ is inf in float32 past x ≈ 88, and its slope NaN).
    x: a 1-D float tensor of points, as large as ±100; it does not require grad, and it must come back unchanged
      (work on a copy).
    Returns: σ(x) = 1 / (1 + e⁻ˣ) at each point, a tensor of x's shape and dtype, not attached to the graph
      (requires_grad False).

    Example: softplus_at(torch.tensor([0.0, 2.0])) -> tensor([0.5000, 0.8808])
    """
    x = x.clone().requires_grad_()
    F.softplus(x).sum().backward()
    return x.grad


def leaky_relu_at(x: torch.Tensor, negative_slope: float) -> torch.Tensor:
    """The derivative of leaky ReLU at every point of x, by autograd (torch.nn.functional.leaky_relu).

    leaky_relu(x) = x where x > 0, negative_slope · x elsewhere; its slope is 1 where x > 0 and
    negative_slope where x <= 0 (at exactly 0 autograd takes the left slope).
    x: a 1-D float tensor of points; it does not require grad, and it must come back unchanged (work on a copy).
    negative_slope: the slope left of 0, a Python float.
    Returns: a tensor of x's shape and dtype, not attached to the graph (requires_grad False).

    Example: leaky_relu_at(torch.tensor([-1.0, 0.0, 2.0]), 0.1) -> tensor([0.1000, 0.1000, 1.0000])
    """
    x = x.clone().requires_grad_()
    F.leaky_relu(x, negative_slope).sum().backward()
    return x.grad


def gelu_at(x: torch.Tensor) -> torch.Tensor:
    """The derivative of the exact GELU(x) = x·Φ(x) at every point of x, by autograd: Φ(x) + x·φ(x).

    Φ is the standard normal CDF, φ its density. torch.nn.functional.gelu is exact unless approximate="tanh".
    x: a 1-D float tensor of points; it does not require grad, and it must come back unchanged (work on a copy).
    Returns: a tensor of x's shape and dtype, not attached to the graph (requires_grad False).

    Example: gelu_at(torch.tensor([0.0, 1.0])) -> tensor([0.5000, 1.0833])
    """
    x = x.clone().requires_grad_()
    F.gelu(x).sum().backward()
    return x.grad


def sigmoid_closed_form(x: torch.Tensor) -> torch.Tensor:
    """The derivative of the sigmoid at every point of x, by hand, without autograd: σ'(x) = σ(x)·(1 − σ(x)).

    No backward(), torch.autograd.grad or torch.func: a formula of torch.sigmoid or torch.exp. Any closed form
    of σ' will do (σ(x)·σ(−x), e⁻ˣ / (1 + e⁻ˣ)²...), to within 1e-5: where σ(x)·(1 − σ(x)) rounds to 0 in the
    tails, 0 is right enough.
    x: a 1-D float tensor of points, |x| ≤ 20; it does not require grad, and it must come back unchanged
      (work on a copy, not x.sigmoid_()).
    Returns: a tensor of x's shape and dtype, not attached to the graph (requires_grad False).

    Example: sigmoid_closed_form(torch.tensor([0.0, 2.0])) -> tensor([0.2500, 0.1050])
    """
    s = torch.sigmoid(x)
    return s * (1 - s)


def closed_form_gap(
    f: Callable[[torch.Tensor], torch.Tensor],
    derivative: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
) -> torch.Tensor:
    """How far a hand-written derivative is from autograd's: f'(x) by autograd minus derivative(x), pointwise.

    A right closed form gives zeros (up to rounding); a wrong one shows where and by how much it is off.
    f: an elementwise function of a tensor, such as torch.sigmoid.
    derivative: a candidate for f' written by hand (it uses no autograd), an elementwise function of a tensor;
      call it on x as given, on a detached copy, or inside torch.no_grad(), all alike.
    x: a 1-D float tensor of points; it does not require grad, and it must come back unchanged (work on a copy).
    Returns: f'(x) − derivative(x) at each point, signed, a tensor of x's shape and dtype, not attached to the
      graph (requires_grad False): derivative evaluated on a copy that requires grad joins the graph.

    Example: closed_form_gap(torch.sigmoid, torch.sigmoid, torch.tensor([0.0])) -> tensor([-0.2500])
    """
    x = x.clone().requires_grad_()
    f(x).sum().backward()
    return x.grad - derivative(x.detach())
