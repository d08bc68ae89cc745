"""Gradients at work: step against the gradient, again and again, until the loss is small; then let an optimizer."""

import torch


def descent_step(x: float, lr: float) -> torch.Tensor:
    """One step of gradient descent on f(x) = (x − 3)²: x − lr · f'(x), with f'(x) by autograd.

    x: the current point, a Python float; lr: the learning rate, a positive Python float.
    Returns: the new point, a 0-dim float32 tensor, not attached to the graph.

    Example: descent_step(5.0, 0.1) -> tensor(4.6000)
    """
    raise NotImplementedError


def minimize(x0: float, lr: float, tol: float = 1e-4, max_steps: int = 200) -> tuple[torch.Tensor, int]:
    """Gradient descent on f(x) = (x − 3)² from x0, until the slope is flat or the steps run out.

    Before each step, stop if |f'(x)| < tol; otherwise step x ← x − lr · f'(x), with f'(x) by autograd.
    Stop after max_steps steps at the latest (a too-large lr never gets flat).
    x0: the starting point, a Python float; lr: a positive Python float; tol: a positive Python float.
    Returns: (x, steps): the last point, a 0-dim float32 tensor not attached to the graph, and the number
      of steps taken, a Python int.

    Example: minimize(5.0, 0.5) -> (tensor(3.), 1)
    """
    raise NotImplementedError


def mse_gradients(w: float, b: float, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The gradient of the mean squared error of the line w·x + b, L = mean((w·x + b − y)²), by autograd.

    w, b: the line's slope and intercept, Python floats.
    x, y: 1-D float tensors of the same length and dtype, the data.
    Returns: a tuple (∂L/∂w, ∂L/∂b) of 0-dim tensors of x's dtype.

    Example: mse_gradients(0.0, 0.0, torch.tensor([1.0, 2.0]), torch.tensor([1.0, 3.0]))
      -> (tensor(-7.), tensor(-4.))
    """
    raise NotImplementedError


def sgd_step(params: list[torch.Tensor], lr: float) -> None:
    """What optimizer.step() does for plain SGD: p ← p − lr · p.grad for each parameter, in place.

    params: leaf tensors that require grad; a parameter whose .grad is None has no gradient yet and stays.
    lr: the learning rate, a positive Python float.
    Returns: None. The parameters change in place and stay leaves that require grad; .grad is left as it
      was (clearing it is zero_grad()'s job).

    Example: w = torch.tensor(1.0, requires_grad=True); w.grad = torch.tensor(2.0); sgd_step([w], 0.1)
      -> w is tensor(0.8000, requires_grad=True)
    """
    raise NotImplementedError


def fit_line(x: torch.Tensor, y: torch.Tensor, lr: float, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Fit y ≈ w·x + b by `steps` steps of torch.optim.SGD(lr=lr) on the mean squared error, from w = b = 0.

    Each step: clear the gradients (zero_grad), compute the loss, backward(), step().
    x, y: 1-D float tensors of the same length and dtype, the data; lr: a positive Python float;
    steps: a Python int.
    Returns: a tuple (w, b) of 0-dim tensors of x's dtype, not attached to the graph.

    Example: fit_line(torch.tensor([0.0, 1.0]), torch.tensor([-1.0, 1.0]), 0.5, 1) -> (tensor(0.5000), tensor(0.))
    """
    raise NotImplementedError
