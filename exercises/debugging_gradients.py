"""Debugging gradients: NaN through torch.where, in-place errors and anomaly mode, exploding gradients, clipping.

A NaN gradient is made somewhere in backward: find where, and fix the forward. torch.where(c, a, b) gives the
untaken branch a zero gradient, but its backward still runs, and 0 · ∞ and 0 · NaN are NaN. So make the bad point
safe before the op, with a second where: torch.log(torch.where(x > 0, x, 1.0)); nan_to_num afterwards only hides
the NaN. √ has slope ∞ at 0, so √(Σv²) at v = 0 makes one too; torch.linalg.vector_norm's gradient there is 0.

backward() needs the values its ops saved (exp keeps its output, t * t keeps t): an in-place op (y += 1,
y[0] = 0) on one makes it raise "modified by an inplace operation". In torch.autograd.detect_anomaly() torch also
warns "Error detected in MulBackward0", the node that needed the old value, with its forward line; and it stops
backward at the first NaN.

Gradients that grow stage by stage toward the input explode. torch.nn.utils.clip_grad_norm_(params, max_norm),
after backward() and before the step, returns the norm of all the .grad together and scales them in place to
max_norm when above it.

By hand
-------
One where, √x for x > 0 else 0, at x = −1: the untaken branch gets gradient 0, √'s slope at −1 is NaN, and
0 · NaN = NaN. √(where(x > 0, x, 1)) has slope ½ at the safe 1: 0 · ½ = 0. Clipping grads (3, 4) and (12): one
vector of norm √(9 + 16 + 144) = 13; max_norm 6.5 halves each, to (1.5, 2) and (6).

In torch
--------
>>> import torch
>>> x = torch.tensor([-1.0, 4.0], requires_grad=True)
>>> torch.where(x > 0, torch.sqrt(x), 0.0).sum().backward()
>>> x.grad
tensor([   nan, 0.2500])
>>> x.grad = None
>>> safe = torch.where(x > 0, x, 1.0)
>>> torch.where(x > 0, torch.sqrt(safe), 0.0).sum().backward()
>>> x.grad
tensor([0.0000, 0.2500])
>>> a, b = torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)
>>> a.grad, b.grad = torch.tensor([3.0, 4.0]), torch.tensor([12.0])
>>> torch.nn.utils.clip_grad_norm_([a, b], max_norm=6.5)
tensor(13.)
>>> a.grad, b.grad
(tensor([1.5000, 2.0000]), tensor([6.0000]))

Traps the tests catch
---------------------
- xlogx_gradient: one where; a safe input of 0, or |x|; nan_to_num afterwards (the tests run backward in anomaly
  mode); forward mode.
- safe_norm: √(Σv²); a hook cleaning the NaN; a detached result; an ε inside √.
- inplace_culprit: the node the error message names; the loss's grad_fn; anomaly mode left on.
- stage_gradient_norms: a pass per stage; the activations' norms; reversed order.
- clipped_sgd_step: clip_grad_value_; each tensor alone; clipping after the step; the clipped norm.

Read more
---------
https://pytorch.org/docs/stable/generated/torch.where.html
https://pytorch.org/docs/stable/autograd.html#anomaly-detection
https://pytorch.org/docs/stable/notes/autograd.html#in-place-operations-with-autograd
https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html
"""

from collections.abc import Callable

import torch


def xlogx_gradient(x: torch.Tensor) -> torch.Tensor:
    """f'(x) at every point of x, by a backward pass, for f(x) = x · log x where x > 0 and f(x) = 0 where x ≤ 0.

    f'(x) = log x + 1 where x > 0, and 0 where x ≤ 0. However f is built (torch.where is the natural way), its
    backward must make no NaN on the way: the tests run it under torch.autograd.detect_anomaly(), which stops at
    the first NaN a backward node returns. So the fix goes before the log (a safe input), not into the gradient.
    x: a 1-D float tensor of points, some of them ≤ 0 (0 itself among them); it does not require grad.
    Returns: a tensor of x's shape and dtype, from backward() or torch.autograd.grad (reverse mode).

    Example: xlogx_gradient(torch.tensor([-1.0, 0.0, 1.0])) -> tensor([0., 0., 1.])
    """
    raise NotImplementedError


def safe_norm(v: torch.Tensor) -> torch.Tensor:
    """‖vᵢ‖ = √(Σⱼ vᵢⱼ²) of each row of v, as a tensor the caller differentiates: a backward with no NaN in it.

    ∂‖vᵢ‖/∂vᵢ = vᵢ / ‖vᵢ‖ for a non-zero row, and 0 for a zero row, where √ has slope ∞ at 0, so that √(Σv²)
    would give 0 · ∞ = NaN. The caller runs backward through the result under torch.autograd.detect_anomaly():
    no backward node may return NaN. A zero row's norm is 0 (to 1e-7), not shifted by an ε inside the √.
    v: an (n, d) float leaf tensor that requires grad, some of its rows all zeros; it stays as it is, its .grad
      None (the caller runs the backward pass, not this function).
    Returns: a tensor of n values of v's dtype, attached to the graph (it requires grad): the caller's backward
      reaches v through it.

    Example: safe_norm(v) with v = torch.tensor([[3.0, 4.0], [0.0, 0.0]], requires_grad=True)
      -> tensor([5., 0.], grad_fn=...); then safe_norm(v).sum().backward() gives v.grad = [[0.6, 0.8], [0., 0.]]
    """
    raise NotImplementedError


def inplace_culprit(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> str:
    """The name of the backward node that torch.autograd.detect_anomaly() blames for f's in-place error.

    f(x) builds a loss, then changes in place a tensor that one of its ops saved for backward, so f(x).backward()
    raises "one of the variables needed for gradient computation has been modified by an inplace operation".
    Inside `with torch.autograd.detect_anomaly():` torch also warns "Error detected in <Name>. Traceback of
    forward call that caused the error: ...", naming the node whose backward needed the old value. Return that
    <Name>: catch the RuntimeError, and the warning with warnings.catch_warnings(record=True) and
    warnings.simplefilter("always") inside it (else a filter set earlier may hide or raise it). Leave anomaly
    mode as it was afterwards, as the `with` block does.
    f: a function from a 1-D tensor that requires grad to a 0-dim loss; its backward always raises.
    x: a 1-D float tensor; it does not require grad (differentiate a copy), and stays unchanged.
    Returns: a str, the node's name as the warning gives it, such as "MulBackward0".

    Example: with def f(t): s = torch.sin(t); y = s * s; s.mul_(2); return y.sum()
      inplace_culprit(f, torch.tensor([1.0, 2.0])) -> 'MulBackward0'
    """
    raise NotImplementedError


def stage_gradient_norms(stages: list[Callable[[torch.Tensor], torch.Tensor]], x: torch.Tensor) -> torch.Tensor:
    """‖∂L/∂hᵢ‖ at the input hᵢ of each stage of a chain, from one backward pass: where gradients explode.

    h₀ = x and hᵢ₊₁ = stages[i](hᵢ); the loss L = Σ h_k sums the last stage's output (k = len(stages)). Entry i
    is the norm ‖∂L/∂hᵢ‖ = √(Σⱼ (∂L/∂hᵢⱼ)²) of the gradient at stage i's input, x's first. When every stage
    multiplies the gradient by more than 1, they grow from the last stage back to x. One backward pass reaches them
    all: keep them with retain_grad(), or ask torch.autograd.grad for every hᵢ at once.
    stages: a non-empty list of functions, each from a 1-D tensor to a 1-D tensor (its length may differ).
    x: a 1-D float tensor; it does not require grad.
    Returns: a tensor of len(stages) values of x's dtype.

    Example: stage_gradient_norms([lambda t: 2 * t, lambda t: 3 * t], torch.tensor([1.0, 1.0]))
      -> tensor([8.4853, 4.2426])   (‖(6, 6)‖ at x, ‖(3, 3)‖ at h₁)
    """
    raise NotImplementedError


def clipped_sgd_step(
    params: list[torch.Tensor], loss_fn: Callable[..., torch.Tensor], lr: float, max_norm: float
) -> torch.Tensor:
    """One gradient-descent step with the gradient clipped to norm max_norm; returns the norm before clipping.

    All the parameters' gradients together are one vector g, of norm ‖g‖ = √(sum of the squares of every entry of
    every p.grad). Clipping scales every p.grad by max_norm / ‖g‖ when ‖g‖ > max_norm and leaves them as they are
    when not, as torch.nn.utils.clip_grad_norm_(params, max_norm) does (it returns ‖g‖, and divides by
    ‖g‖ + 1e-6: the tests allow for that). Then each
    p ← p − lr · p.grad. In this order: backward, clip, step.
    params: a list of leaf tensors that require grad, of one float dtype, their .grad None; each is changed in
      place, and afterwards its .grad holds its clipped gradient.
    loss_fn: a function of the parameters, called as loss_fn(*params), returning a 0-dim loss.
    lr, max_norm: Python floats > 0.
    Returns: ‖g‖ before clipping, a 0-dim tensor of the parameters' dtype.

    Example: with w = torch.zeros(2, requires_grad=True),
      clipped_sgd_step([w], lambda w: 3 * w[0] + 4 * w[1], lr=0.5, max_norm=1.0) -> tensor(5.),
      and afterwards w = [-0.3, -0.4], w.grad = [0.6, 0.8]
    """
    raise NotImplementedError
