"""Partial derivatives: one backward() through f(u, v) fills both u.grad and v.grad.

A function of two variables has a slope in each direction. The partial derivative ∂f/∂u is f's slope when only u
moves: v is held fixed and treated as a constant. ∂f/∂v likewise holds u fixed. Make both u and v leaf tensors with
requires_grad=True: one f.backward() walks the graph back to every leaf and fills u.grad with ∂f/∂u and v.grad with
∂f/∂v, both at the same point. There is no need for a pass per variable.

By hand
-------
Differentiate in u treating v as a number, then in v treating u as a number.

- f(u, v) = u·v + u² at u = 1, v = 2: ∂f/∂u = v + 2u = 2 + 2 = 4, and ∂f/∂v = u + 0 = 1 (u² holds no v).
  The lab: u = torch.tensor(1.0, requires_grad=True), v = torch.tensor(2.0, requires_grad=True),
  f = u * v + u ** 2, f.backward(); then u.grad is tensor(4.) and v.grad is tensor(1.).
- Practice, f(u, v) = u·v + (u·v)² at u = 2, v = 1. The square of u·v differentiates as 2(u·v) times the slope of
  u·v, which is v in u: so ∂f/∂u = v + 2(u·v)·v = v + 2u·v² = 1 + 2·2·1 = 5. Likewise
  ∂f/∂v = u + 2(u·v)·u = u + 2u²·v = 2 + 2·4·1 = 10.

In torch
--------
>>> import torch
>>> u = torch.tensor(3.0, requires_grad=True)
>>> v = torch.tensor(2.0, requires_grad=True)
>>> f = u * v ** 2 + u
>>> f.backward()
>>> u.grad, v.grad
(tensor(5.), tensor(12.))

By hand: ∂f/∂u = v² + 1 = 4 + 1 = 5 and ∂f/∂v = 2u·v = 2·3·2 = 12.

Traps the tests catch
---------------------
- Swapped partials: return (∂f/∂u, ∂f/∂v), that is (u.grad, v.grad), in that order.
- One value where two are due: lab_partials returns a tuple of both.
- Two where one is due: practice_dv returns v.grad alone, practice_du u.grad alone, not each other's.
- A dropped or misplaced square: (u·v)² is neither u·v nor u²·v.
- The lab's numbers typed in (tensor(5.)): the tests try other points and check that autograd made them.

Read more
---------
https://pytorch.org/docs/stable/notes/autograd.html
https://pytorch.org/docs/stable/generated/torch.autograd.backward.html
"""

import torch


def lab_partials(u: float, v: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Both partial derivatives of f(u, v) = uv + u² at (u, v), each by autograd.

    u, v: the point, Python floats.
    Returns: a tuple (∂f/∂u, ∂f/∂v) = (v + 2u, u) of 0-dim float32 tensors not attached to the graph
      (requires_grad False), the same every time the function is called at (u, v).

    Example: lab_partials(1.0, 2.0) -> (tensor(4.), tensor(1.))
    """
    raise NotImplementedError


def practice_du(u: float, v: float) -> torch.Tensor:
    """∂f/∂u of f(u, v) = uv + (uv)² at (u, v), by autograd.

    u, v: the point, Python floats.
    Returns: ∂f/∂u = v + 2uv², a 0-dim float32 tensor not attached to the graph (requires_grad False), the
      same every time the function is called at (u, v).

    Example: practice_du(2.0, 1.0) -> tensor(5.)
    """
    raise NotImplementedError


def practice_dv(u: float, v: float) -> torch.Tensor:
    """∂f/∂v of f(u, v) = uv + (uv)² at (u, v), by autograd.

    u, v: the point, Python floats.
    Returns: ∂f/∂v = u + 2u²v, a 0-dim float32 tensor not attached to the graph (requires_grad False), the
      same every time the function is called at (u, v).

    Example: practice_dv(2.0, 1.0) -> tensor(10.)
    """
    raise NotImplementedError
