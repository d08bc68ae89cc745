"""Many values at once: backward() needs a scalar, and y.sum() is one whose gradient is dy/dx at every point.

To draw a derivative, the lab computes it at many points at once: x = torch.linspace(-10, 10, 10,
requires_grad=True) holds ten points, y = x ** 2 ten values. backward() starts from a scalar only (y.backward()
raises "grad can be implicitly created only for scalar outputs"), so the lab calls y.sum().backward(). This sum
trick is exact: each term yⱼ of S = y₁ + … + yₙ depends on its own point xⱼ alone, so moving xᵢ moves only yᵢ:
∂S/∂xᵢ = dyᵢ/dxᵢ. x.grad holds the derivative at every point.

To plot, x.detach().numpy() makes a numpy array (a tensor that requires grad refuses .numpy()). The lab draws the
function and its derivative side by side; the derivative's value at each x is the slope of the function's curve
there. For x² it is the straight line 2x: negative left of 0, where the parabola falls, zero at its bottom, positive
right of 0, where it climbs.

By hand
-------
- y = x² on linspace(-10, 10, 10): S = Σⱼ xⱼ², and ∂S/∂xᵢ = 2xᵢ, from 2·(−10) = −20 up to 2·10 = 20.
- ReLU: relu(x) = max(x, 0) is 0 left of 0 and x right of it, so its derivative is 0 for x < 0 and 1 for x > 0.
  The kink at 0 has no derivative in the calculus sense; autograd uses 0 there. The lab differentiates torch.relu
  on linspace(-10, 10, 1000) by the sum trick and plots x.grad: a step from 0 to 1.

In torch
--------
>>> import torch
>>> x = torch.linspace(-2, 2, 5, requires_grad=True)
>>> (x ** 3).sum().backward()
>>> x.grad
tensor([12.,  3.,  0.,  3., 12.])
>>> xs = x.detach().numpy()
>>> type(xs).__name__, xs.tolist()
('ndarray', [-2.0, -1.0, 0.0, 1.0, 2.0])

By hand: d(x³)/dx = 3x², so 12 at ±2 and 3 at ±1.

Traps the tests catch
---------------------
- No sum (backward() raises), or a mean for the sum (in mean_square_gradient, the reverse): a mean divides every
  slope by n.
- Always float32: the tests pass float64 points too, and x.clone().requires_grad_() keeps them so.
- ReLU by hand, or as x.clamp(min=0) or torch.where(x >= 0, ...): the same values, but another slope at 0.
- curve: tensors where numpy arrays are due, f(x) left on the graph, or the three arrays out of order.

Read more
---------
https://pytorch.org/docs/stable/notes/autograd.html
https://pytorch.org/docs/stable/generated/torch.linspace.html
https://pytorch.org/docs/stable/generated/torch.nn.functional.relu.html
"""

from collections.abc import Callable

import numpy as np
import torch


def square_at(x: torch.Tensor) -> torch.Tensor:
    """dy/dx of y = x² at every point of x, with one backward pass: the sum trick.

    One y.sum().backward() gives every point's slope at once; y.backward(torch.ones_like(y)), or one
    torch.autograd.grad (or torch.func.grad) of y.sum(), is the same single pass. A pass per point (a loop, vmap,
    a Jacobian's diagonal) or forward mode misses the lesson.
    x: a 1-D float tensor of points; it does not require grad, and it must come back unchanged (work on a copy).
    Returns: 2x at each point, a tensor of x's shape and dtype, not attached to the graph (requires_grad False).

    Example: square_at(torch.tensor([-1.0, 0.0, 3.0])) -> tensor([-2., 0., 6.])
    """
    raise NotImplementedError


def relu_at(x: torch.Tensor) -> torch.Tensor:
    """The derivative of ReLU, torch.relu, at every point of x, by autograd: 0 where x <= 0, 1 where x > 0.

    At the kink x = 0 autograd gives torch.relu the slope 0; other spellings of max(x, 0) (x.clamp(min=0),
    torch.maximum, (x + |x|) / 2) may give another slope there, so differentiate torch.relu itself.
    x: a 1-D float tensor of points; it does not require grad, and it must come back unchanged (work on a copy).
    Returns: a tensor of x's shape and dtype, not attached to the graph (requires_grad False).

    Example: relu_at(torch.tensor([-2.0, 0.0, 0.5])) -> tensor([0., 0., 1.])
    """
    raise NotImplementedError


def mean_square_gradient(x: torch.Tensor) -> torch.Tensor:
    """The gradient of the mean of squares, m(x) = (x₁² + … + xₙ²) / n, by autograd: ∂m/∂xᵢ = 2xᵢ / n.

    x: a 1-D float tensor of n points; it does not require grad, and it must come back unchanged (work on a copy).
    Returns: a tensor of x's shape and dtype, not attached to the graph (requires_grad False).

    Example: mean_square_gradient(torch.tensor([1.0, -2.0])) -> tensor([ 1., -2.])
    """
    raise NotImplementedError


def curve(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three arrays the lab plots: the points, f at the points and f' at the points (f' by autograd).

    f: an elementwise function of a tensor, such as torch.relu or lambda t: t ** 2.
    x: a 1-D float tensor of points; it does not require grad, and it must come back unchanged (work on a copy).
    Returns: a tuple (x, f(x), f'(x)) of numpy arrays of x's shape and dtype; the first may share memory with x.

    Example: curve(torch.relu, torch.tensor([-1.0, 2.0]))
      -> (array([-1., 2.], dtype=float32), array([0., 2.], dtype=float32), array([0., 1.], dtype=float32))
    """
    raise NotImplementedError
