"""Alternatives for debugging_gradients: correct solutions written differently from the obvious one."""

import contextlib
import re
import warnings
from collections.abc import Callable

import torch

# ---------------------------------------------------------------- xlogx_gradient


def xlogx_gradient__masked_fill(x: torch.Tensor) -> torch.Tensor:
    """A safe input by masked_fill (1 where x ≤ 0): safe·log(safe) is already 0 there and masked_fill's backward
    gives those points gradient 0, so no second mask is needed; torch.autograd.grad."""
    leaf = x.detach().clone().requires_grad_(True)
    safe = leaf.masked_fill(leaf <= 0, 1.0)
    f = safe * torch.log(safe)
    (grad,) = torch.autograd.grad(f.sum(), leaf)
    return grad


def xlogx_gradient__xlogy_where(x: torch.Tensor) -> torch.Tensor:
    """torch.xlogy on a safe input from torch.where, then a second where for x ≤ 0; backward() into .grad."""
    leaf = x.clone().requires_grad_()
    positive = leaf > 0
    safe = torch.where(positive, leaf, torch.ones_like(leaf))
    f = torch.where(positive, torch.xlogy(safe, safe), torch.zeros_like(leaf))
    f.sum().backward()
    return leaf.grad


def xlogx_gradient__float_mask(x: torch.Tensor) -> torch.Tensor:
    """Arithmetic masking, no where: safe = m·x + (1 − m) and f = m·safe·log(safe) with m the float mask of x > 0;
    backward with an explicit ones gradient instead of a sum."""
    leaf = x.detach().requires_grad_()
    mask = (x > 0).to(x.dtype)
    safe = mask * leaf + (1 - mask)
    f = mask * safe * safe.log()
    f.backward(torch.ones_like(f))
    return leaf.grad.detach()


# ---------------------------------------------------------------- safe_norm


def safe_norm__double_where(v: torch.Tensor) -> torch.Tensor:
    """The lesson's second-where trick on the squared norm: √ only ever sees a safe positive value."""
    squared = (v * v).sum(dim=1)
    nonzero = squared > 0
    safe = torch.where(nonzero, squared, torch.ones_like(squared))
    return torch.where(nonzero, torch.sqrt(safe), torch.zeros_like(squared))


class _RowNorm(torch.autograd.Function):
    """√(Σv²) per row, with a backward that gives v/‖v‖ for a non-zero row and 0 for a zero row."""

    @staticmethod
    def forward(ctx, v: torch.Tensor) -> torch.Tensor:
        norm = v.square().sum(dim=1).sqrt()
        ctx.save_for_backward(v, norm)
        return norm

    @staticmethod
    def backward(ctx, grad_norm: torch.Tensor) -> torch.Tensor:
        v, norm = ctx.saved_tensors
        denominator = torch.where(norm > 0, norm, torch.ones_like(norm))
        scale = torch.where(norm > 0, grad_norm / denominator, torch.zeros_like(norm))
        return v * scale.unsqueeze(1)


def safe_norm__custom_function(v: torch.Tensor) -> torch.Tensor:
    """A custom autograd.Function whose backward is written safe at a zero row."""
    return _RowNorm.apply(v)


def safe_norm__linalg_norm(v: torch.Tensor) -> torch.Tensor:
    """torch.linalg.norm with ord=2 over dim 1 (a vector norm per row; its backward is 0 at a zero row)."""
    return torch.linalg.norm(v, ord=2, dim=1)


# ---------------------------------------------------------------- inplace_culprit

_ERROR_DETECTED = re.compile(r"Error detected in ([^\s.]+)")


def inplace_culprit__set_detect_anomaly(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> str:
    """torch.autograd.set_detect_anomaly(True) as the context manager; a regex over every recorded warning."""
    copy = x.detach().clone().requires_grad_(True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with torch.autograd.set_detect_anomaly(True), contextlib.suppress(RuntimeError):
            f(copy).backward()
    for w in caught:
        match = _ERROR_DETECTED.search(str(w.message))
        if match:
            return match.group(1)
    raise RuntimeError("anomaly mode named no node")


def inplace_culprit__autograd_grad_partition(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> str:
    """torch.autograd.grad for the backward; detect_anomaly(check_nan=False); the name cut out with str.partition."""
    leaf = x.clone().requires_grad_()
    marker = "Error detected in "
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with torch.autograd.detect_anomaly(check_nan=False):
                torch.autograd.grad(f(leaf), leaf)
        except RuntimeError:
            pass
    messages = [str(w.message) for w in caught if marker in str(w.message)]
    name = messages[-1].partition(marker)[2]
    return name.split(".")[0].strip()


def inplace_culprit__manual_state(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> str:
    """Anomaly mode switched on and back by hand (try/finally, restoring the state it found); the backward in a helper
    that returns the caught error; warnings filtered by category and text."""
    leaf = torch.empty_like(x).copy_(x).requires_grad_()

    def run() -> RuntimeError | None:
        try:
            torch.autograd.backward(f(leaf))
        except RuntimeError as error:
            return error
        return None

    before = (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.autograd.set_detect_anomaly(True)
        try:
            error = run()
        finally:
            torch.autograd.set_detect_anomaly(*before)
    assert error is not None
    texts = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    text = next(t for t in texts if t.startswith("Error detected in"))
    return text[len("Error detected in ") :].split(".", 1)[0]


# ---------------------------------------------------------------- stage_gradient_norms


def stage_gradient_norms__autograd_grad(
    stages: list[Callable[[torch.Tensor], torch.Tensor]], x: torch.Tensor
) -> torch.Tensor:
    """torch.autograd.grad for every stage input at once; √(Σg²) by hand; torch.stack."""
    h = x.detach().clone().requires_grad_(True)
    inputs = []
    for stage in stages:
        inputs.append(h)
        h = stage(h)
    grads = torch.autograd.grad(h.sum(), inputs)
    return torch.stack([g.pow(2).sum().sqrt() for g in grads]).detach()


def stage_gradient_norms__hooks(stages: list[Callable[[torch.Tensor], torch.Tensor]], x: torch.Tensor) -> torch.Tensor:
    """A hook on each stage input records its gradient during the one backward(); norms by torch.linalg.vector_norm
    into a preallocated tensor."""
    norms = torch.zeros(len(stages), dtype=x.dtype)
    h = x.clone().requires_grad_()
    for i, stage in enumerate(stages):

        def record(grad: torch.Tensor, i: int = i) -> None:
            norms[i] = torch.linalg.vector_norm(grad.detach())

        h.register_hook(record)
        h = stage(h)
    h.sum().backward()
    return norms


def stage_gradient_norms__retain_grad_reversed(
    stages: list[Callable[[torch.Tensor], torch.Tensor]], x: torch.Tensor
) -> torch.Tensor:
    """retain_grad() on each input; backward with a ones gradient in place of the sum; the norms gathered from the
    last stage back to x, then flipped into stage order."""
    hs = [torch.empty_like(x).copy_(x).requires_grad_()]
    for stage in stages:
        hs[-1].retain_grad()
        hs.append(stage(hs[-1]))
    out = hs[-1]
    out.backward(torch.ones_like(out))
    backwards = [hs[i].grad.norm() for i in reversed(range(len(stages)))]
    return torch.flip(torch.stack(backwards), dims=[0]).detach()


# ---------------------------------------------------------------- clipped_sgd_step


def clipped_sgd_step__optimizer(
    params: list[torch.Tensor], loss_fn: Callable[..., torch.Tensor], lr: float, max_norm: float
) -> torch.Tensor:
    """backward(); clip_grad_norm_; the step by a plain torch.optim.SGD (its step is p ← p − lr·p.grad)."""
    loss = loss_fn(*params)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    torch.optim.SGD(params, lr=lr).step()
    return norm


def clipped_sgd_step__by_hand(
    params: list[torch.Tensor], loss_fn: Callable[..., torch.Tensor], lr: float, max_norm: float
) -> torch.Tensor:
    """The clip done by hand: ‖g‖ from the per-tensor norms, each .grad scaled in place by max_norm/‖g‖ if above."""
    torch.autograd.backward(loss_fn(*params))
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    if norm > max_norm:
        for g in grads:
            g.mul_(max_norm / norm)
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p.add_(p.grad, alpha=-lr)
    return norm.detach()


def clipped_sgd_step__autograd_grad(
    params: list[torch.Tensor], loss_fn: Callable[..., torch.Tensor], lr: float, max_norm: float
) -> torch.Tensor:
    """torch.autograd.grad, the gradients set as .grad; clip_grad_norm_; the update by in-place sub_ under no_grad."""
    grads = torch.autograd.grad(loss_fn(*params), params, allow_unused=True)
    for p, g in zip(params, grads):
        p.grad = g
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm=max_norm, norm_type=2.0)
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p.sub_(lr * p.grad)
    return norm


ALTERNATIVES = {
    "xlogx_gradient": [
        ("masked-fill-safe-input", xlogx_gradient__masked_fill),
        ("xlogy-double-where", xlogx_gradient__xlogy_where),
        ("float-mask-arithmetic", xlogx_gradient__float_mask),
    ],
    "safe_norm": [
        ("double-where", safe_norm__double_where),
        ("custom-function", safe_norm__custom_function),
        ("linalg-norm", safe_norm__linalg_norm),
    ],
    "inplace_culprit": [
        ("set-detect-anomaly-regex", inplace_culprit__set_detect_anomaly),
        ("autograd-grad-partition", inplace_culprit__autograd_grad_partition),
        ("manual-state", inplace_culprit__manual_state),
    ],
    "stage_gradient_norms": [
        ("autograd-grad-all", stage_gradient_norms__autograd_grad),
        ("register-hooks", stage_gradient_norms__hooks),
        ("retain-grad-reversed", stage_gradient_norms__retain_grad_reversed),
    ],
    "clipped_sgd_step": [
        ("sgd-optimizer-step", clipped_sgd_step__optimizer),
        ("clip-by-hand", clipped_sgd_step__by_hand),
        ("autograd-grad", clipped_sgd_step__autograd_grad),
    ],
}
