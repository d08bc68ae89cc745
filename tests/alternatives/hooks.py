"""Alternatives for hooks: correct solutions written differently from the obvious one."""

import functools
from collections.abc import Callable

import torch
import torch.nn.functional as F

# ---------------------------------------------------------------- intermediate_grad


def intermediate_grad__dict_store(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A hook that stores into a dict and returns None; u = x·x; y as Σ sin(u) + u·x by dot; autograd.backward."""
    leaf = x.detach().clone().requires_grad_(True)
    u = leaf * leaf
    store = {}

    def keep(grad: torch.Tensor) -> None:
        store["du"] = grad.detach().clone()

    handle = u.register_hook(keep)
    y = torch.sin(u).sum() + torch.dot(u, leaf)
    torch.autograd.backward(y)
    handle.remove()
    return store["du"], leaf.grad.detach()


def intermediate_grad__returning_hook(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A hook that returns the gradient unchanged (same effect as None); torch.square; the leaf by torch.empty_like."""
    leaf = torch.empty_like(x).copy_(x).requires_grad_()
    u = torch.square(leaf)
    seen: list[torch.Tensor] = []

    def keep_and_pass(grad: torch.Tensor) -> torch.Tensor:
        seen.append(grad)
        return grad

    u.register_hook(keep_and_pass)
    torch.sum(u.sin() + u * leaf).backward()
    return seen[0].detach(), leaf.grad


def intermediate_grad__callable_recorder(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A callable object as the hook; u = x ** 2; backward() with inputs=[leaf]; the handle used as a context."""

    class Recorder:
        def __init__(self) -> None:
            self.grad: torch.Tensor | None = None

        def __call__(self, grad: torch.Tensor) -> None:
            self.grad = grad.detach()

    leaf = x.clone().requires_grad_()
    u = leaf**2
    recorder = Recorder()
    with u.register_hook(recorder):
        y = (torch.sin(u) + u * leaf).sum()
        y.backward(inputs=[leaf])
    return recorder.grad, leaf.grad.detach()


# ---------------------------------------------------------------- reversed_gradient


def reversed_gradient__autograd_grad(x: torch.Tensor, lam: float) -> torch.Tensor:
    """torch.autograd.grad instead of backward(); a lambda hook on r = h.clone() returning grad · (−λ)."""
    leaf = x.detach().requires_grad_(True)
    h = torch.sin(leaf)
    r = h.clone()
    r.register_hook(lambda grad: grad * (-lam))
    loss = (h * h).sum() + r.sum()
    (grad_x,) = torch.autograd.grad(loss, leaf)
    return grad_x


def reversed_gradient__backward_neg(x: torch.Tensor, lam: float) -> torch.Tensor:
    """backward() into a leaf's .grad; the hook a def returning torch.neg(grad).mul(λ); loss via pow and sum()."""
    leaf = x.clone().requires_grad_()
    h = leaf.sin()
    r = h.clone()

    def reverse(grad: torch.Tensor) -> torch.Tensor:
        return torch.neg(grad).mul(lam)

    handle = r.register_hook(reverse)
    task = h.pow(2).sum()
    adversary = r.sum()
    (task + adversary).backward()
    handle.remove()
    return leaf.grad.detach()


def reversed_gradient__two_losses_backward_list(x: torch.Tensor, lam: float) -> torch.Tensor:
    """torch.autograd.backward on the two losses as a list (their sum's gradient); the hook via functools.partial."""
    leaf = torch.zeros_like(x).add_(x).requires_grad_()
    h = torch.sin(leaf)
    r = h.clone()
    r.register_hook(functools.partial(torch.mul, other=-lam))
    torch.autograd.backward([torch.sum(h**2), torch.sum(r)])
    return leaf.grad.clone()


# ---------------------------------------------------------------- clipped_passes


def clipped_passes__try_finally_dot(w: torch.Tensor, xs: torch.Tensor, bound: float) -> torch.Tensor:
    """Iterate over xs's rows; torch.dot; grad.clip; the hook removed in a finally block."""
    handle = w.register_hook(lambda grad: grad.clip(-bound, bound))
    try:
        for xi in xs:
            loss = (torch.dot(w, xi) - 1) ** 2
            loss.backward()
    finally:
        handle.remove()
    return w.grad


def clipped_passes__index_loop_context(w: torch.Tensor, xs: torch.Tensor, bound: float) -> torch.Tensor:
    """range(k) indexing; w·xᵢ as (w * xs[i]).sum(); torch.clamp(min=, max=); the handle as a context manager."""

    def clip(grad: torch.Tensor) -> torch.Tensor:
        return torch.clamp(grad, min=-bound, max=bound)

    with w.register_hook(clip):
        for i in range(xs.shape[0]):
            residual = (w * xs[i]).sum() - 1
            torch.autograd.backward(residual * residual, inputs=[w])
    return w.grad


# ---------------------------------------------------------------- sgd_hooks


def sgd_hooks__closure_factory(params: list[torch.Tensor], lr: float) -> list[torch.utils.hooks.RemovableHandle]:
    """A factory making one step closure; add_(grad, alpha=−lr) under torch.no_grad(); handles by comprehension."""

    def make_step() -> Callable[[torch.Tensor], None]:
        def step(p: torch.Tensor) -> None:
            with torch.no_grad():
                p.add_(p.grad, alpha=-lr)
            p.grad = None

        return step

    step = make_step()
    return [p.register_post_accumulate_grad_hook(step) for p in params]


def sgd_hooks__decorated_partial(params: list[torch.Tensor], lr: float) -> list[torch.utils.hooks.RemovableHandle]:
    """A module-level step function decorated with torch.no_grad(), bound to lr by functools.partial; a for loop."""
    handles = []
    hook = functools.partial(_sgd_step, lr=lr)
    for p in params:
        handle = p.register_post_accumulate_grad_hook(hook)
        handles.append(handle)
    return handles


@torch.no_grad()
def _sgd_step(p: torch.Tensor, lr: float) -> None:
    p.sub_(lr * p.grad)
    p.grad = None


def sgd_hooks__callable_class(params: list[torch.Tensor], lr: float) -> list[torch.utils.hooks.RemovableHandle]:
    """A callable class per parameter; p.copy_(p − lr·grad) under no_grad; grad cleared by del."""

    class Step:
        def __init__(self, rate: float) -> None:
            self.rate = rate

        def __call__(self, p: torch.Tensor) -> None:
            with torch.no_grad():
                p.copy_(p - self.rate * p.grad)
            del p.grad

    handles = []
    for p in params:
        handles.append(p.register_post_accumulate_grad_hook(Step(lr)))
    return handles


# ---------------------------------------------------------------- backward_hook_grads


def backward_hook_grads__context_handle(
    layer: torch.nn.Module, x: torch.Tensor, target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The handle as a context manager; the hook clones into a dict; F.mse_loss; backward() only into the copy of x."""
    got = {}

    def hook(module, grad_input, grad_output):
        got["in"] = grad_input[0].detach().clone()
        got["out"] = grad_output[0].detach().clone()

    with layer.register_full_backward_hook(hook):
        x_copy = x.detach().clone().requires_grad_(True)
        loss = F.mse_loss(layer(x_copy), target)
        loss.backward(inputs=[x_copy])
    return got["in"], got["out"]


def backward_hook_grads__list_try_finally(
    layer: torch.nn.Module, x: torch.Tensor, target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The hook appends the tuples; the loss by hand; torch.autograd.backward; removal in a finally block."""
    calls = []
    handle = layer.register_full_backward_hook(lambda m, gi, go: calls.append((gi, go)))
    try:
        x_copy = torch.empty_like(x).copy_(x).requires_grad_()
        y = layer(x_copy)
        loss = ((y - target) ** 2).sum() / y.numel()
        torch.autograd.backward(loss)
    finally:
        handle.remove()
    grad_input, grad_output = calls[0]
    return grad_input[0].detach(), grad_output[0].detach()


def backward_hook_grads__prepend_unpack(
    layer: torch.nn.Module, x: torch.Tensor, target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """x's copy by clone() then requires_grad = True; the hook with prepend=True, unpacking the 1-tuples."""
    seen: dict[str, torch.Tensor] = {}

    def hook(module: torch.nn.Module, grad_input: tuple, grad_output: tuple) -> None:
        (seen["gi"],) = grad_input
        (seen["go"],) = grad_output

    handle = layer.register_full_backward_hook(hook, prepend=True)
    inp = x.clone()
    inp.requires_grad = True
    out = layer(inp)
    (out - target).square().mean().backward()
    handle.remove()
    return seen["gi"].detach(), seen["go"].detach()


ALTERNATIVES = {
    "intermediate_grad": [
        ("dict-store-dot", intermediate_grad__dict_store),
        ("returning-hook", intermediate_grad__returning_hook),
        ("callable-recorder-context", intermediate_grad__callable_recorder),
    ],
    "reversed_gradient": [
        ("autograd-grad", reversed_gradient__autograd_grad),
        ("backward-neg-mul", reversed_gradient__backward_neg),
        ("backward-loss-list-partial", reversed_gradient__two_losses_backward_list),
    ],
    "clipped_passes": [
        ("try-finally-dot", clipped_passes__try_finally_dot),
        ("index-loop-context", clipped_passes__index_loop_context),
    ],
    "sgd_hooks": [
        ("closure-factory", sgd_hooks__closure_factory),
        ("no-grad-decorator-partial", sgd_hooks__decorated_partial),
        ("callable-class", sgd_hooks__callable_class),
    ],
    "backward_hook_grads": [
        ("context-handle-mse", backward_hook_grads__context_handle),
        ("list-try-finally", backward_hook_grads__list_try_finally),
        ("prepend-unpack", backward_hook_grads__prepend_unpack),
    ],
}
