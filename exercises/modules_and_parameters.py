"""Modules and parameters: nn.Linear's weight and bias are leaves; freeze them, clear them, accumulate, group them.

nn.Linear(in, out) computes y = x·Wᵀ + b. Its weight W, (out, in), and bias b, (out,), are nn.Parameter: leaves
that require grad, whose .grad backward() fills. With G = ∂L/∂y, one row per sample: ∂L/∂W = Gᵀ·x, ∂L/∂b = the
sum of G's rows, ∂L/∂x = G·W.

requires_grad_(False) freezes a parameter: backward() leaves its .grad None, and an optimizer skips a parameter
whose .grad is None. optimizer.zero_grad() sets .grad to None (set_to_none=True, the default) or, with False, to
zeros: a zero gradient is still a gradient, and SGD's momentum moves the parameter on. Micro-batches: backward() on
each one's mean loss times its share of the rows, nᵢ/N, adds up in .grad to the full batch's gradient. Parameter
groups give parts of a model settings of their own: SGD([{"params": a, "lr": 0.1}, {"params": b}], lr=0.01).

By hand
-------
W = [[2, 1]], b = [−1], x = [[1, 3]] and L = y²: y = 2 + 3 − 1 = 4 and G = 2y = 8, so ∂L/∂W = Gᵀ·x = [[8, 24]] and
∂L/∂b = [8]. An SGD step with lr = 0.1 moves W to [[1.2, −1.4]]; a frozen b gets no gradient and stays −1.

In torch
--------
>>> import torch
>>> layer = torch.nn.Linear(2, 1)
>>> with torch.no_grad():
...     _ = layer.weight.copy_(torch.tensor([[2.0, 1.0]]))
...     _ = layer.bias.fill_(-1.0)
>>> _ = layer.bias.requires_grad_(False)
>>> (layer(torch.tensor([[1.0, 3.0]])) ** 2).sum().backward()
>>> layer.weight.grad, layer.bias.grad
(tensor([[ 8., 24.]]), None)
>>> optimizer = torch.optim.SGD([{"params": [layer.weight], "lr": 0.1}], lr=1.0)
>>> optimizer.step()
>>> layer.weight.detach(), layer.bias.detach()
(tensor([[ 1.2000, -1.4000]]), tensor([-1.]))
>>> optimizer.zero_grad()
>>> layer.weight.grad is None
True

Traps the tests catch
---------------------
- linear_gradients: xᵀ·G for Gᵀ·x; the summed error, or the mean over rows, for the mean over all N·out entries;
  the mean of G's rows for ∂L/∂b; a float32 layer for float64 data.
- frozen_body_step: freezing after backward() (the body has a .grad, and SGD moves it); a detach() or an optimizer
  without the body, which stop it without freezing it; a step by hand.
- zero_grad_steps: ignoring set_to_none; no zero_grad(); zero_grad() after step(); a new optimizer for step 2.
- accumulated_gradients: unscaled micro-batch means; dividing by their number when the last one is shorter;
  zeroing between them; one backward() for the whole batch.
- two_group_sgd: one group for all; the learning rates swapped; a part in no group; one optimizer per part.

Read more
---------
https://pytorch.org/docs/stable/generated/torch.nn.Linear.html
https://pytorch.org/docs/stable/generated/torch.nn.Module.html
https://pytorch.org/docs/stable/optim.html
https://pytorch.org/docs/stable/generated/torch.optim.Optimizer.zero_grad.html
"""

import torch


def linear_gradients(
    weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor, target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """∂L/∂W and ∂L/∂b of a linear layer's mean squared error, by autograd.

    y = x·Wᵀ + b and L = mean((y − target)²), the mean over all N·out entries. With G = ∂L/∂y =
    2(y − target)/(N·out), the answers are ∂L/∂W = Gᵀ·x, of W's shape, and ∂L/∂b = the sum of G's rows.
    (An nn.Linear holding copies of weight and bias does it; so do leaf copies of them.)
    weight: the layer's W, an (out, in) float tensor; bias: its b, (out,); x: the batch, (N, in); target: (N, out).
      All of one dtype; none requires grad; all stay unchanged.
    Returns: (∂L/∂W, ∂L/∂b): tensors of weight's and bias's shapes, of their dtype, not attached to the graph.

    Example: linear_gradients(torch.tensor([[1.0, -1.0]]), torch.tensor([0.0]), torch.tensor([[2.0, 1.0]]),
      torch.tensor([[0.0]])) -> (tensor([[4., 2.]]), tensor([2.]))
    """
    raise NotImplementedError


def frozen_body_step(model: torch.nn.Module, x: torch.Tensor, target: torch.Tensor, lr: float) -> None:
    """One torch.optim.SGD step on L = mean((model(x) − target)²) with model.body frozen: only the head learns.

    Freeze a part before the forward pass, model.body.requires_grad_(False): backward() then gives its parameters
    no .grad, and SGD skips every parameter whose .grad is None, so the body stays where it is.
    model: an nn.Sequential of body = nn.Linear(3, 4), act = nn.Tanh() and head = nn.Linear(4, 2), of x's dtype;
      every parameter requires grad and has no .grad. It changes in place: afterwards model.body's parameters do
      not require grad, have no .grad and keep their values; model.head's took the step θ ← θ − lr·∂L/∂θ.
    x: (N, 3) float tensor; target: (N, 2), of x's dtype; neither requires grad; both stay unchanged.
    lr: the learning rate, a positive Python float.
    Returns: None.

    Example: with every parameter of model 0, x = torch.ones(1, 3), target = torch.tensor([[1.0, -1.0]]) and
      lr = 0.5, afterwards model.head.bias is tensor([ 0.5000, -0.5000]), every other parameter is still 0, and
      model.body.weight.requires_grad is False.
    """
    raise NotImplementedError


def zero_grad_steps(
    model: torch.nn.Module, x: torch.Tensor, target: torch.Tensor, lr: float, set_to_none: bool
) -> None:
    """Two steps of one torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9), zero_grad(set_to_none=...) first.

    Step 1 differentiates L₁ = mean((model(x) − target)²); step 2 L₂ = mean(model.body(x)²), which the head takes
    no part in. Before each step's backward(), optimizer.zero_grad(set_to_none=set_to_none). In step 2 the head's
    .grad is then None (set_to_none=True), and SGD skips it; or a zero tensor (False), and momentum still moves it:
    θ ← θ − lr·(0.9·buffer + 0).
    model: an nn.Sequential of body = nn.Linear(3, 4), act = nn.Tanh() and head = nn.Linear(4, 2), of x's dtype;
      every parameter requires grad and has no .grad. It changes in place: afterwards its parameters hold the values
      after both steps; model.body's .grad holds ∂L₂/∂θ, model.head's is None (set_to_none=True) or zeros (False).
    x: (N, 3) float tensor; target: (N, 2), of x's dtype; neither requires grad; both stay unchanged.
    lr: the learning rate, a positive Python float. set_to_none: a bool, passed on to zero_grad.
    Returns: None.

    Example: with every parameter of model 0, x = torch.ones(1, 3), target = torch.tensor([[1.0, -1.0]]), lr = 0.5
      and set_to_none=False, afterwards model.head.bias is tensor([ 0.9500, -0.9500]) and its .grad
      tensor([0., 0.]); with set_to_none=True it is tensor([ 0.5000, -0.5000]) and its .grad None.
    """
    raise NotImplementedError


def accumulated_gradients(
    weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor, target: torch.Tensor, micro_batch: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The full batch's ∂L/∂W and ∂L/∂b, L = mean((x·Wᵀ + b − target)²), from one backward() per micro-batch.

    The micro-batches are x's rows [0, m), [m, 2m), ... for m = micro_batch; the last may be shorter. Each pass
    differentiates its micro-batch's mean loss times nᵢ/N, the share of the N rows it holds, and its gradient adds
    into .grad, never zeroed in between: the sum of the shares is the full batch's gradient, Gᵀ·x and G's row sum
    with G = 2(y − target)/(N·out).
    weight: (out, in) float tensor; bias: (out,); x: (N, in); target: (N, out). All of one dtype; none requires
      grad; all stay unchanged.
    micro_batch: the rows per micro-batch, an int >= 1 (it may exceed N: one pass).
    Returns: (∂L/∂W, ∂L/∂b): tensors of weight's and bias's shapes, of their dtype, not attached to the graph.

    Example: accumulated_gradients(torch.tensor([[1.0, -1.0]]), torch.tensor([0.0]),
      torch.tensor([[2.0, 1.0], [0.0, 1.0]]), torch.tensor([[0.0], [0.0]]), 1) -> (tensor([[2., 0.]]), tensor([0.]))
    """
    raise NotImplementedError


def two_group_sgd(model: torch.nn.Module, body_lr: float, head_lr: float) -> torch.optim.SGD:
    """A torch.optim.SGD over all of model's parameters in two parameter groups, each with its learning rate.

    One group holds model.body's parameters with lr=body_lr, the other model.head's with lr=head_lr; step() then
    moves each parameter by −lr·.grad with its own group's lr. SGD's other settings stay at their defaults: no
    momentum, no weight decay.
    model: an nn.Sequential of body = nn.Linear(3, 4), act = nn.Tanh() and head = nn.Linear(4, 2); every parameter
      requires grad and has no .grad. It stays as it is: the caller steps the optimizer.
    body_lr, head_lr: positive Python floats.
    Returns: the torch.optim.SGD, with exactly two param_groups, in either order.

    Example: two_group_sgd(model, 0.01, 0.1) -> an SGD whose param_groups have lr 0.01 (model.body's weight and
      bias) and 0.1 (model.head's); after a backward(), its step() moves model.body.weight by −0.01·its .grad.
    """
    raise NotImplementedError
