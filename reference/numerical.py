"""Numerical derivatives: finite differences check autograd, and the step size h decides how well they do.

Values of f alone estimate its derivative. The forward difference (f(x + h) − f(x)) / h errs by about
h; the central difference (f(x + h) − f(x − h)) / (2h) cancels that term and errs by about h². A smaller h is not
always better: f's values are rounded to the dtype's precision eps (torch.finfo(dtype).eps), and dividing by 2h
turns that rounding into an error of about eps / h. The best step balances the two, so float32 needs far larger
steps than float64. For a function of a vector, step one coordinate at a time, x ± h·eᵢ: 2n calls of f where
autograd needs one pass. The relative error |num − auto| / |auto| measures the estimate against autograd.
torch.autograd.gradcheck checks autograd against central differences of step 1e-6: in float64, on inputs that
require grad.

By hand
-------
f(x) = x² at x = 1, h = 0.5, where f'(1) = 2x = 2. Central: (1.5² − 0.5²) / (2·0.5) = (2.25 − 0.25) / 1 = 2,
exact, as for every quadratic. Forward: (1.5² − 1²) / 0.5 = 1.25 / 0.5 = 2.5, off by h = 0.5, a relative error
of |2.5 − 2| / 2 = 0.25.

In torch
--------
>>> import torch
>>> x = torch.tensor(1.0, dtype=torch.float64)
>>> h = 0.5
>>> (((x + h) ** 2 - (x - h) ** 2) / (2 * h)).item()
2.0
>>> (((x + h) ** 2 - x ** 2) / h).item()
2.5
>>> torch.finfo(torch.float64).eps
2.220446049250313e-16
>>> t = torch.tensor([0.5, 1.0], dtype=torch.float64, requires_grad=True)
>>> torch.autograd.gradcheck(torch.exp, (t,))
True

Traps the tests catch
---------------------
- A forward difference for the central one; dividing by h instead of 2h; autograd's exact answer.
- numerical_gradient: stepping all coordinates at once; changing x in place (x[i] += h), which need not round back.
- relative_error: dividing by the estimate instead of |auto|; the absolute or signed error; NaN at 0 / 0 without
  the tiny clamp; a result left attached to the graph; auto from a second difference instead of autograd.
- step_size: √eps is the forward difference's best step, not the central one's; 1e-6 is only gradcheck's default.
- gradcheck raises on failure unless raise_exception=False, wants inputs that require grad, and its verdict is a
  Python bool.

Read more
---------
https://pytorch.org/docs/stable/generated/torch.autograd.gradcheck.gradcheck.html
https://pytorch.org/docs/stable/type_info.html
"""

from collections.abc import Callable

import torch


def central_difference(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, h: float) -> torch.Tensor:
    """The central finite difference (f(x + h) − f(x − h)) / (2h), an estimate of f'(x) with error about h².

    From values of f alone, without autograd, and in x's dtype: f's rounding in that dtype is what the step
    has to live with (computed in float64 and cast back, a float32 estimate would hide it).
    f: an elementwise function of a tensor, such as torch.sin.
    x: a float tensor of points, which does not require grad; h: the step, a positive Python float.
    Returns: a tensor of x's shape and dtype, the estimate at each point.

    Example: central_difference(lambda t: t ** 3, torch.tensor([1.0, 2.0]), 0.1) -> tensor([ 3.0100, 12.0100])
    """
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, h: float) -> torch.Tensor:
    """The gradient of a scalar function of a vector by central differences, one coordinate at a time.

    Entry i is (f(x + h·eᵢ) − f(x − h·eᵢ)) / (2h), with eᵢ the i-th unit vector: 2n values of f for n
    coordinates, where autograd needs one backward pass. From values of f alone, without autograd.
    f: a function from a 1-D tensor to a 0-dim tensor, such as lambda t: (t ** 2).sum().
    x: a 1-D float tensor, which does not require grad; it is left unchanged, so step copies of it
      (x + h·eᵢ), not x itself; h: the step, a positive Python float.
    Returns: a tensor of x's shape and dtype.

    Example: numerical_gradient(lambda t: t[0] * t[1], torch.tensor([2.0, 3.0]), 0.1) -> tensor([3.0000, 2.0000])
    """
    steps = h * torch.eye(len(x), dtype=x.dtype)
    return torch.stack([(f(x + step) - f(x - step)) / (2 * h) for step in steps])


def relative_error(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, h: float) -> torch.Tensor:
    """How far the central difference of f is from autograd's derivative, relative to autograd's.

    |num − auto| / max(|auto|, tiny) at each point, where num is the central difference of f at x with step
    h (your central_difference(f, x, h)), auto is f'(x) by autograd (any mode), and
    tiny = torch.finfo(x.dtype).tiny keeps 0 / 0 (where both are 0) at 0 instead of NaN, and changes no
    other |auto|, however small (adding 1e-8 would).
    f: an elementwise function of a tensor; x: a float tensor of points, which does not require grad and
    is left unchanged; h: a positive Python float.
    Returns: a tensor of x's shape and dtype, not attached to the graph (requires_grad False).

    Example: relative_error(lambda t: t ** 3, torch.tensor([1.0, 0.5]), 0.1) -> tensor([0.0033, 0.0133])
    """
    numerical = central_difference(f, x, h)
    x = x.clone().requires_grad_()
    f(x).sum().backward()
    return (numerical - x.grad).abs() / x.grad.abs().clamp(min=torch.finfo(x.dtype).tiny)


def step_size(dtype: torch.dtype) -> float:
    """The rule-of-thumb best step h for the central difference in a floating-point dtype: eps ** (1/3).

    The estimate's error is about h² (the formula's) plus eps / h (rounding, eps being the dtype's machine
    epsilon, torch.finfo(dtype).eps); the sum is smallest for h of the order of eps ** (1/3), the rule of
    thumb asked for here (h² + eps / h exactly is smallest at (eps / 2) ** (1/3), but f sets the constants).
    float64 allows h ≈ 6e-6, float32 only h ≈ 5e-3: gradcheck's default step, 1e-6, is far too small for
    float32.
    dtype: any floating-point torch dtype (float16, bfloat16 and others too, not only these two).
    Returns: a Python float, eps ** (1/3) to float32's precision or better.

    Example: step_size(torch.float32) -> 0.00492156660115185
    """
    return torch.finfo(dtype).eps ** (1 / 3)


def gradcheck_passes(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> bool:
    """Whether torch.autograd.gradcheck accepts autograd's gradient of f at x: its verdict as a bool, not an error.

    Its checking settings (eps, atol, rtol, fast_mode...) stay at their defaults. gradcheck compares
    autograd's Jacobian with central differences of step 1e-6: for a smooth f it passes in float64 and fails
    in float32 (but at lucky points such as x = 0), where that step drowns in rounding; it fails at a kink
    whose differences disagree with autograd's slope (relu at 0), and for a wrong backward.
    f: a function of a tensor, returning a tensor; x: a float tensor of points, which does not require grad
    and is left unchanged (gradcheck needs a copy that does).
    Returns: a Python bool, True where gradcheck passes and False where it fails: a failed check returns
      False (raise_exception=False, or the GradcheckError caught), it does not raise.

    Example: gradcheck_passes(torch.sin, torch.tensor([0.5, 1.0], dtype=torch.float64)) -> True
    """
    return torch.autograd.gradcheck(f, (x.clone().requires_grad_(),), raise_exception=False)
