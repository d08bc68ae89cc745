"""Module 13, hooks: what each hook was handed and what it changed, against closed forms; that a hook was
registered where the task puts it and ran (a result computed without it fails); that it was taken off afterwards."""

from dataclasses import dataclass

import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from tests.kata.checks import (
    Mechanic,
    NearMiss,
    expect_inputs_untouched,
    expect_like,
    expect_made_by_autograd,
    fail,
    layer_of,
    linear_grads,
    passes,
    random_tensor,
    rejects,
)
from tests.kata.solution import guarded, short_repr

F64 = torch.float64


# ---- Which hooks a solution registered, and whether they ran -----------------------------------------------------


@dataclass
class Hooked:
    """One Tensor.register_hook hook: on what kind of tensor, which one, how often autograd ran it."""

    leaf: bool
    tensor: int  # id() of the tensor it is on
    runs: int = 0


class HookWatch(TorchFunctionMode):
    """Notes each Tensor.register_hook call made while it is active, and wraps the hook to count its runs."""

    def __init__(self) -> None:
        super().__init__()
        self.hooks: list[Hooked] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is not torch.Tensor.register_hook:
            return func(*args, **kwargs)
        tensor, hook = args[0], args[1] if len(args) > 1 else kwargs["hook"]
        hooked = Hooked(tensor.is_leaf, id(tensor))
        self.hooks.append(hooked)

        def counted(grad):
            hooked.runs += 1
            return hook(grad)

        return func(tensor, counted)


def call_watching_hooks(solution, args: tuple) -> tuple:
    """The solution's result, and the tensor hooks its call registered."""
    with HookWatch() as watch:
        got = solution(*args)
    return got, watch.hooks


def expect_hook_ran(solution, hooks: list[Hooked], where: str, task: str, on=lambda hooked: not hooked.leaf) -> None:
    """Fail unless a hook `on` the tensor the task names was registered, and ran."""
    chosen = [hooked for hooked in hooks if on(hooked)]
    if not chosen:
        fail(f"{solution.call}: the value is right, but no hook was registered on {where}; {task}")
    if not any(hooked.runs for hooked in chosen):
        fail(f"{solution.call}: the value is right, but your hook on {where} never ran: register it before backward()")


def no_retain_grad(task: str) -> Mechanic:
    def problem(calls) -> str | None:
        return f"retain_grad() ran; {task}" if any(call.api == "retain_grad" for call in calls) else None

    return Mechanic(problem)


def grids() -> list[torch.Tensor]:
    """Fixed points (0 among them), seeded-random ones, float64 ones."""
    return [
        torch.tensor([0.0, 1.0, -1.5, 2.0]),
        random_tensor(5, seed=221),
        random_tensor(4, seed=222, dtype=F64),
    ]


# ---- intermediate_grad ---------------------------------------------------------------------------------------------

RECORD_TASK = "record dy/du with u.register_hook(...), which autograd hands ∂y/∂u during backward()"


@pytest.mark.exercise("hooks.intermediate_grad")
def test_intermediate_grad(solution):
    for x in grids():
        d_u, d_x = torch.cos(x**2) + x, 2 * x * torch.cos(x**2) + 3 * x**2
        got, hooks = call_watching_hooks(solution, (x,))
        expect_like(
            got,
            (d_u, d_x),
            solution.call,
            likely={
                "dy/dx in dy/du's place: that hook was on x; register it on u = x ** 2": (d_x, d_x),
                "ones: that hook was on sin(u) or y, past u; register it on u itself": (torch.ones_like(x), d_x),
                "cos(u), sin's share only: a hook on u sees the gradient of both of u's uses, summed": (
                    torch.cos(x**2),
                    d_x,
                ),
            },
        )
        expect_inputs_untouched(solution)
        expect_made_by_autograd(solution, got, (d_u, d_x))
        no_retain_grad("this exercise records dy/du with a hook, u.register_hook(...)").expect(solution)
        expect_hook_ran(solution, hooks, "an intermediate tensor (u = x ** 2)", RECORD_TASK)
        passes(1, "one backward() fills x.grad while the hook on u records dy/du", ("backward",)).expect(solution)


# ---- reversed_gradient ---------------------------------------------------------------------------------------------

REVERSAL_TASK = "reverse the adversary's gradient with r.register_hook(lambda grad: -lam * grad)"


@pytest.mark.exercise("hooks.reversed_gradient")
def test_reversed_gradient(solution):
    for x, lam in zip([*grids(), random_tensor(3, seed=223)], (0.5, 2.0, 0.3, 1.0)):
        slope, task = torch.cos(x), 2 * torch.sin(x)
        got, hooks = call_watching_hooks(solution, (x, lam))
        expect_like(
            got,
            slope * (task - lam),
            solution.call,
            likely={
                "the adversary's gradient came through unchanged: the hook on r must return −λ·grad (a hook that "
                "returns None changes nothing)": slope * (task + 1),
                "the task's gradient was reversed too: hook r = h.clone(), the adversary's copy, not h": -lam
                * slope
                * (task + 1),
                "scaled by λ but not reversed: return −λ·grad": slope * (task + lam),
                "the task's gradient is missing: L = Σ h² + Σ r": -lam * slope,
            },
        )
        expect_inputs_untouched(solution)
        expect_made_by_autograd(solution, got, slope * (task - lam))
        expect_hook_ran(solution, hooks, "an intermediate tensor (r = h.clone())", REVERSAL_TASK)


# ---- clipped_passes ------------------------------------------------------------------------------------------------


def clip_cases() -> list[tuple[torch.Tensor, torch.Tensor, float]]:
    """(w, xs, bound). Passes whose gradients have opposite signs, so that the clip of the sum differs; and in the
    first case entries left unclipped, so that scaled gradients change the result."""
    return [
        (torch.tensor([1.0, 0.0, -0.5]), torch.tensor([[2.0, 1.0, 0.0], [-1.0, 1.0, 2.0], [0.5, -2.0, 1.0]]), 1.5),
        (random_tensor(4, seed=231, scale=1.0), random_tensor(3, 4, seed=232), 0.5),
        (random_tensor(3, seed=233, scale=1.0, dtype=F64), random_tensor(4, 3, seed=234, dtype=F64), 2.0),
        (torch.tensor([0.5, -1.0]), torch.tensor([[3.0, 1.0]]), 1.5),
    ]


LARGE = 100.0


def expect_hook_removed(solution, w: torch.Tensor) -> None:
    """A later backward() through w, with a gradient larger than any bound, must reach w.grad unclipped."""
    w.grad = None
    guarded(lambda: (w * LARGE).sum().backward(), f"{solution.call}, then a later backward() through w")
    if w.grad is None or not torch.equal(w.grad, torch.full_like(w.detach(), LARGE)):
        fail(
            f"{solution.call}: afterwards w still carries your hook: a later backward() put {short_repr(w.grad)} "
            f"into w.grad, not {LARGE}; take the hook off with the handle register_hook returned (handle.remove())"
        )


@pytest.mark.exercise("hooks.clipped_passes")
def test_clipped_passes(solution):
    for values, xs, bound in clip_cases():
        w = values.clone().requires_grad_()
        grads = 2 * (xs @ values - 1).unsqueeze(1) * xs
        expected = grads.clamp(-bound, bound).sum(0)
        got, hooks = call_watching_hooks(solution, (w, xs, bound))
        expect_like(
            got,
            expected,
            solution.call,
            likely={
                "the sum was clipped: a hook on w clips each pass's gradient before it is added into w.grad": (
                    grads.sum(0).clamp(-bound, bound)
                ),
                "not clipped: the hook must return grad.clamp(-bound, bound)": grads.sum(0),
                "only the last pass: do not zero w.grad between passes": grads[-1].clamp(-bound, bound),
            },
        )
        if not torch.equal(w.detach(), values) or not w.requires_grad:
            fail(f"{solution.call}: w was changed (values or requires_grad): hook it, and leave it as it is")
        expect_like(w.grad, expected, f"{solution.call}: w.grad afterwards")
        expect_made_by_autograd(solution, got, expected)
        expect_hook_ran(
            solution,
            hooks,
            "w",
            "clip each pass's gradient with w.register_hook(...), before it is added into w.grad",
            on=lambda hooked, w=w: hooked.tensor == id(w),
        )
        passes(len(xs), "one backward() per row of xs, each pass clipped by the hook on w", ("backward",)).expect(
            solution
        )
        expect_hook_removed(solution, w)


# ---- sgd_hooks -----------------------------------------------------------------------------------------------------


def sgd_cases() -> list[tuple[list[torch.Tensor], torch.Tensor, torch.Tensor, float]]:
    """(weight and bias values, x, target, lr) of a linear layer y = x·Wᵀ + b."""
    return [
        ([torch.tensor([[1.0, -1.0, 0.5], [0.0, 2.0, -1.0]]), torch.tensor([0.5, -0.5])],
         torch.tensor([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]]), torch.tensor([[1.0, 0.0], [0.0, 1.0]]), 0.1),
        ([random_tensor(2, 3, seed=241, scale=1.0), random_tensor(2, seed=242, scale=1.0)],
         random_tensor(4, 3, seed=243), random_tensor(4, 2, seed=244), 0.5),
        ([random_tensor(1, 4, seed=245, dtype=F64), random_tensor(1, seed=246, dtype=F64)],
         random_tensor(3, 4, seed=247, dtype=F64), random_tensor(3, 1, seed=248, dtype=F64), 0.25),
    ]  # fmt: skip


NOT_CLEARED = (
    "the parameter's .grad still holds the gradient after backward(): the post-accumulate-grad hook sets "
    "p.grad = None after its step (a register_hook hook runs before .grad is filled, too early to clear it)"
)


@pytest.mark.exercise("hooks.sgd_hooks")
def test_sgd_hooks(solution):
    for values, x, target, lr in sgd_cases():
        params = [value.clone().requires_grad_() for value in values]
        names = ["params[0]", "params[1]"]
        handles = solution(list(params), lr)
        expect_inputs_untouched(solution)
        if not isinstance(handles, (list, tuple)) or len(handles) != len(params):
            fail(
                f"{solution.call}: got {type(handles).__name__} {short_repr(handles)}, expected a list of "
                f"{len(params)} handles, one per parameter: what register_post_accumulate_grad_hook returns"
            )
        if not all(isinstance(handle, torch.utils.hooks.RemovableHandle) for handle in handles):
            kinds = ", ".join(type(handle).__name__ for handle in handles)
            fail(
                f"{solution.call}: got a list of {kinds}, expected the handles (RemovableHandle) that "
                "register_post_accumulate_grad_hook returns"
            )
        current = [value.clone() for value in values]
        for step in (1, 2):
            grads = linear_grads(*current, x, target)
            loss = ((x @ params[0].T + params[1] - target) ** 2).mean()
            guarded(loss.backward, f"{solution.call}, then backward() #{step}")
            for name, param, old, grad in zip(names, params, current, grads):
                where = f"{solution.call}, then backward() #{step}: {name}"
                expect_like(
                    param.detach(),
                    old - lr * grad,
                    where,
                    likely={
                        "unchanged: backward() did not step it; install the step on each parameter with "
                        "p.register_post_accumulate_grad_hook(step)": old,
                        "moved up the gradient: p ← p − lr·p.grad descends": old + lr * grad,
                    },
                )
                if param.grad is not None:
                    fail(f"{where}.grad is {short_repr(param.grad)}, expected None: {NOT_CLEARED}")
            current = [old - lr * grad for old, grad in zip(current, grads)]
        for handle in handles:
            guarded(handle.remove, f"{solution.call}, then handle.remove()")
        stepped = [param.detach().clone() for param in params]
        loss = ((x @ params[0].T + params[1] - target) ** 2).mean()
        guarded(loss.backward, f"{solution.call}, then handle.remove() and backward()")
        for name, param, old, grad in zip(names, params, stepped, linear_grads(*stepped, x, target)):
            where = f"{solution.call}, then handle.remove() and backward(): {name}"
            if not torch.equal(param.detach(), old):
                fail(
                    f"{where} still moved: the hooks are still on; return the handles that "
                    "register_post_accumulate_grad_hook returned, whose remove() takes them off"
                )
            expect_like(param.grad, grad, f"{where}.grad", likely={"None: the hooks are still on": None})


# ---- backward_hook_grads -------------------------------------------------------------------------------------------


def layer_cases() -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """(weight, bias, x, target): never square, so that grad_input and grad_output differ in shape."""
    return [
        (torch.tensor([[1.0, -1.0, 0.5], [0.0, 2.0, -1.0]]), torch.tensor([0.5, -0.5]),
         torch.tensor([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0], [2.0, 0.0, 0.0]]),
         torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])),
        (random_tensor(2, 3, seed=251, scale=1.0), random_tensor(2, seed=252, scale=1.0),
         random_tensor(4, 3, seed=253), random_tensor(4, 2, seed=254)),
        (random_tensor(1, 4, seed=255, dtype=F64), random_tensor(1, seed=256, dtype=F64),
         random_tensor(1, 4, seed=257, dtype=F64), random_tensor(1, 1, seed=258, dtype=F64)),
    ]  # fmt: skip


def backward_hooks_of(layer: nn.Module) -> tuple[bool | None, int]:
    """(whether its backward hooks are full ones, None with none registered; how many it has). Private attributes,
    the same from torch 1.8 on: torch keeps no public list of a module's hooks."""
    return getattr(layer, "_is_full_backward_hook", None), len(getattr(layer, "_backward_hooks", {}))


def expect_order(solution, got, grad_input: torch.Tensor, grad_output: torch.Tensor) -> None:
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return
    if got[0] is None:
        fail(
            f"{solution.call}[0]: got None: grad_input[0] is None when the layer's input does not require grad; run "
            "the layer on a copy of x that requires grad (x.clone().requires_grad_())"
        )
    shapes = [getattr(item, "shape", None) for item in got]
    if shapes == [grad_output.shape, grad_input.shape]:
        fail(
            f"{solution.call}: got shapes {[list(shape) for shape in shapes]}, expected "
            f"{[list(grad_input.shape), list(grad_output.shape)]}: (grad_output, grad_input) swapped; return "
            "(grad_input[0], grad_output[0])"
        )


@pytest.mark.exercise("hooks.backward_hook_grads")
def test_backward_hook_grads(solution):
    for weight, bias, x, target in layer_cases():
        layer = layer_of(weight, bias)
        at_forward = []
        watch = layer.register_forward_pre_hook(
            lambda module, args, seen=at_forward: seen.append(backward_hooks_of(module))
        )
        try:
            grad_output = 2 * (x @ weight.T + bias - target) / target.numel()
            grad_input = grad_output @ weight
            got = solution(layer, x, target)
            if any(count and full is False for full, count in at_forward):
                fail(
                    f"{solution.call}: the layer had the old register_backward_hook, whose grad_input is not the "
                    "gradient with respect to the layer's input; use layer.register_full_backward_hook"
                )
            expect_order(solution, got, grad_input, grad_output)
            expect_like(
                got,
                (grad_input, grad_output),
                solution.call,
                likely={
                    "the gradients of the summed squared error: L is the mean over all N·out entries": (
                        grad_input * target.numel(),
                        grad_output * target.numel(),
                    )
                },
            )
            expect_inputs_untouched(solution)
            if not (torch.equal(layer.weight.detach(), weight) and torch.equal(layer.bias.detach(), bias)):
                fail(f"{solution.call}: the layer's weight or bias changed: hook the layer, and leave its values")
            if not any(count for _, count in at_forward):
                fail(
                    f"{solution.call}: the values are right, but no backward hook was on the layer when it ran "
                    "forward; register one with layer.register_full_backward_hook(...) before the forward pass"
                )
            if backward_hooks_of(layer)[1]:
                fail(
                    f"{solution.call}: afterwards the layer still carries your backward hook, which will fire in "
                    "every later backward(); take it off with the handle register_full_backward_hook returned"
                )
            expect_made_by_autograd(solution, got, (grad_input, grad_output))
        finally:
            watch.remove()


# ---- Near misses ---------------------------------------------------------------------------------------------------


def hooked_at(where):
    """A learner-style intermediate_grad: a recording hook on `where(x, u, sin(u))`, one backward()."""

    def solve(x):
        x = x.clone().requires_grad_()
        u = x**2
        s = torch.sin(u)
        saved = []
        where(x, u, s).register_hook(saved.append)
        (s + u * x).sum().backward()
        return saved[0], x.grad

    return solve


def sin_path_only(x):
    """A hook on the copy of u that sin reads: it sees sin's share only."""
    x = x.clone().requires_grad_()
    u = x**2
    into_sin = u.clone()
    saved = []
    into_sin.register_hook(saved.append)
    (torch.sin(into_sin) + u * x).sum().backward()
    return saved[0], x.grad


def retained(x):
    x = x.clone().requires_grad_()
    u = x**2
    u.retain_grad()
    (torch.sin(u) + u * x).sum().backward()
    return u.grad, x.grad


def u_grad(x):
    """Reads u.grad, which autograd leaves None for an intermediate (and warns)."""
    x = x.clone().requires_grad_()
    u = x**2
    (torch.sin(u) + u * x).sum().backward()
    return u.grad, x.grad


def by_autograd_grad(x):
    x = x.clone().requires_grad_()
    u = x**2
    return torch.autograd.grad((torch.sin(u) + u * x).sum(), (u, x))


def reversal_by(hooked=lambda h, r: r, hook=lambda lam: lambda grad: -lam * grad):
    """A learner-style reversed_gradient: `hook(lam)` registered on `hooked(h, r)`."""

    def solve(x, lam):
        x = x.clone().requires_grad_()
        h = torch.sin(x)
        r = h.clone()
        hooked(h, r).register_hook(hook(lam))
        ((h**2).sum() + r.sum()).backward()
        return x.grad

    return solve


def reversal_by_pieces(x, lam):
    """The two branches' gradients by torch.autograd.grad, combined by hand: no hook."""
    x = x.clone().requires_grad_()
    h = torch.sin(x)
    (task,) = torch.autograd.grad((h**2).sum(), x, retain_graph=True)
    (adversary,) = torch.autograd.grad(h.sum(), x)
    return task - lam * adversary


def clip_by(hook=lambda bound: lambda grad: grad.clamp(-bound, bound), remove=True, clip_at_end=False):
    """A learner-style clipped_passes: `hook(bound)` on w, unless None; the handle removed if `remove`; w.grad
    clamped in place at the end if `clip_at_end`."""

    def solve(w, xs, bound):
        handle = None if hook is None else w.register_hook(hook(bound))
        for row in xs:
            ((w @ row - 1) ** 2).backward()
        if clip_at_end:
            w.grad.clamp_(-bound, bound)
        if handle is not None and remove:
            handle.remove()
        return w.grad

    return solve


def clipped_by_autograd_grad(w, xs, bound):
    """Each pass's gradient from torch.autograd.grad, clamped and summed by hand into w.grad: no hook."""
    total = torch.zeros_like(w)
    for row in xs:
        (grad,) = torch.autograd.grad((w @ row - 1) ** 2, w)
        total += grad.clamp(-bound, bound)
    w.grad = total
    return w.grad


def sgd_hooks_by(register="register_post_accumulate_grad_hook", sign=-1.0, clear=True, handles=lambda made: made):
    """A learner-style sgd_hooks: each parameter's step registered with `register`; `handles(made)` returned."""

    def solve(params, lr):
        def post_step(p):
            with torch.no_grad():
                p += sign * lr * p.grad
            if clear:
                p.grad = None

        def pre_step(p):
            def hook(grad):
                with torch.no_grad():
                    p.add_(sign * lr * grad)

            return hook

        if register == "register_hook":
            made = [p.register_hook(pre_step(p)) for p in params]
        else:
            made = [getattr(p, register)(post_step) for p in params]
        return handles(made)

    return solve


class NoHandle:
    def remove(self):
        pass


def layer_hook_by(
    register="register_full_backward_hook", input_grad=True, remove=True, pick=lambda gi, go: (gi[0], go[0])
):
    """A learner-style backward_hook_grads: the hook registered with `register` (None: no hook, retain_grad on the
    output instead), x a copy that requires grad if `input_grad`, the hook removed if `remove`."""

    def solve(layer, x, target):
        seen = []
        handle = None
        if register is not None:
            handle = getattr(layer, register)(lambda module, gi, go: seen.append(pick(gi, go)))
        x = x.clone().requires_grad_(input_grad)
        y = layer(x)
        if register is None:
            y.retain_grad()
        ((y - target) ** 2).mean().backward()
        if handle is not None and remove:
            handle.remove()
        return seen[0] if seen else (x.grad, y.grad)

    return solve


def caller_x_hooked(layer, x, target):
    """Makes the caller's own x require grad, where a copy should."""
    seen = []
    handle = layer.register_full_backward_hook(lambda module, gi, go: seen.append((gi[0], go[0])))
    ((layer(x.requires_grad_()) - target) ** 2).mean().backward()
    handle.remove()
    return seen[0]


intermediate_grad_near_misses = rejects(
    test_intermediate_grad,
    NearMiss("hook-on-x", hooked_at(lambda x, u, s: x), "that hook was on x"),
    NearMiss("hook-on-sin", hooked_at(lambda x, u, s: s), "past u"),
    NearMiss("sin-path-only", sin_path_only, "both of u's uses"),
    NearMiss("retain-grad", retained, "retain_grad"),
    NearMiss("u-grad", u_grad, "got None"),
    NearMiss("autograd-grad", by_autograd_grad, "no hook was registered"),
    NearMiss("closed-form", lambda x: (torch.cos(x**2) + x, 2 * x * torch.cos(x**2) + 3 * x**2), "autograd never ran"),
)
reversed_gradient_near_misses = rejects(
    test_reversed_gradient,
    NearMiss("no-return", reversal_by(hook=lambda lam: lambda grad: None), "came through unchanged"),
    NearMiss("hook-on-h", reversal_by(hooked=lambda h, r: h), "reversed too"),
    NearMiss("plus-lambda", reversal_by(hook=lambda lam: lambda grad: lam * grad), "not reversed"),
    NearMiss("pieces", reversal_by_pieces, "no hook was registered"),
    NearMiss("closed-form", lambda x, lam: torch.cos(x) * (2 * torch.sin(x) - lam), "autograd never ran"),
)
clipped_passes_near_misses = rejects(
    test_clipped_passes,
    NearMiss("clip-at-end", clip_by(hook=None, clip_at_end=True), "the sum was clipped"),
    NearMiss("not-clipped", clip_by(hook=None), "not clipped"),
    NearMiss("left-on", clip_by(remove=False), "still carries your hook"),
    NearMiss("autograd-grad", clipped_by_autograd_grad, "no hook was registered on w"),
)
sgd_hooks_near_misses = rejects(
    test_sgd_hooks,
    NearMiss("register-hook", sgd_hooks_by(register="register_hook"), "too early to clear"),
    NearMiss("not-cleared", sgd_hooks_by(clear=False), "still holds the gradient"),
    NearMiss("ascent", sgd_hooks_by(sign=1.0), "up the gradient"),
    NearMiss(
        "no-step",
        lambda params, lr: [p.register_post_accumulate_grad_hook(lambda p: None) for p in params],
        "backward\\(\\) did not step it",
    ),
    NearMiss("no-handles", sgd_hooks_by(handles=lambda made: None), "expected a list of 2 handles"),
    NearMiss("fake-handles", sgd_hooks_by(handles=lambda made: [NoHandle() for _ in made]), "RemovableHandle"),
)
backward_hook_grads_near_misses = rejects(
    test_backward_hook_grads,
    NearMiss("input-no-grad", layer_hook_by(input_grad=False), "does not require grad"),
    NearMiss("swapped", layer_hook_by(pick=lambda gi, go: (go[0], gi[0])), "swapped"),
    NearMiss("left-on", layer_hook_by(remove=False), "still carries your backward hook"),
    NearMiss("caller-x", caller_x_hooked, "x: requires_grad False -> True"),
    NearMiss("old-hook", layer_hook_by(register="register_backward_hook"), "register_backward_hook"),
    NearMiss("retain-grad", layer_hook_by(register=None), "no backward hook was on the layer"),
)
