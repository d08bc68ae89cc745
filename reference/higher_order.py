"""Higher-order derivatives: with create_graph=True, torch.autograd.grad returns a differentiable gradient.

torch.autograd.grad(y, x) returns dy/dx instead of storing it: a tuple with one gradient per input, and no .grad
written anywhere, neither x's nor that of a weight used inside y. Like backward(), it starts from a scalar, so sum
over many points. The gradient it returns is normally a constant, cut off from the graph. With create_graph=True,
autograd also records how that gradient was computed from x, so it can be differentiated in turn: f'' is the
gradient of f', f''' that of f'', and so on. Once a derivative no longer depends on x, every later one is 0.
Mixed partials work alike: ∂f/∂u with create_graph=True, then its gradient with respect to v. Row i of a Hessian
is the gradient of ∂f/∂pᵢ.

By hand
-------
f(x) = x⁴: f'(x) = 4x³ and f''(x) = 12x². At x = 1 and x = 2: f' = 4 and 32, f'' = 12 and 48. Further on,
f''' = 24x, f'''' = 24, and every derivative after that is 0.
f(u, v) = u·v²: ∂f/∂u = v², and its slope in v gives ∂²f/∂u∂v = 2v. For f = u³ + v², ∂f/∂u = 3u² holds no v: the
mixed partial is 0, and torch.autograd.grad raises unless allow_unused=True, which then returns None for v.

In torch
--------
>>> import torch
>>> x = torch.tensor([1.0, 2.0], requires_grad=True)
>>> (d1,) = torch.autograd.grad((x ** 4).sum(), x, create_graph=True)
>>> d1.detach(), d1.requires_grad
(tensor([ 4., 32.]), True)
>>> (d2,) = torch.autograd.grad(d1.sum(), x)
>>> d2, x.grad
(tensor([12., 48.]), None)

Traps the tests catch
---------------------
- backward() in first_derivative: it fills x.grad and the weights' .grad, which must stay None.
- No create_graph=True on the first call: f' is a constant and grad of it raises. On the last call it leaves the
  answer attached to the graph.
- Returning grad's tuple instead of its one gradient; no sum before grad.
- nth_derivative: one grad call too few; grad of a derivative that is already constant raises, so return
  torch.zeros_like(x) from there on; coefficients come lowest degree first.
- mixed_partial: the second grad is with respect to v, not u; None from allow_unused means 0.
- hessian_matrix: the sum trick on the gradient gives row sums, of shape [2]; a grad per row needs
  retain_graph=True; keep the point's dtype.

Read more
---------
https://pytorch.org/docs/stable/generated/torch.autograd.grad.html
https://pytorch.org/docs/stable/notes/autograd.html
"""

from collections.abc import Callable

import torch


def first_derivative(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """f'(x) at every point of x, by torch.autograd.grad: it returns the gradient and writes no .grad.

    Every differentiating call is torch.autograd.grad: not backward(), which writes .grad, nor forward mode.
    f: an elementwise function whose value depends on x; it may use other tensors that require grad, such as a
      model's weights.
    x: a 1-D float tensor of points that requires grad (a leaf), with or without a .grad of its own.
    Returns: a tensor of x's shape and dtype, not attached to the graph. Every .grad stays as it was: x's (None
      or not), and the .grad of any weight inside f; x's values and requires_grad stay too.

    Example: first_derivative(lambda t: t ** 3, torch.tensor([1.0, -2.0], requires_grad=True))
      -> tensor([ 3., 12.])
    """
    (slope,) = torch.autograd.grad(f(x).sum(), x)
    return slope


def second_derivative(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """f''(x) at every point of x: the derivative of f'(x), by torch.autograd.grad applied twice.

    The first call keeps f'(x) differentiable (create_graph=True), so the second differentiates f' itself: not a
    finite difference of first derivatives. Every differentiating call is torch.autograd.grad (no forward mode).
    f: a twice-differentiable elementwise function that is not linear, such as t ↦ t³.
    x: a 1-D float tensor of points; it does not require grad, and stays as it is.
    Returns: a tensor of x's shape and dtype, not attached to the graph.

    Example: second_derivative(lambda t: t ** 3, torch.tensor([1.0, -2.0])) -> tensor([  6., -12.])
    """
    x = x.clone().requires_grad_()
    (slope,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    (curvature,) = torch.autograd.grad(slope.sum(), x)
    return curvature


def nth_derivative(coefficients: list[float], x: torch.Tensor, n: int) -> torch.Tensor:
    """p⁽ⁿ⁾(x), the n-th derivative of p(x) = c₀ + c₁x + … + c_d·xᵈ at every point of x, by autograd.

    Each derivative is differentiated again by autograd (create_graph=True, or torch.func, reverse or forward
    mode), not by finite differences.
    coefficients: [c₀, c₁, …, c_d], d >= 0, Python floats, lowest degree first; some may repeat or be 0.
    x: a 1-D float tensor of points; it does not require grad, and stays as it is.
    n: how many times to differentiate, n >= 1. For n > d the answer is 0 everywhere (torch.zeros_like(x)).
    Returns: a tensor of x's shape and dtype, not attached to the graph.

    Example: nth_derivative([1.0, 0.0, 0.0, 2.0], torch.tensor([1.0, -1.0]), 2) -> tensor([ 12., -12.])
    """
    x = x.clone().requires_grad_()
    derivative = sum(c * x**k for k, c in enumerate(coefficients))
    for _ in range(n):
        if not derivative.requires_grad:  # constant in x: this derivative and every later one are 0
            return torch.zeros_like(x)
        (derivative,) = torch.autograd.grad(derivative.sum(), x, create_graph=True)
    return derivative.detach()


def mixed_partial(f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], u: float, v: float) -> torch.Tensor:
    """∂²f/∂v∂u at (u, v): the derivative of ∂f/∂u with respect to v, by autograd.

    (For the smooth f here the order does not change the number: it is ∂²f/∂u∂v too.) Autograd differentiates
    ∂f/∂u itself (create_graph=True, or torch.func, reverse or forward mode), not a finite difference of it.
    f: a function of two 0-dim tensors whose partial ∂f/∂u is not constant, such as (u, v) ↦ u²v³.
      It may be separable, f = g(u) + h(v): then ∂f/∂u does not depend on v and the answer is 0.
    u, v: the point, Python floats.
    Returns: a 0-dim float32 tensor, not attached to the graph.

    Example: mixed_partial(lambda u, v: u ** 2 * v ** 3, 1.0, 2.0) -> tensor(24.)
    """
    u = torch.tensor(u, requires_grad=True)
    v = torch.tensor(v, requires_grad=True)
    (du,) = torch.autograd.grad(f(u, v), u, create_graph=True)
    # When ∂f/∂u does not involve v, autograd calls v unused and returns None for it: the derivative is 0.
    (duv,) = torch.autograd.grad(du, v, allow_unused=True)
    return torch.zeros_like(v) if duv is None else duv


def hessian_matrix(f: Callable[[torch.Tensor], torch.Tensor], point: torch.Tensor) -> torch.Tensor:
    """The Hessian of a function of two variables at a point, H[i, j] = ∂²f/∂pᵢ∂pⱼ, by autograd.

    Autograd differentiates the gradient itself (create_graph=True, or torch.func, reverse or forward mode), not
    a finite difference of gradients.
    f: a twice-differentiable function from a tensor p = (p₀, p₁) of shape (2,) to a 0-dim tensor, not linear:
      its gradient depends on p, though one partial may be constant, as ∂f/∂p₁ = 3 for p₀² + 3p₁.
    point: a float tensor of shape (2,); it does not require grad, and stays as it is.
    Returns: a (2, 2) tensor of point's dtype, not attached to the graph. Row i is the gradient of ∂f/∂pᵢ.

    Example: hessian_matrix(lambda p: p[0] ** 2 * p[1], torch.tensor([1.0, 2.0]))
      -> tensor([[4., 2.], [2., 0.]])
    """
    p = point.clone().requires_grad_()
    (gradient,) = torch.autograd.grad(f(p), p, create_graph=True)
    # Every row differentiates through the one graph of `gradient`: keep it until the last row is done.
    rows = [torch.autograd.grad(partial, p, retain_graph=True)[0] for partial in gradient]
    return torch.stack(rows)
