"""Gradient mechanics: .grad adds up, backward() frees its graph; no_grad, detach and leaves set what is tracked.

backward() does not overwrite .grad, it adds into it: after two passes x.grad holds their sum. So a training loop
clears .grad before each backward() (x.grad = None, or x.grad.zero_()), and keeps a step's gradient with .clone(),
as zero_() and the next backward() change that very tensor. backward() also frees the values its graph saved (x
for x³, the result for eˣ): a second pass through the same graph fails unless the first passed retain_graph=True.
A newly built y is a new graph.

What is tracked: under `with torch.no_grad():` nothing is recorded and results do not require grad. x.detach() is
x's value cut off from the graph, a constant to autograd. backward() fills the .grad of leaves only, the tensors you
created; the result of an operation on a tracked tensor is no leaf, and its grad_fn names that operation.

By hand
-------
y = 5x has dy/dx = 5. Two passes, each through a newly built y, leave x.grad = 5 + 5 = 10; zero_() sets it back
to 0. y = e^(x − 2) at x = 2 has dy/dx = e⁰ = 1: two passes through this one graph, the first with
retain_graph=True, add up to 1 + 1 = 2.

In torch
--------
>>> import torch
>>> x = torch.tensor(2.0, requires_grad=True)
>>> for _ in range(2):
...     (5 * x).backward()
>>> x.grad
tensor(10.)
>>> x.grad.zero_()
tensor(0.)
>>> y = torch.exp(x - 2)
>>> y.backward(retain_graph=True)
>>> y.backward()
>>> x.grad
tensor(2.)
>>> with torch.no_grad():
...     z = 3 * x
>>> z.requires_grad, z.grad_fn, (3 * x).is_leaf
(False, None, False)

Traps the tests catch
---------------------
- Zeroing between passes that should add up; backward() twice on one graph without retain_graph=True.
- grads_per_step: never zeroing (w may come with a stale .grad), zeroing after backward() instead of before,
  keeping w.grad without .clone(), or differentiating a copy of w.
- backward_twice: 2 * x.grad after one pass, or torch.autograd.grad, which writes no .grad: the tests count
  the backward() passes.
- no_grad_square: (x ** 2).detach() has already recorded a graph; torch.set_grad_enabled(False) left off changes
  global state; x.requires_grad_(False) changes x.
- detached_product_grad: x * x gives 2x; detaching both factors leaves nothing to differentiate.
- leaf_parameter: scaling after requires_grad_() gives no leaf (MulBackward0); values.mul_() changes the caller's
  tensor; torch.tensor(….tolist()) loses float64.

Read more
---------
https://pytorch.org/docs/stable/notes/autograd.html
https://pytorch.org/docs/stable/generated/torch.no_grad.html
https://pytorch.org/docs/stable/generated/torch.Tensor.detach.html
"""

import torch


def grad_after_k_backwards(x: float, k: int) -> torch.Tensor:
    """x.grad after k backward() passes through y = x³, never zeroed in between.

    Each pass adds its gradient into x.grad rather than replacing it, so x.grad ends as k · 3x². The tests count
    the backward() calls: k of them, and no torch.autograd.grad, which adds nothing into x.grad. A pass frees the
    graph it ran through, so build y anew for each pass (or keep the graph with retain_graph=True).
    x: the point, a Python float.
    k: how many passes, an int >= 1.
    Returns: x.grad, a 0-dim float32 tensor, not attached to the graph.

    Example: grad_after_k_backwards(2.0, 3) -> tensor(36.)
    """
    x = torch.tensor(x, requires_grad=True)
    for _ in range(k):
        (x**3).backward()
    return x.grad


def grads_per_step(w: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Each step's own gradient, as a training loop needs them: step i differentiates loss = (w − targetᵢ)².

    backward() adds into w.grad and w may come with a stale .grad, so zero w.grad before each backward()
    (w.grad = None, or w.grad.zero_()). One backward() per step, on w itself (not torch.autograd.grad, which
    writes no .grad); afterwards w.grad holds the last step's gradient.
    w: a 0-dim leaf tensor that requires grad, of targets' dtype; its value and requires_grad stay as they are,
      only its .grad changes (no update step).
    targets: a 1-D float tensor of one or more targets, one per step; it stays as it is.
    Returns: a tensor of targets' shape and dtype, not attached to the graph, 2(w − targetᵢ) at each step i.

    Example: grads_per_step(torch.tensor(1.0, requires_grad=True), torch.tensor([0.0, 3.0]))
      -> tensor([ 2., -4.])
    """
    steps = []
    for target in targets:
        w.grad = None
        ((w - target) ** 2).backward()
        steps.append(w.grad)
    return torch.stack(steps)


def backward_twice(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Run backward() twice through the one graph of y, and return x.grad: twice dy/dx.

    backward() frees the graph's saved values; retain_graph=True on the first call keeps them for the second.
    The tests count two backward() calls: not one backward() of 2y or with gradient=2, not torch.autograd.grad.
    y: a 0-dim tensor built from x; its graph is built once, by the caller.
    x: a 1-D leaf tensor that requires grad; its .grad is None. backward() fills x.grad; its values stay as they are.
    Returns: x.grad afterwards (x.grad itself or a copy), a tensor of x's shape and dtype, 2 · dy/dx.

    Example: backward_twice((t ** 3).sum(), t) with t = torch.tensor([1.0, 2.0], requires_grad=True)
      -> tensor([ 6., 24.])
    """
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


def no_grad_square(x: torch.Tensor) -> torch.Tensor:
    """x² at every point of x, computed inside torch.no_grad(), so that autograd records no graph for it.

    x requires grad, so x ** 2 outside no_grad would build a graph (grad_fn=<PowBackward0>) for a backward()
    that never comes. Inside no_grad the result has requires_grad=False and grad_fn=None. The tests check that
    the squaring ran with grad mode off and recorded nothing: x.detach() ** 2 gives the same numbers, but not
    inside torch.no_grad().
    x: a 1-D float leaf tensor that requires grad; it stays as it is (values, requires_grad, .grad).
    Returns: a tensor of x's shape and dtype that does not require grad.

    Example: no_grad_square(torch.tensor([2.0, -3.0], requires_grad=True)) -> tensor([4., 9.])
    """
    with torch.no_grad():
        return x**2


def detached_product_grad(x: torch.Tensor) -> torch.Tensor:
    """d/dx of y = x · stop(x) at every point of x, by autograd, where stop(x) is x.detach().

    To autograd a detached tensor is a constant: no gradient flows through it, so dy/dx = x, not the 2x of x · x.
    The tests check that x.detach() ran (x² / 2 also has slope x, but is not this lesson).
    x: a 1-D float tensor of points; it does not require grad, and stays as it is.
    Returns: a tensor of x's shape and dtype, not attached to the graph.

    Example: detached_product_grad(torch.tensor([1.0, -2.0])) -> tensor([ 1., -2.])
    """
    x = x.clone().requires_grad_()
    (x * x.detach()).sum().backward()
    return x.grad


def leaf_parameter(values: torch.Tensor, scale: float) -> torch.Tensor:
    """A parameter holding values · scale that backward() fills .grad for: a leaf tensor that requires grad.

    values.clone().requires_grad_() * scale is no leaf: it is the output of a multiplication
    (grad_fn=<MulBackward0>), and backward() fills the .grad of leaves only. Scale first, then requires_grad_()
    (a torch.nn.Parameter holding values · scale is such a leaf too).
    values: a 1-D float tensor; it does not require grad, and stays unchanged.
    scale: a Python float.
    Returns: a leaf tensor of values' shape and dtype with requires_grad=True.

    Example: leaf_parameter(torch.tensor([1.0, 2.0]), 0.5) -> tensor([0.5000, 1.0000], requires_grad=True)
    """
    return (values * scale).requires_grad_()
