"""The chain rule: autograd multiplies the stages' slopes, and retain_grad() shows the one in between."""

from collections.abc import Callable

import torch


def sin_of_square_at(x: torch.Tensor) -> torch.Tensor:
    """d/dx sin(x²) at every point of x, by autograd: the chain rule gives cos(x²) · 2x.

    x: a 1-D float tensor of points; it does not require grad.
    Returns: a tensor of x's shape and dtype.

    Example: sin_of_square_at(torch.tensor([0.0, 1.0])) -> tensor([0.0000, 1.0806])
    """
    x = x.clone().requires_grad_()
    torch.sin(x**2).sum().backward()
    return x.grad


def gaussian_at(x: torch.Tensor) -> torch.Tensor:
    """d/dx exp(−x²/2) at every point of x, by autograd: exp(−x²/2) · (−x).

    x: a 1-D float tensor of points; it does not require grad.
    Returns: a tensor of x's shape and dtype.

    Example: gaussian_at(torch.tensor([1.0, -2.0])) -> tensor([-0.6065,  0.2707])
    """
    x = x.clone().requires_grad_()
    torch.exp(-(x**2) / 2).sum().backward()
    return x.grad


def log_one_plus_exp_at(x: torch.Tensor) -> torch.Tensor:
    """d/dx log(1 + eˣ) at every point of x, by autograd: 1/(1 + eˣ) · eˣ, which is the sigmoid σ(x).

    Build it from torch.log and torch.exp yourself: autograd chains their slopes.
    x: a 1-D float tensor of points; it does not require grad.
    Returns: a tensor of x's shape and dtype.

    Example: log_one_plus_exp_at(torch.tensor([0.0, 2.0])) -> tensor([0.5000, 0.8808])
    """
    x = x.clone().requires_grad_()
    torch.log(1 + torch.exp(x)).sum().backward()
    return x.grad


def sin_of_square_parts(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Both stages of y = sin(u), u = x², at every point of x, from one backward(): dy/du and dy/dx.

    u is not a leaf, so autograd keeps its .grad only if asked: u.retain_grad() before backward().
    x: a 1-D float tensor of points; it does not require grad.
    Returns: a tuple (dy/du, dy/dx) = (cos(x²), cos(x²) · 2x) of tensors of x's shape and dtype.

    Example: sin_of_square_parts(torch.tensor([0.0, 1.0]))
      -> (tensor([1.0000, 0.5403]), tensor([0.0000, 1.0806]))
    """
    x = x.clone().requires_grad_()
    u = x**2
    u.retain_grad()
    torch.sin(u).sum().backward()
    return u.grad, x.grad


def chain_parts(
    outer: Callable[[torch.Tensor], torch.Tensor],
    inner: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The three slopes of y = outer(u), u = inner(x), at every point of x, each by autograd.

    The chain rule says dy/dx = dy/du · du/dx, with dy/du = outer' taken at u = inner(x), not at x.
    outer, inner: elementwise functions of a tensor, such as torch.sin or lambda t: t ** 2.
    x: a 1-D float tensor of points; it does not require grad.
    Returns: a tuple (dy/du, du/dx, dy/dx) of tensors of x's shape and dtype.

    Example: chain_parts(torch.sin, torch.exp, torch.tensor([0.0]))
      -> (tensor([0.5403]), tensor([1.]), tensor([0.5403]))
    """
    x_for_inner = x.clone().requires_grad_()
    inner(x_for_inner).sum().backward()
    x = x.clone().requires_grad_()
    u = inner(x)
    u.retain_grad()
    outer(u).sum().backward()
    return u.grad, x_for_inner.grad, x.grad
