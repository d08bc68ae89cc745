"""Jacobians: f from n values to m has an m × n matrix J of partials; one backward pass gives vᵀJ."""

from collections.abc import Callable

import torch


def gradient(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """∇f(x), the gradient of a scalar function of a vector: ∇f(x)ⱼ = ∂f/∂xⱼ, by autograd.

    f: a function from a 1-D tensor to a 0-dim tensor, such as the squared norm t ↦ ‖t‖² = (t ** 2).sum().
    x: a 1-D float tensor; it does not require grad.
    Returns: a tensor of x's shape and dtype; for ‖x‖² it is 2x.

    Example: gradient(lambda t: (t ** 2).sum(), torch.tensor([1.0, -2.0, 3.0])) -> tensor([ 2., -4.,  6.])
    """
    x = x.clone().requires_grad_()
    f(x).backward()
    return x.grad


def vector_jacobian_product(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    """vᵀJ, where J[i, j] = ∂f(x)ᵢ/∂xⱼ, in one backward pass: y = f(x) is not a scalar, so y.backward(gradient=v).

    f: a function from a 1-D tensor of n values to a 1-D tensor of m values.
    x: a 1-D float tensor of n values; it does not require grad.
    v: a 1-D tensor of m values of x's dtype, one weight per output.
    Returns: a tensor of x's shape and dtype, (vᵀJ)ⱼ = Σᵢ vᵢ·∂f(x)ᵢ/∂xⱼ.

    Example: vector_jacobian_product(lambda t: t ** 2, torch.tensor([1.0, 2.0]), torch.tensor([1.0, -1.0]))
      -> tensor([ 2., -4.])
    """
    x = x.clone().requires_grad_()
    f(x).backward(gradient=v)
    return x.grad


def elementwise_jacobian(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The Jacobian J[i, j] = ∂f(x)ᵢ/∂xⱼ of an elementwise f, in one backward pass whatever n.

    f(x)ᵢ depends on xᵢ alone, so J is diagonal: J[i, i] = f'(xᵢ). One pass finds that whole diagonal;
    no loop over the points, so not torch.autograd.functional.jacobian, which by default makes n passes.
    f: an elementwise function, such as torch.sin.
    x: a 1-D float tensor of n points; it does not require grad.
    Returns: an (n, n) tensor of x's dtype, f'(xᵢ) at [i, i] and 0 elsewhere.

    Example: elementwise_jacobian(lambda t: t ** 2, torch.tensor([1.0, 3.0])) -> tensor([[2., 0.], [0., 6.]])
    """
    x = x.clone().requires_grad_()
    f(x).sum().backward()
    return torch.diag(x.grad)


def jacobian_matrix(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The Jacobian of f at x, J[i, j] = ∂f(x)ᵢ/∂xⱼ: row i is the gradient of output i. For f(x) = Ax, J = A.

    f: a function from a 1-D tensor of n values to a 1-D tensor of m values.
    x: a 1-D float tensor of n values; it does not require grad.
    Returns: an (m, n) tensor of x's dtype, not attached to the graph.

    Example: jacobian_matrix(lambda t: torch.tensor([[1.0, 2.0], [3.0, 4.0]]) @ t, torch.tensor([5.0, 6.0]))
      -> tensor([[1., 2.], [3., 4.]])
    """
    return torch.autograd.functional.jacobian(f, x)


def _squared_error(w: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (torch.dot(w, x) - y) ** 2


def per_sample_gradients(w: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The gradient with respect to w of each sample's squared error ℓᵢ(w) = (w·xᵢ − yᵢ)², all at once.

    torch.func.vmap(torch.func.grad(ℓ)) computes the n gradients in one batched pass. Any backward-pass method
    (torch.func.grad, torch.autograd.grad, backward()) is accepted without a Python loop over the samples:
    a loop fails, as its work grows with n.
    w: the weights of a linear model, a 1-D float tensor of d values; it does not require grad.
    inputs: an (n, d) tensor of w's dtype whose row i is the sample xᵢ.
    targets: a 1-D tensor of n values yᵢ, of w's dtype.
    Returns: an (n, d) tensor of w's dtype, not attached to the graph; row i is ∇ℓᵢ(w) = 2(w·xᵢ − yᵢ)xᵢ.

    Example: per_sample_gradients(torch.tensor([1.0, -1.0]), torch.tensor([[1.0, 2.0], [3.0, 0.0]]),
      torch.tensor([0.0, 1.0])) -> tensor([[-2., -4.], [12., 0.]])
    """
    return torch.func.vmap(torch.func.grad(_squared_error), in_dims=(None, 0, 0))(w, inputs, targets)
