"""Partial derivatives: one backward() through f(u, v) fills both u.grad and v.grad."""

import torch


def lab_partials(u: float, v: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Both partial derivatives of f(u, v) = uv + u² at (u, v), by autograd.

    u, v: the point, Python floats.
    Returns: a tuple (∂f/∂u, ∂f/∂v) of 0-dim float32 tensors, equal to (v + 2u, u).

    Example: lab_partials(1.0, 2.0) -> (tensor(4.), tensor(1.))
    """
    u = torch.tensor(u, requires_grad=True)
    v = torch.tensor(v, requires_grad=True)
    f = u * v + u**2
    f.backward()
    return u.grad, v.grad


def practice_du(u: float, v: float) -> torch.Tensor:
    """∂f/∂u of f(u, v) = uv + (uv)² at (u, v), by autograd.

    u, v: the point, Python floats.
    Returns: a 0-dim float32 tensor, ∂f/∂u = v + 2uv².

    Example: practice_du(2.0, 1.0) -> tensor(5.)
    """
    u = torch.tensor(u, requires_grad=True)
    v = torch.tensor(v, requires_grad=True)
    f = u * v + (u * v) ** 2
    f.backward()
    return u.grad


def practice_dv(u: float, v: float) -> torch.Tensor:
    """∂f/∂v of f(u, v) = uv + (uv)² at (u, v), by autograd.

    u, v: the point, Python floats.
    Returns: a 0-dim float32 tensor, ∂f/∂v = u + 2u²v.

    Example: practice_dv(2.0, 1.0) -> tensor(10.)
    """
    u = torch.tensor(u, requires_grad=True)
    v = torch.tensor(v, requires_grad=True)
    f = u * v + (u * v) ** 2
    f.backward()
    return v.grad
