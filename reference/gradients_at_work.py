"""Gradients at work: step against the gradient, again and again, until the loss is small; then let an optimizer.

The gradient points uphill, so a small step against it, x ← x − lr·f'(x), lowers f; the learning rate lr sets the
step's length, and too large a one overshoots. Repeat until the slope is flat (|f'(x)| < tol) or the steps run out:
that is gradient descent. Each step needs a fresh gradient, so clear .grad first, as backward() adds into it. The
update must not be recorded: make it in place under torch.no_grad(), and x stays the same leaf. Fitting a line
y ≈ w·x + b is the same loop on the mean squared error L = mean((w·x + b − y)²), whose gradient is
∂L/∂w = mean(2(w·x + b − y)·x), ∂L/∂b = mean(2(w·x + b − y)). torch.optim.SGD(params, lr=lr) runs the update for
you: optimizer.zero_grad() clears .grad, loss.backward() fills it, optimizer.step() does p ← p − lr·p.grad.

By hand
-------
f(w) = (w + 1)², f'(w) = 2(w + 1), lr = 0.25, from w = 1: f'(1) = 4, so w = 1 − 0.25·4 = 0; f'(0) = 2, so
w = −0.5; f'(−0.5) = 1, so w = −0.75. Each step multiplies the distance to the minimum at −1 by 1 − 2·lr = 0.5.

In torch
--------
>>> import torch
>>> w = torch.tensor(1.0, requires_grad=True)
>>> optimizer = torch.optim.SGD([w], lr=0.25)
>>> for _ in range(3):
...     optimizer.zero_grad()
...     loss = (w + 1) ** 2
...     loss.backward()
...     optimizer.step()
>>> w
tensor(-0.7500, requires_grad=True)

Traps the tests catch
---------------------
- x + lr·f'(x) climbs; returning f'(x) instead of the new point; a new point still attached to the graph.
- minimize: not clearing x.grad; counting checks instead of steps; stopping when x is near 3 rather than when the
  slope is flat; steps as a tensor, not an int.
- mse_gradients: the summed error instead of its mean; (∂L/∂b, ∂L/∂w) for (∂L/∂w, ∂L/∂b); float32 for float64 data.
- sgd_step: p = p − lr·p.grad only rebinds a name; an in-place update outside no_grad() raises; a .grad of None
  must be skipped; .grad is left as it was.
- fit_line: no zero_grad() (gradients add up over the steps); zero_grad() between backward() and step(); a summed
  loss; the least-squares line, which `steps` steps do not reach.

Read more
---------
https://pytorch.org/docs/stable/optim.html
https://pytorch.org/docs/stable/generated/torch.optim.SGD.html
"""

import torch


def descent_step(x: float, lr: float) -> torch.Tensor:
    """One step of gradient descent on f(x) = (x − 3)²: x − lr · f'(x), with f'(x) by autograd (any mode).

    x: the current point, a Python float; lr: the learning rate, a positive Python float.
    Returns: the new point, a 0-dim float32 tensor, not attached to the graph (requires_grad False).

    Example: descent_step(5.0, 0.1) -> tensor(4.6000)
    """
    x = torch.tensor(x, requires_grad=True)
    ((x - 3) ** 2).backward()
    with torch.no_grad():
        return x - lr * x.grad


def minimize(x0: float, lr: float, tol: float = 1e-4, max_steps: int = 200) -> tuple[torch.Tensor, int]:
    """Gradient descent on f(x) = (x − 3)² from x0, until the slope is flat or the steps run out.

    Before each step, stop if |f'(x)| < tol; otherwise step x ← x − lr · f'(x), with f'(x) by autograd
    (any mode). Stop after max_steps steps at the latest (a too-large lr never gets flat).
    x0: the starting point, a Python float; lr: a positive Python float; tol: a positive Python float;
    max_steps: a Python int.
    Returns: (x, steps): the last point, a 0-dim float32 tensor not attached to the graph (requires_grad
      False), and the number of steps taken, a Python int.

    Example: minimize(5.0, 0.5) -> (tensor(3.), 1)
    """
    x = torch.tensor(x0, requires_grad=True)
    for steps in range(max_steps + 1):  # a check before each of the max_steps steps, and one after the last
        x.grad = None
        ((x - 3) ** 2).backward()
        if x.grad.abs() < tol or steps == max_steps:
            return x.detach(), steps
        with torch.no_grad():
            x -= lr * x.grad


def mse_gradients(w: float, b: float, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The gradient of the mean squared error of the line w·x + b, L = mean((w·x + b − y)²), by autograd.

    Any autograd mode will do (backward(), torch.autograd.grad, torch.func), not the formula by hand.
    w, b: the line's slope and intercept, Python floats.
    x, y: 1-D float tensors of the same length and dtype, the data, which do not require grad.
    Returns: a tuple (∂L/∂w, ∂L/∂b) of 0-dim tensors of x's dtype.

    Example: mse_gradients(0.0, 0.0, torch.tensor([1.0, 2.0]), torch.tensor([1.0, 3.0]))
      -> (tensor(-7.), tensor(-4.))
    """
    w = torch.tensor(w, dtype=x.dtype, requires_grad=True)
    b = torch.tensor(b, dtype=x.dtype, requires_grad=True)
    torch.mean((w * x + b - y) ** 2).backward()
    return w.grad, b.grad


def sgd_step(params: list[torch.Tensor], lr: float) -> None:
    """What optimizer.step() does for plain SGD, by hand: p ← p − lr · p.grad for each parameter, in place.

    The update is yours to write: no torch.optim optimizer makes it (its step() is what this reimplements).
    params: a list (possibly empty) of leaf tensors that require grad; a parameter whose .grad is None has
      no gradient yet and stays as it is.
    lr: the learning rate, a positive Python float.
    Returns: None. The parameters change in place and stay leaves that require grad; .grad is left as it
      was (clearing it is zero_grad()'s job).

    Example: w = torch.tensor(1.0, requires_grad=True); w.grad = torch.tensor(2.0); sgd_step([w], 0.1)
      -> w is tensor(0.8000, requires_grad=True)
    """
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad


def fit_line(x: torch.Tensor, y: torch.Tensor, lr: float, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Fit y ≈ w·x + b by `steps` steps of torch.optim.SGD(lr=lr) on the mean squared error, from w = b = 0.

    Each step: clear the gradients (zero_grad), compute the loss, backward(), step(); the optimizer makes
    every update (`steps` calls of its step()), none is made by hand.
    x, y: 1-D float tensors of the same length and dtype, the data, which do not require grad;
    lr: a positive Python float; steps: a Python int.
    Returns: a tuple (w, b) of 0-dim tensors of x's dtype, not attached to the graph (requires_grad False).

    Example: fit_line(torch.tensor([0.0, 1.0]), torch.tensor([-1.0, 1.0]), 0.5, 1) -> (tensor(0.5000), tensor(0.))
    """
    w = torch.zeros((), dtype=x.dtype, requires_grad=True)
    b = torch.zeros((), dtype=x.dtype, requires_grad=True)
    optimizer = torch.optim.SGD([w, b], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.mean((w * x + b - y) ** 2).backward()
        optimizer.step()
    return w.detach(), b.detach()
