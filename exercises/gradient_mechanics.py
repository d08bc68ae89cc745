"""Gradient mechanics: .grad adds up, backward() frees its graph; no_grad, detach and leaves set what is tracked."""

import torch


def grad_after_k_backwards(x: float, k: int) -> torch.Tensor:
    """x.grad after k backward() passes through y = x³, each through a newly built y, never zeroed in between.

    Each pass adds its gradient into x.grad rather than replacing it, so x.grad ends as k · 3x².
    x: the point, a Python float.
    k: how many passes, an int >= 1.
    Returns: a 0-dim float32 tensor.

    Example: grad_after_k_backwards(2.0, 3) -> tensor(36.)
    """
    raise NotImplementedError


def grads_per_step(w: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Each step's own gradient, as a training loop needs them: step i differentiates loss = (w − targetᵢ)².

    backward() adds into w.grad and w may come with a stale .grad, so zero w.grad before each backward()
    (w.grad = None, or w.grad.zero_()). Afterwards w.grad holds the last step's gradient.
    w: a 0-dim leaf tensor that requires grad, of targets' dtype; its value stays as it is.
    targets: a 1-D float tensor, one target per step.
    Returns: a tensor of targets' shape and dtype, 2(w − targetᵢ) at each step i.

    Example: grads_per_step(torch.tensor(1.0, requires_grad=True), torch.tensor([0.0, 3.0]))
      -> tensor([ 2., -4.])
    """
    raise NotImplementedError


def backward_twice(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Run backward() twice through the one graph of y, and return x.grad: twice dy/dx.

    backward() frees the graph's saved values; retain_graph=True on the first call keeps them for the second.
    y: a 0-dim tensor built from x; its graph is built once, by the caller.
    x: a 1-D leaf tensor that requires grad; its .grad is None.
    Returns: x.grad afterwards, a tensor of x's shape and dtype, 2 · dy/dx.

    Example: backward_twice((t ** 3).sum(), t) with t = torch.tensor([1.0, 2.0], requires_grad=True)
      -> tensor([ 6., 24.])
    """
    raise NotImplementedError


def no_grad_square(x: torch.Tensor) -> torch.Tensor:
    """x² at every point of x, computed inside torch.no_grad(), so that autograd records no graph for it.

    x requires grad, so x ** 2 outside no_grad would build a graph (grad_fn=<PowBackward0>) for a backward()
    that never comes. Inside no_grad the result has requires_grad=False and grad_fn=None; x stays as it is.
    x: a 1-D float leaf tensor that requires grad.
    Returns: a tensor of x's shape and dtype that does not require grad.

    Example: no_grad_square(torch.tensor([2.0, -3.0], requires_grad=True)) -> tensor([4., 9.])
    """
    raise NotImplementedError


def detached_product_grad(x: torch.Tensor) -> torch.Tensor:
    """d/dx of y = x · stop(x) at every point of x, by autograd, where stop(x) is x.detach().

    To autograd a detached tensor is a constant: no gradient flows through it, so dy/dx = x, not the 2x of x · x.
    x: a 1-D float tensor of points; it does not require grad.
    Returns: a tensor of x's shape and dtype.

    Example: detached_product_grad(torch.tensor([1.0, -2.0])) -> tensor([ 1., -2.])
    """
    raise NotImplementedError


def leaf_parameter(values: torch.Tensor, scale: float) -> torch.Tensor:
    """A parameter holding values · scale that backward() fills .grad for: a leaf tensor that requires grad.

    torch.tensor(values, requires_grad=True) * scale is no leaf: it is the output of a multiplication
    (grad_fn=<MulBackward0>), and backward() fills the .grad of leaves only. Scale first, then requires_grad_().
    values: a 1-D float tensor; it does not require grad, and stays unchanged.
    scale: a Python float.
    Returns: a leaf tensor of values' shape and dtype with requires_grad=True.

    Example: leaf_parameter(torch.tensor([1.0, 2.0]), 0.5) -> tensor([0.5000, 1.0000], requires_grad=True)
    """
    raise NotImplementedError
