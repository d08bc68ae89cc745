"""The chain rule: autograd multiplies the stages' slopes, and retain_grad() shows the one in between.

A composition y = outer(inner(x)) runs in stages: u = inner(x), then y = outer(u). The chain rule says its slope is
the product of the stages' slopes, dy/dx = dy/du · du/dx, with dy/du, outer's slope, taken at u and not at x.
Autograd applies it to whatever you compose: going back through the graph, each operation multiplies the gradient
arriving from above by its own local slope. The tensor u in between is no leaf, so backward() passes through it
without keeping its gradient; call u.retain_grad() before backward() and u.grad holds dy/du too. du/dx, the inner
stage on its own, takes a pass of its own, from a fresh copy of the points.

By hand
-------
y = (2x + 1)³: u = 2x + 1 and y = u³. Then dy/du = 3u², du/dx = 2, and dy/dx = 3u²·2 = 6(2x + 1)².
At x = 0: u = 1, dy/du = 3, dy/dx = 3·2 = 6. At x = 1: u = 3, dy/du = 27, dy/dx = 27·2 = 54.
The order of the stages matters: sin(x²) has slope cos(x²)·2x, but sin²(x) = (sin x)² has 2 sin(x)·cos(x).

In torch
--------
>>> import torch
>>> x = torch.tensor([0.0, 1.0], requires_grad=True)
>>> u = 2 * x + 1
>>> u.retain_grad()
>>> y = u ** 3
>>> y.sum().backward()
>>> u.grad, x.grad
(tensor([ 3., 27.]), tensor([ 6., 54.]))
>>> u.is_leaf
False

Traps the tests catch
---------------------
- Stages in the wrong order or incomplete: torch.sin(x) ** 2 for sin(x²), exp(−x²) for exp(−x²/2), 1 + eˣ
  without its log.
- No u.retain_grad(): u.grad stays None. Cutting u loose as a new leaf (u.detach().requires_grad_()) gives u a
  gradient but leaves x.grad None.
- outer's slope taken at x instead of at u: the tests check that dy/dx = dy/du · du/dx.
- One leaf for two backward() passes: the second adds into the x.grad already returned, so two parts come back as
  one tensor; differentiate du/dx from a fresh copy.
- Parts swapped: the order is (dy/du, dy/dx) in sin_of_square_parts, (dy/du, du/dx, dy/dx) in chain_parts.

Read more
---------
https://pytorch.org/docs/stable/notes/autograd.html
https://pytorch.org/docs/stable/generated/torch.Tensor.retain_grad.html
"""

from collections.abc import Callable

import torch


def sin_of_square_at(x: torch.Tensor) -> torch.Tensor:
    """d/dx sin(x²) at every point of x, by autograd: the chain rule gives cos(x²) · 2x.

    x: a 1-D float tensor of points; it does not require grad, and stays as it is.
    Returns: a tensor of x's shape and dtype, not attached to the graph.

    Example: sin_of_square_at(torch.tensor([0.0, 1.0])) -> tensor([0.0000, 1.0806])
    """
    x = x.clone().requires_grad_()
    torch.sin(x**2).sum().backward()
    return x.grad


def gaussian_at(x: torch.Tensor) -> torch.Tensor:
    """d/dx exp(−x²/2) at every point of x, by autograd: exp(−x²/2) · (−x).

    x: a 1-D float tensor of points; it does not require grad, and stays as it is.
    Returns: a tensor of x's shape and dtype, not attached to the graph.

    Example: gaussian_at(torch.tensor([1.0, -2.0])) -> tensor([-0.6065,  0.2707])
    """
    x = x.clone().requires_grad_()
    torch.exp(-(x**2) / 2).sum().backward()
    return x.grad


def log_one_plus_exp_at(x: torch.Tensor) -> torch.Tensor:
    """d/dx log(1 + eˣ) at every point of x, by autograd: 1/(1 + eˣ) · eˣ, which is the sigmoid σ(x).

    Build log(1 + eˣ) from log and exp yourself (torch.log or torch.log1p, torch.exp, or their Tensor methods),
    not with a ready-made softplus (torch.nn.functional.softplus, torch.logaddexp, torch.logsumexp), so that
    autograd chains their slopes.
    x: a 1-D float tensor of points between −20 and 20 (where eˣ stays finite in float32); it does not require
      grad, and stays as it is.
    Returns: a tensor of x's shape and dtype, not attached to the graph.

    Example: log_one_plus_exp_at(torch.tensor([0.0, 2.0])) -> tensor([0.5000, 0.8808])
    """
    x = x.clone().requires_grad_()
    torch.log(1 + torch.exp(x)).sum().backward()
    return x.grad


def sin_of_square_parts(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Both stages of y = sin(u), u = x², at every point of x, from one backward(): dy/du and dy/dx.

    u is not a leaf, so autograd keeps its .grad only if asked: u.retain_grad() before backward(). The tests
    count one backward() pass (a backward() call, not torch.autograd.grad) and a u.retain_grad() call.
    x: a 1-D float tensor of points; it does not require grad, and stays as it is.
    Returns: a tuple (dy/du, dy/dx) = (cos(x²), cos(x²) · 2x) of tensors of x's shape and dtype, not attached to
      the graph: u.grad and x.grad as that backward() left them.

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

    The chain rule says dy/dx = dy/du · du/dx, with dy/du = outer' taken at u = inner(x), not at x. Each part is
    autograd's own: dy/dx too, through outer(inner(x)), not dy/du · du/dx multiplied by hand.
    outer, inner: elementwise functions of a tensor, such as torch.sin or lambda t: t ** 2.
    x: a 1-D float tensor of points; it does not require grad, and stays as it is.
    Returns: a tuple (dy/du, du/dx, dy/dx) of tensors of x's shape and dtype, not attached to the graph.

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
