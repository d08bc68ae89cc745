"""Derivatives: make x a tensor that requires grad, build y from it, call y.backward(), read x.grad."""

import torch


def square(x: float) -> torch.Tensor:
    """dy/dx of y = x² at the point x, by autograd.

    x: the point, a Python float.
    Returns: a 0-dim float32 tensor, dy/dx = 2x.

    Example: square(2.0) -> tensor(4.)
    """
    raise NotImplementedError


def quadratic(x: float) -> torch.Tensor:
    """dy/dx of y = x² + 2x + 1 at the point x, by autograd.

    x: the point, a Python float.
    Returns: a 0-dim float32 tensor, dy/dx = 2x + 2.

    Example: quadratic(2.0) -> tensor(6.)
    """
    raise NotImplementedError


def cubic(x: float) -> torch.Tensor:
    """dy/dx of y = 2x³ + x at the point x, by autograd.

    x: the point, a Python float.
    Returns: a 0-dim float32 tensor, dy/dx = 6x² + 1.

    Example: cubic(1.0) -> tensor(7.)
    """
    raise NotImplementedError
