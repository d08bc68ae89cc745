"""Higher-order derivatives: with create_graph=True, torch.autograd.grad returns a differentiable gradient."""

from collections.abc import Callable

import torch


def first_derivative(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """f'(x) at every point of x, by torch.autograd.grad: it returns the gradient and writes no .grad.

    f: an elementwise function; it may use other tensors that require grad, such as a model's weights.
    x: a 1-D float tensor of points that requires grad (a leaf).
    Returns: a tensor of x's shape and dtype, not attached to the graph. Every .grad stays as it was:
      x.grad and the .grad of any weight inside f are still None afterwards.

    Example: first_derivative(lambda t: t ** 3, torch.tensor([1.0, -2.0], requires_grad=True))
      -> tensor([ 3., 12.])
    """
    raise NotImplementedError


def second_derivative(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """f''(x) at every point of x: the derivative of f'(x), by torch.autograd.grad applied twice.

    f: a twice-differentiable elementwise function that is not linear, such as t ↦ t³.
    x: a 1-D float tensor of points; it does not require grad.
    Returns: a tensor of x's shape and dtype, not attached to the graph.

    Example: second_derivative(lambda t: t ** 3, torch.tensor([1.0, -2.0])) -> tensor([  6., -12.])
    """
    raise NotImplementedError


def nth_derivative(coefficients: list[float], x: torch.Tensor, n: int) -> torch.Tensor:
    """p⁽ⁿ⁾(x), the n-th derivative of p(x) = c₀ + c₁x + … + c_d·xᵈ at every point of x, by autograd.

    coefficients: [c₀, c₁, …, c_d], Python floats, lowest degree first.
    x: a 1-D float tensor of points; it does not require grad.
    n: how many times to differentiate, n >= 1. For n > d the answer is 0 everywhere.
    Returns: a tensor of x's shape and dtype, not attached to the graph.

    Example: nth_derivative([1.0, 0.0, 0.0, 2.0], torch.tensor([1.0, -1.0]), 2) -> tensor([ 12., -12.])
    """
    raise NotImplementedError


def mixed_partial(f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], u: float, v: float) -> torch.Tensor:
    """∂²f/∂u∂v at (u, v): the derivative of ∂f/∂u with respect to v, by autograd.

    f: a function of two 0-dim tensors whose partial ∂f/∂u is not constant, such as (u, v) ↦ u²v³.
      It may be separable, f = g(u) + h(v): then ∂f/∂u does not depend on v and the answer is 0.
    u, v: the point, Python floats.
    Returns: a 0-dim float32 tensor, not attached to the graph.

    Example: mixed_partial(lambda u, v: u ** 2 * v ** 3, 1.0, 2.0) -> tensor(24.)
    """
    raise NotImplementedError


def hessian_matrix(f: Callable[[torch.Tensor], torch.Tensor], point: torch.Tensor) -> torch.Tensor:
    """The Hessian of a function of two variables at a point, H[i, j] = ∂²f/∂pᵢ∂pⱼ, by autograd.

    f: a twice-differentiable function from a tensor p = (p₀, p₁) of shape (2,) to a 0-dim tensor.
    point: a float tensor of shape (2,); it does not require grad.
    Returns: a (2, 2) tensor of point's dtype, not attached to the graph. Row i is the gradient of ∂f/∂pᵢ.

    Example: hessian_matrix(lambda p: p[0] ** 2 * p[1], torch.tensor([1.0, 2.0]))
      -> tensor([[4., 2.], [2., 0.]])
    """
    raise NotImplementedError
