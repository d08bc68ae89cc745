"""Hooks: code autograd runs on a gradient's way: read it, change it, step once .grad is filled; then remove it.

t.register_hook(fn) has autograd call fn(grad) with ∂L/∂t when the backward pass reaches t; a tensor it returns
replaces the gradient flowing on (to what t was made from, or into a leaf's .grad), None leaves it. On an
intermediate the hook sees the whole gradient through it, summed over its uses, without retain_grad(); on a leaf it
sees each pass's gradient before it is added into .grad, so a clipping hook clips every pass, not their sum.

p.register_post_accumulate_grad_hook(fn) (torch >= 2.1) calls fn(p) once p.grad is accumulated: the place for an
optimizer step inside backward(). A module's register_full_backward_hook(fn) calls fn(module, grad_input,
grad_output), tuples of the gradients with respect to its inputs and outputs; an input that does not require grad
gets None. Every register_* returns a handle whose remove() takes the hook off: a hook left on someone else's
tensor or module fires in every later backward().

By hand
-------
u = x² and y = 3u at x = 2: ∂y/∂u = 3 and ∂y/∂x = 3·2x = 12. A hook on u that doubles its gradient is handed 3
and sends 6 on instead, so x.grad = 6·2x = 24.

In torch
--------
>>> import torch
>>> x = torch.tensor(2.0, requires_grad=True)
>>> u = x ** 2
>>> seen = []
>>> def double(grad):
...     seen.append(grad)
...     return 2 * grad
>>> handle = u.register_hook(double)
>>> (3 * u).backward()
>>> seen, x.grad
([tensor(3.)], tensor(24.))
>>> handle.remove()
>>> w = torch.tensor(1.0, requires_grad=True)
>>> handle = w.register_post_accumulate_grad_hook(lambda p: print("w.grad is", p.grad))
>>> (5 * w).backward()
w.grad is tensor(5.)
>>> handle.remove()

Traps the tests catch
---------------------
- intermediate_grad: retain_grad() or torch.autograd.grad for the hook; the hook on x or on sin(u), not on u;
  u.grad, which stays None for an intermediate.
- reversed_gradient: the hook on h, which reverses the task's gradient too; +λ for −λ; a hook that does not return.
- clipped_passes: clipping the accumulated w.grad at the end, the clip of the sum; a hook left on w.
- sgd_hooks: register_hook, which runs before .grad is filled, too early to clear it; a step that leaves p.grad
  set; handles that do not take the hooks off.
- backward_hook_grads: an x that does not require grad (grad_input[0] is None), or the caller's x made to;
  (grad_output, grad_input) swapped; the old register_backward_hook; a hook left on the layer.

Read more
---------
https://pytorch.org/docs/stable/generated/torch.Tensor.register_hook.html
https://pytorch.org/docs/stable/generated/torch.Tensor.register_post_accumulate_grad_hook.html
https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook
https://pytorch.org/docs/stable/notes/autograd.html#backward-hooks-execution
"""

import torch


def intermediate_grad(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """dy/du at the intermediate u = x², recorded by a hook on u, and dy/dx, for y = Σ (sin(u) + u·x).

    u feeds y twice, so the gradient through it is the sum of both uses: dy/du = cos(u) + x; and dy/dx =
    2x·cos(x²) + 3x². Register a hook on u (u.register_hook) that keeps the gradient it is handed, then run one
    backward() pass, which fills x.grad on the way. Not u.retain_grad(): the task is the hook.
    x: a 1-D float tensor of points; it does not require grad.
    Returns: (dy/du, dy/dx): tensors of x's shape and dtype, not attached to the graph.

    Example: intermediate_grad(torch.tensor([0.0, 1.0])) -> (tensor([1.0000, 1.5403]), tensor([0.0000, 4.0806]))
    """
    raise NotImplementedError


def reversed_gradient(x: torch.Tensor, lam: float) -> torch.Tensor:
    """dL/dx through a gradient reversal: a hook on the adversary's copy of h multiplies its gradient by −λ.

    h = sin(x) feeds a task loss Σ h² and, through r = h.clone(), an adversary's loss Σ r: L = Σ h² + Σ r. A hook on
    r that returns −λ·grad reverses (and scales) the gradient of the adversary's branch only, the task's flows on
    as it is: dL/dx = cos(x)·(2 sin(x) − λ), where plain autograd gives cos(x)·(2 sin(x) + 1).
    x: a 1-D float tensor of points; it does not require grad.
    lam: λ, a positive Python float.
    Returns: dL/dx, a tensor of x's shape and dtype, not attached to the graph.

    Example: reversed_gradient(torch.tensor([0.0, 1.0]), 0.5) -> tensor([-0.5000,  0.6391])
    """
    raise NotImplementedError


def clipped_passes(w: torch.Tensor, xs: torch.Tensor, bound: float) -> torch.Tensor:
    """k backward() passes into w.grad, each pass's gradient clipped to [−bound, bound] by a hook on w.

    Pass i differentiates Lᵢ = (w·xᵢ − 1)², whose gradient is gᵢ = 2(w·xᵢ − 1)·xᵢ. A hook on w (w.register_hook)
    returning grad.clamp(−bound, bound) clips each gᵢ, elementwise, before it is added into w.grad, so w.grad ends
    as Σᵢ clamp(gᵢ), not clamp(Σᵢ gᵢ). Take the hook off before returning, with the handle register_hook gave.
    w: a 1-D leaf tensor that requires grad, with no .grad; its values stay as they are, afterwards its .grad holds
      the result, and it carries no hook.
    xs: a (k, n) tensor of w's dtype, row i being xᵢ, with k ≥ 1 and n = len(w).
    bound: a positive Python float.
    Returns: w.grad afterwards, a tensor of w's shape and dtype.

    Example: clipped_passes(torch.tensor([1.0, 0.0], requires_grad=True), torch.tensor([[2.0, 1.0], [-1.0, 1.0]]),
      1.0) -> tensor([2., 0.])  (g₁ = [4, 2] clips to [1, 1] and g₂ = [4, −4] to [1, −1])
    """
    raise NotImplementedError


def sgd_hooks(params: list[torch.Tensor], lr: float) -> list[torch.utils.hooks.RemovableHandle]:
    """Installs an SGD step inside backward(): a post-accumulate-grad hook on each parameter, and returns the handles.

    Each p gets p.register_post_accumulate_grad_hook(step) (torch >= 2.1), whose step(p) runs once backward() has
    accumulated p.grad: it updates p ← p − lr·p.grad in place (under torch.no_grad()), then sets p.grad = None, so
    that no gradient outlives its step. Every later backward() through the parameters steps them, until the
    caller calls remove() on the handles; then backward() fills .grad as usual and nothing moves.
    params: a list of distinct leaf tensors that require grad, with no .grad; this call changes nothing of them
      but their hooks.
    lr: the learning rate, a positive Python float.
    Returns: the handles the register calls returned, a list of torch.utils.hooks.RemovableHandle, one per
      parameter.

    Example: with w = torch.tensor(1.0, requires_grad=True), handles = sgd_hooks([w], 0.1), then
      (3 * w).backward() leaves w at tensor(0.7000) and w.grad None; after handles[0].remove(), another
      (3 * w).backward() leaves w at 0.7 and w.grad tensor(3.).
    """
    raise NotImplementedError


def backward_hook_grads(
    layer: torch.nn.Module, x: torch.Tensor, target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """What a full backward hook on layer is handed during one backward() of L = mean((layer(x) − target)²).

    grad_output[0] = ∂L/∂y = G = 2(y − target)/(N·out) for y = layer(x), and grad_input[0] = ∂L/∂x = G·W. Register
    the hook with layer.register_full_backward_hook before the forward pass, run layer on a copy of x that requires
    grad (grad_input[0] is None for an input that does not), and take the hook off with its handle afterwards.
    layer: an nn.Linear(in, out) of x's dtype; its weight and bias keep their values (their .grad may be filled),
      and it carries no hook afterwards.
    x: (N, in) float tensor; target: (N, out), of x's dtype; neither requires grad; both stay unchanged.
    Returns: (grad_input[0], grad_output[0]): tensors of shapes (N, in) and (N, out), of x's dtype, not attached to
      the graph.

    Example: with layer's weight tensor([[1.0, -1.0]]) and bias tensor([0.0]), backward_hook_grads(layer,
      torch.tensor([[2.0, 1.0]]), torch.tensor([[0.0]])) -> (tensor([[ 2., -2.]]), tensor([[2.]]))
    """
    raise NotImplementedError
