"""Alternatives for exercises/custom_functions.py.

Each alternative is a torch.autograd.Function subclass named exactly like the exercise class (so that
its grad_fn is `<Name>Backward`), built by a small factory so that several classes of one name can live
in this module. All keep what the docstrings name: ctx.save_for_backward (Cube, Multiply, ClippedReLU),
ctx.bound (ClipGradient), a hand-written backward, one gradient (or None) per forward input.
Alternatives marked "setup-context" use the torch >= 2.0 style: forward(*inputs) without ctx, and
setup_context(ctx, inputs, output) doing the saving.
"""

import torch
from torch.autograd.function import FunctionCtx


# ================================================================ Cube: y = x³, ∂L/∂x = grad·3x²
def _cube_save_input() -> type:
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx: FunctionCtx, x: torch.Tensor) -> torch.Tensor:
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> torch.Tensor:
            (x,) = ctx.saved_tensors
            return 3 * grad_output * x * x

    return Cube


def _cube_save_slope() -> type:
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx: FunctionCtx, x: torch.Tensor) -> torch.Tensor:
            # keep what backward needs: the local slope 3x², computed here once
            ctx.save_for_backward(3 * x.square())
            return torch.pow(x, 3)

        @staticmethod
        def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> torch.Tensor:
            (slope,) = ctx.saved_tensors
            return grad_output * slope

    return Cube


def _cube_setup_context() -> type:
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(x: torch.Tensor) -> torch.Tensor:
            return x**3

        @staticmethod
        def setup_context(ctx: FunctionCtx, inputs: tuple, output: torch.Tensor) -> None:
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> torch.Tensor:
            (x,) = ctx.saved_tensors
            return torch.mul(grad_output, 3 * x**2)

    return Cube


# ================================================================ Multiply: z = x·y, (grad·y, grad·x)
def _multiply_plain_tuple() -> type:
    class Multiply(torch.autograd.Function):
        @staticmethod
        def forward(ctx: FunctionCtx, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            ctx.save_for_backward(x, y)
            return torch.mul(x, y)

        @staticmethod
        def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            x, y = ctx.saved_tensors
            return torch.mul(grad_output, y), torch.mul(grad_output, x)

    return Multiply


def _multiply_needs_input_grad() -> type:
    class Multiply(torch.autograd.Function):
        @staticmethod
        def forward(ctx: FunctionCtx, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            # compute only what is asked for; None for an input that does not require grad
            x, y = ctx.saved_tensors
            need_x, need_y = ctx.needs_input_grad
            return (grad_output * y if need_x else None), (grad_output * x if need_y else None)

    return Multiply


def _multiply_setup_context() -> type:
    class Multiply(torch.autograd.Function):
        @staticmethod
        def forward(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return x.mul(y)

        @staticmethod
        def setup_context(ctx: FunctionCtx, inputs: tuple, output: torch.Tensor) -> None:
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            x, y = ctx.saved_tensors
            return y * grad_output, x * grad_output

    return Multiply


# ================================================================ ClippedReLU: clamp to [0, 1]; slope 1 on (0, 1) only
def _clipped_relu_save_mask() -> type:
    class ClippedReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx: FunctionCtx, x: torch.Tensor) -> torch.Tensor:
            ctx.save_for_backward((x > 0) & (x < 1))  # a bool tensor: inside or not
            return torch.clamp(x, 0.0, 1.0)

        @staticmethod
        def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> torch.Tensor:
            (inside,) = ctx.saved_tensors
            return torch.where(inside, grad_output, torch.zeros_like(grad_output))

    return ClippedReLU


def _clipped_relu_save_output() -> type:
    class ClippedReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx: FunctionCtx, x: torch.Tensor) -> torch.Tensor:
            y = x.clamp(min=0.0).clamp(max=1.0)
            # 0 < y < 1 exactly where 0 < x < 1 (y is 0 or 1 everywhere else), so the output will do
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> torch.Tensor:
            (y,) = ctx.saved_tensors
            return grad_output.masked_fill((y <= 0) | (y >= 1), 0.0)

    return ClippedReLU


def _clipped_relu_minmax() -> type:
    class ClippedReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx: FunctionCtx, x: torch.Tensor) -> torch.Tensor:
            ctx.save_for_backward(x)
            return torch.minimum(torch.maximum(x, torch.zeros_like(x)), torch.ones_like(x))

        @staticmethod
        def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> torch.Tensor:
            (x,) = ctx.saved_tensors
            inside = torch.logical_and(x > 0, x < 1)
            return grad_output * inside.to(grad_output.dtype)

    return ClippedReLU


# ================================================================ StraightThroughRound: round; identity backward
def _ste_clone() -> type:
    class StraightThroughRound(torch.autograd.Function):
        @staticmethod
        def forward(ctx: FunctionCtx, x: torch.Tensor) -> torch.Tensor:
            return x.round()

        @staticmethod
        def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> torch.Tensor:
            return grad_output.clone()

    return StraightThroughRound


def _ste_setup_context() -> type:
    class StraightThroughRound(torch.autograd.Function):
        @staticmethod
        def forward(x: torch.Tensor) -> torch.Tensor:
            return torch.round(x)

        @staticmethod
        def setup_context(ctx: FunctionCtx, inputs: tuple, output: torch.Tensor) -> None:
            pass  # nothing to keep: the backward is the identity

        @staticmethod
        def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> torch.Tensor:
            return grad_output

    return StraightThroughRound


def _ste_once_differentiable() -> type:
    from torch.autograd.function import once_differentiable

    class StraightThroughRound(torch.autograd.Function):
        @staticmethod
        def forward(ctx: FunctionCtx, x: torch.Tensor) -> torch.Tensor:
            return torch.round(x.detach())

        @staticmethod
        @once_differentiable
        def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> torch.Tensor:
            return grad_output

    return StraightThroughRound


# =========================================================== ClipGradient: identity forward; clamp(grad, −bound, bound)
def _clip_clone_clamp() -> type:
    class ClipGradient(torch.autograd.Function):
        @staticmethod
        def forward(ctx: FunctionCtx, x: torch.Tensor, bound: float) -> torch.Tensor:
            ctx.bound = bound
            return torch.clone(x)

        @staticmethod
        def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:
            return grad_output.clamp(min=-ctx.bound, max=ctx.bound), None

    return ClipGradient


def _clip_minmax() -> type:
    class ClipGradient(torch.autograd.Function):
        @staticmethod
        def forward(ctx: FunctionCtx, x: torch.Tensor, bound: float) -> torch.Tensor:
            ctx.bound = float(bound)
            return torch.empty_like(x).copy_(x)

        @staticmethod
        def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:
            b = torch.full_like(grad_output, ctx.bound)
            return torch.maximum(torch.minimum(grad_output, b), -b), None

    return ClipGradient


def _clip_setup_context() -> type:
    class ClipGradient(torch.autograd.Function):
        @staticmethod
        def forward(x: torch.Tensor, bound: float) -> torch.Tensor:
            return x.detach().clone()

        @staticmethod
        def setup_context(ctx: FunctionCtx, inputs: tuple, output: torch.Tensor) -> None:
            _, ctx.bound = inputs

        @staticmethod
        def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:
            return torch.clamp(grad_output, -ctx.bound, ctx.bound), None

    return ClipGradient


ALTERNATIVES = {
    "Cube": [
        ("save-input-mul", _cube_save_input()),
        ("save-local-slope", _cube_save_slope()),
        ("setup-context", _cube_setup_context()),
    ],
    "Multiply": [
        ("torch-mul-tuple", _multiply_plain_tuple()),
        ("needs-input-grad", _multiply_needs_input_grad()),
        ("setup-context", _multiply_setup_context()),
    ],
    "ClippedReLU": [
        ("save-bool-mask-where", _clipped_relu_save_mask()),
        ("save-output-masked-fill", _clipped_relu_save_output()),
        ("minimum-maximum-mul-mask", _clipped_relu_minmax()),
    ],
    "StraightThroughRound": [
        ("clone-grad", _ste_clone()),
        ("setup-context", _ste_setup_context()),
        ("once-differentiable", _ste_once_differentiable()),
    ],
    "ClipGradient": [
        ("clone-clamp-min-max", _clip_clone_clamp()),
        ("minimum-maximum", _clip_minmax()),
        ("setup-context", _clip_setup_context()),
    ],
}
