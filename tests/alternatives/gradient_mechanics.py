"""Alternatives for exercises/gradient_mechanics.py. Every docstring here names its mechanic
(k backward() passes, zeroing w.grad, retain_graph, torch.no_grad(), detach(), requires_grad_()),
so the alternatives keep it and vary only what is left open."""

import torch
import torch.autograd.forward_ad as fwAD
from torch.func import grad as func_grad
from torch.func import vmap


# ---------------------------------------------------------------- grad_after_k_backwards: k · 3x²
def grad_after_k_backwards__explicit_gradient(x: float, k: int) -> torch.Tensor:
    t = torch.full((), x, dtype=torch.float32, requires_grad=True)
    for _ in range(k):
        y = t * t * t  # a newly built y each pass
        y.backward(gradient=torch.tensor(1.0))
    return t.grad


def grad_after_k_backwards__functional_backward(x: float, k: int) -> torch.Tensor:
    t = torch.tensor(x, dtype=torch.float32).requires_grad_()
    passes = 0
    while passes < k:
        torch.autograd.backward(t.pow(3))
        passes += 1
    return t.grad.clone()


def grad_after_k_backwards__list_of_graphs(x: float, k: int) -> torch.Tensor:
    # build the k graphs first (each its own y), then run backward() through each one
    t = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    ys = [t**3 for _ in range(k)]
    for y in ys:
        y.backward()
    return t.grad.detach()


# --------------------------------------------------------------- grads_per_step: 2(w − targetᵢ) per step; w.grad = last
def grads_per_step__zero_in_place(w: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(targets)
    for i in range(targets.shape[0]):
        if w.grad is not None:
            w.grad.zero_()
        loss = (w - targets[i]) ** 2
        loss.backward()
        out[i] = w.grad  # copied into out, so later steps do not change it
    return out


def grads_per_step__set_none_list(w: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    grads = []
    for target in targets:
        w.grad = None
        torch.square(w - target).backward()
        grads.append(w.grad.item())
    return torch.tensor(grads, dtype=targets.dtype)


def grads_per_step__set_none_stack_clone(w: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    if targets.numel() == 0:
        return targets.clone()
    steps = []
    for i in range(len(targets)):
        w.grad = None
        diff = w - targets[i]
        (diff * diff).backward()
        steps.append(w.grad.clone())
    return torch.stack(steps)


# ---------------------------------------------------------------- backward_twice: x.grad = 2 dy/dx
def backward_twice__retain_both(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)  # keeping the graph the second time too is harmless
    return x.grad


def backward_twice__functional_backward(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    torch.autograd.backward(y, retain_graph=True)
    torch.autograd.backward(y)
    return x.grad.clone()


def backward_twice__explicit_gradient_loop(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    for i in range(2):
        y.backward(torch.ones_like(y), retain_graph=(i == 0))
    return x.grad.detach()


# ---------------------------------------------------------------- no_grad_square: x², no graph (torch.no_grad named)
def no_grad_square__mul(x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        out = x * x
    return out


@torch.no_grad()
def _square_no_grad(t: torch.Tensor) -> torch.Tensor:
    return torch.square(t)


def no_grad_square__decorator(x: torch.Tensor) -> torch.Tensor:
    return _square_no_grad(x)


def no_grad_square__pow_method(x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return x.pow(2).clone()


# ---------------------------------------------------------------- detached_product_grad: x (detach named)
def detached_product_grad__autograd_grad(x: torch.Tensor) -> torch.Tensor:
    t = x.detach().clone().requires_grad_()
    y = t * t.detach()
    (g,) = torch.autograd.grad(y, t, grad_outputs=torch.ones_like(y))
    return g


def detached_product_grad__forward_dual(x: torch.Tensor) -> torch.Tensor:
    # detach() drops the tangent as well: the detached factor is a constant in forward mode too
    with fwAD.dual_level():
        d = fwAD.make_dual(x.detach(), torch.ones_like(x))
        tangent = fwAD.unpack_dual(d * d.detach()).tangent
    return tangent.clone()


def detached_product_grad__vmap_func_grad(x: torch.Tensor) -> torch.Tensor:
    return vmap(func_grad(lambda t: t * t.detach()))(x.detach())


def detached_product_grad__backward_sum(x: torch.Tensor) -> torch.Tensor:
    t = torch.empty_like(x).copy_(x).requires_grad_(True)
    stop = t.detach()
    torch.mul(stop, t).sum().backward()
    return t.grad


# ----------------------------------------------------------- leaf_parameter: scale first, then requires_grad_() (named)
def leaf_parameter__mul_method(values: torch.Tensor, scale: float) -> torch.Tensor:
    return values.mul(scale).requires_grad_()


def leaf_parameter__clone_mul_inplace(values: torch.Tensor, scale: float) -> torch.Tensor:
    p = values.detach().clone()
    p.mul_(scale)  # on the copy, never on values
    return p.requires_grad_(True)


def leaf_parameter__torch_mul_detached(values: torch.Tensor, scale: float) -> torch.Tensor:
    return torch.mul(values, scale).detach().requires_grad_()


ALTERNATIVES = {
    "grad_after_k_backwards": [
        ("backward-explicit-gradient", grad_after_k_backwards__explicit_gradient),
        ("functional-autograd-backward", grad_after_k_backwards__functional_backward),
        ("build-k-graphs-then-backward", grad_after_k_backwards__list_of_graphs),
    ],
    "grads_per_step": [
        ("zero-in-place-preallocated", grads_per_step__zero_in_place),
        ("set-none-item-list", grads_per_step__set_none_list),
        ("set-none-stack-clones", grads_per_step__set_none_stack_clone),
    ],
    "backward_twice": [
        ("retain-graph-both-times", backward_twice__retain_both),
        ("functional-autograd-backward", backward_twice__functional_backward),
        ("explicit-gradient-loop", backward_twice__explicit_gradient_loop),
    ],
    "no_grad_square": [
        ("no-grad-mul", no_grad_square__mul),
        ("no-grad-decorator", no_grad_square__decorator),
        ("no-grad-pow-clone", no_grad_square__pow_method),
    ],
    "detached_product_grad": [
        ("autograd-grad", detached_product_grad__autograd_grad),
        ("forward-dual", detached_product_grad__forward_dual),
        ("vmap-func-grad", detached_product_grad__vmap_func_grad),
        ("backward-torch-mul", detached_product_grad__backward_sum),
    ],
    "leaf_parameter": [
        ("mul-method", leaf_parameter__mul_method),
        ("clone-mul-inplace", leaf_parameter__clone_mul_inplace),
        ("torch-mul-detach", leaf_parameter__torch_mul_detached),
    ],
}
