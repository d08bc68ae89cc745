"""Derivatives: make x a tensor that requires grad, build y from it, call y.backward(), read x.grad.

A derivative dy/dx is the slope of y at a point: how fast y changes as x moves. Autograd computes it. Create x with
requires_grad=True and every operation on it is recorded in a graph; y.backward() walks that graph back from y,
applies each step's rule, and stores dy/dx in x.grad.

x is a leaf, a tensor you made yourself: x.is_leaf is True, x.grad_fn is None, x.requires_grad is True. y is not a
leaf: it was computed from x, so its grad_fn names the operation that made it, PowBackward0 for x ** 2. x.grad is
None until backward() runs; afterwards it holds dy/dx at x's value, a tensor like x.

By hand
-------
The power rule d(xⁿ)/dx = n·xⁿ⁻¹; a sum is differentiated term by term; a constant's slope is 0.

- y = x² at x = 2: dy/dx = 2x = 2·2 = 4. The lab makes x = torch.tensor(2.0, requires_grad=True), builds
  y = x ** 2, calls y.backward() and reads x.grad: tensor(4.).
- y = x² + 2x + 1 at x = 2: dy/dx = 2x + 2 + 0 = 4 + 2 = 6.
- Practice, y = 2x³ + x at x = 1: dy/dx = 2·3x² + 1 = 6x² + 1 = 6 + 1 = 7.

In torch
--------
>>> import torch
>>> x = torch.tensor(2.0, requires_grad=True)
>>> y = x ** 4
>>> x.is_leaf, x.grad_fn, x.requires_grad, x.grad
(True, None, True, None)
>>> y.is_leaf, type(y.grad_fn).__name__
(False, 'PowBackward0')
>>> y.backward()
>>> x.grad
tensor(32.)

By hand: dy/dx = 4x³ = 4·2³ = 32.

Traps the tests catch
---------------------
- Returning y, or x.grad.item(): the answer is x.grad itself, a tensor off the graph, not y and not a float.
- Typing the answer (2 * x, or the lab's 4.): the tests try other points and check that autograd made it.
- One leaf shared by all calls: backward() adds into x.grad, so later calls come back too large; make x afresh.
- A dropped term or a wrong power (2x² + x for 2x³ + x): the value is off.
- float64 (.double()): the tests want torch.tensor(x)'s default float32.
- .grad of a tensor that backward() never reached: None.

Read more
---------
https://pytorch.org/docs/stable/notes/autograd.html
https://pytorch.org/docs/stable/generated/torch.Tensor.backward.html
"""

import torch


def square(x: float) -> torch.Tensor:
    """dy/dx of y = x² at the point x, by autograd.

    x: the point, a Python float.
    Returns: dy/dx = 2x, a 0-dim float32 tensor not attached to the graph (requires_grad False), the same
      every time the function is called at x.

    Example: square(2.0) -> tensor(4.)
    """
    raise NotImplementedError


def quadratic(x: float) -> torch.Tensor:
    """dy/dx of y = x² + 2x + 1 at the point x, by autograd.

    x: the point, a Python float.
    Returns: dy/dx = 2x + 2, a 0-dim float32 tensor not attached to the graph (requires_grad False), the
      same every time the function is called at x.

    Example: quadratic(2.0) -> tensor(6.)
    """
    raise NotImplementedError


def cubic(x: float) -> torch.Tensor:
    """dy/dx of y = 2x³ + x at the point x, by autograd.

    x: the point, a Python float.
    Returns: dy/dx = 6x² + 1, a 0-dim float32 tensor not attached to the graph (requires_grad False), the
      same every time the function is called at x.

    Example: cubic(1.0) -> tensor(7.)
    """
    raise NotImplementedError
