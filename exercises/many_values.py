"""Many values at once: backward() needs a scalar, and y.sum() is one whose gradient is dy/dx at every point."""

from collections.abc import Callable

import numpy as np
import torch


def square_at(x: torch.Tensor) -> torch.Tensor:
    """dy/dx of y = x² at every point of x, with one backward() call (the sum trick).

    x: a 1-D float tensor of points; it does not require grad.
    Returns: a tensor of x's shape and dtype, 2x at each point.

    Example: square_at(torch.tensor([-1.0, 0.0, 3.0])) -> tensor([-2., 0., 6.])
    """
    raise NotImplementedError


def relu_at(x: torch.Tensor) -> torch.Tensor:
    """The derivative of ReLU at every point of x, by autograd: 0 where x <= 0, 1 where x > 0.

    x: a 1-D float tensor of points; it does not require grad.
    Returns: a tensor of x's shape and dtype.

    Example: relu_at(torch.tensor([-2.0, 0.0, 0.5])) -> tensor([0., 0., 1.])
    """
    raise NotImplementedError


def mean_square_gradient(x: torch.Tensor) -> torch.Tensor:
    """The gradient of the mean of squares, m(x) = (x₁² + … + xₙ²) / n, by autograd: ∂m/∂xᵢ = 2xᵢ / n.

    x: a 1-D float tensor of n points; it does not require grad.
    Returns: a tensor of x's shape and dtype.

    Example: mean_square_gradient(torch.tensor([1.0, -2.0])) -> tensor([ 1., -2.])
    """
    raise NotImplementedError


def curve(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three arrays the lab plots: the points, f at the points and f' at the points (by autograd).

    f: an elementwise function of a tensor, such as torch.relu or lambda t: t ** 2.
    x: a 1-D float tensor of points; it does not require grad.
    Returns: a tuple (x, f(x), f'(x)) of numpy arrays of x's shape and dtype.

    Example: curve(torch.relu, torch.tensor([-1.0, 2.0]))
      -> (array([-1., 2.], dtype=float32), array([0., 2.], dtype=float32), array([0., 1.], dtype=float32))
    """
    raise NotImplementedError
