"""Custom autograd Functions: you write forward and backward; autograd calls your backward, never its own.

A subclass of torch.autograd.Function is an operation with a derivative you write. forward(ctx, *inputs) computes
the output. Whatever backward will need goes on ctx: tensors through ctx.save_for_backward(…), read back as
ctx.saved_tensors; anything else, a float say, as an attribute (ctx.bound = bound). backward(ctx, grad_output)
receives ∂L/∂y, the gradient of the final result L with respect to the output, and returns ∂L/∂x for each input:
by the chain rule, grad_output times the local derivative. It returns one gradient per forward input, in order,
None for one that is not a tensor. Use it as MyFunction.apply(x): the output's grad_fn is then MyFunctionBackward,
and backward() runs your code, even a backward that is not the true derivative, on purpose.

By hand
-------
y = x², upstream gradient g = ∂L/∂y: ∂L/∂x = ∂L/∂y · dy/dx = g·2x. At x = (1, 2) with g = (1, 10):
(1·2·1, 10·2·2) = (2, 40). With g = (1, 1), which y.sum().backward() sends, it is (2, 4), the same as 2x alone:
only then does a backward that ignores grad_output look right.

In torch
--------
>>> import torch
>>> class Square(torch.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 2
...     @staticmethod
...     def backward(ctx, grad_output):
...         (x,) = ctx.saved_tensors
...         return grad_output * 2 * x
>>> x = torch.tensor([1.0, 2.0], requires_grad=True)
>>> y = Square.apply(x)
>>> type(y.grad_fn).__name__
'SquareBackward'
>>> y.backward(torch.tensor([1.0, 10.0]))
>>> x.grad
tensor([ 2., 40.])

Traps the tests catch
---------------------
- Ignoring grad_output: the tests send a random upstream gradient, not ones.
- The derivative at the saved output instead of the input: for Cube, 3y² = 3x⁶ is not 3x².
- A plain function, or x + (x.round() − x).detach(): right values, but autograd's grad_fn, never your backward.
- Too few gradients: Multiply returns two; ClipGradient returns (…, None) for its bound.
- Multiply's gradients swapped: ∂(x·y)/∂x is y.
- ClippedReLU with slope 1 at its kinks 0 and 1, or no upper kink; StraightThroughRound with round's true
  gradient 0, or halves rounded up (torch.round sends 2.5 to 2).
- ClipGradient clipping the forward value, or clipping to 1 rather than to its bound.

Read more
---------
https://pytorch.org/docs/stable/notes/extending.html
https://pytorch.org/docs/stable/generated/torch.autograd.function.FunctionCtx.save_for_backward.html
"""

import torch
from torch.autograd.function import FunctionCtx


class Cube(torch.autograd.Function):
    """y = x³, with the backward written by hand: ∂L/∂x = ∂L/∂y · 3x².

    Used as Cube.apply(x). x: a float tensor of any shape, which forward leaves unchanged.
    forward keeps the tensors backward needs with ctx.save_for_backward, never as ctx attributes (ctx.x = x);
    backward computes the gradient itself from grad_output and ctx.saved_tensors, without calling autograd.
    Returns: a tensor of x's shape and dtype; backward fills x.grad with grad_output · 3x².

    Example: x = torch.tensor(2.0, requires_grad=True); Cube.apply(x).backward() -> x.grad is tensor(12.)
    """

    @staticmethod
    def forward(ctx: FunctionCtx, x: torch.Tensor) -> torch.Tensor:
        """Return x³, and keep what backward needs with ctx.save_for_backward."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> torch.Tensor:
        """grad_output is ∂L/∂y, of y's shape. Return ∂L/∂x = grad_output · 3x² (the chain rule)."""
        raise NotImplementedError


class Multiply(torch.autograd.Function):
    """z = x · y elementwise, with one gradient per input: ∂L/∂x = ∂L/∂z · y and ∂L/∂y = ∂L/∂z · x.

    Used as Multiply.apply(x, y). x, y: float tensors of the same shape and dtype, which forward leaves
    unchanged; one or both require grad. forward keeps both with ctx.save_for_backward, never as ctx
    attributes; backward computes the gradients itself, without calling autograd.
    Returns: a tensor of that shape and dtype; backward fills the .grad of each input that requires grad
      (for one that does not, ctx.needs_input_grad is False and backward may return None in its place).

    Example: x, y = tensor(2.), tensor(5.), both requiring grad; Multiply.apply(x, y).backward()
      -> x.grad is tensor(5.), y.grad is tensor(2.)
    """

    @staticmethod
    def forward(ctx: FunctionCtx, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Return x · y, and save both factors: each one's gradient needs the other."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (∂L/∂x, ∂L/∂y), in the order forward took its inputs."""
        raise NotImplementedError


class ClippedReLU(torch.autograd.Function):
    """y = x clamped to [0, 1], with slope 1 strictly inside (0 < x < 1) and 0 elsewhere, at the kinks too.

    Used as ClippedReLU.apply(x). x: a float tensor of any shape, which forward leaves unchanged.
    forward keeps the tensors backward needs with ctx.save_for_backward, never as ctx attributes;
    backward computes the gradient itself, without calling autograd.
    Returns: a tensor of x's shape and dtype; backward fills x.grad with grad_output where 0 < x < 1, else 0.

    Example: ClippedReLU.apply(torch.tensor([-1.0, 0.5, 2.0])) -> tensor([0.0000, 0.5000, 1.0000])
    """

    @staticmethod
    def forward(ctx: FunctionCtx, x: torch.Tensor) -> torch.Tensor:
        """Return x clamped to [0, 1], and save what backward needs to tell inside from outside."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> torch.Tensor:
        """Return grad_output where 0 < x < 1 and 0 elsewhere."""
        raise NotImplementedError


class StraightThroughRound(torch.autograd.Function):
    """Rounding with a straight-through gradient: forward rounds, backward pretends it was the identity.

    round's true gradient is 0 almost everywhere, which would stop all learning upstream of it (as in
    quantised networks); the straight-through estimator passes grad_output through unchanged instead.
    Used as StraightThroughRound.apply(x). x: a float tensor of any shape, which forward leaves unchanged.
    backward needs nothing from forward, so keep no tensor on ctx; it calls no autograd.
    Returns: torch.round(x) (halves go to the nearest even integer), of x's shape and dtype;
      backward fills x.grad with grad_output itself.

    Example: StraightThroughRound.apply(torch.tensor([0.4, 1.6, 2.5])) -> tensor([0., 2., 2.])
    """

    @staticmethod
    def forward(ctx: FunctionCtx, x: torch.Tensor) -> torch.Tensor:
        """Return torch.round(x)."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> torch.Tensor:
        """Return grad_output unchanged, as if forward had been the identity."""
        raise NotImplementedError


class ClipGradient(torch.autograd.Function):
    """The identity on the way forward; on the way back, the gradient clamped to [-bound, bound].

    Used as ClipGradient.apply(x, bound). x: a float tensor of any shape, which forward leaves unchanged;
    bound: a positive Python float, kept as ctx.bound (save_for_backward takes only tensors; keep no tensor
    on ctx). backward computes the gradient itself, without calling autograd.
    Returns: a new tensor equal to x (x.clone(); x itself would share its memory with the caller's x);
      backward fills x.grad with grad_output clamped to [-bound, bound]. bound is not a tensor, so it gets
      no gradient: backward returns None in its place.

    Example: x = torch.zeros(2, requires_grad=True); ClipGradient.apply(x, 1.0).backward(torch.tensor([-3.0, 0.5]))
      -> x.grad is tensor([-1.0000,  0.5000])
    """

    @staticmethod
    def forward(ctx: FunctionCtx, x: torch.Tensor, bound: float) -> torch.Tensor:
        """Return a copy of x; keep bound on ctx (ctx.bound = bound), as save_for_backward takes only tensors."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:
        """Return (grad_output clamped to [-bound, bound], None): one gradient per forward input."""
        raise NotImplementedError
