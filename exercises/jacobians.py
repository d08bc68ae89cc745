"""Jacobians: f from n values to m has an m × n matrix J of partials; one backward pass gives vᵀJ.

For f from n inputs to m outputs, the derivative is a matrix, the Jacobian J[i, j] = ∂fᵢ/∂xⱼ: row i is output i's
gradient. A scalar f has one row, its gradient ∇f, and f(x).backward() puts it in x.grad. For a vector y = f(x),
y.backward(gradient=v) weighs output i by vᵢ and fills x.grad with the vector-Jacobian product vᵀJ,
(vᵀJ)ⱼ = Σᵢ vᵢ·∂fᵢ/∂xⱼ, in one pass; the sum trick is v = (1, …, 1). The whole J takes one
such product per row (torch.autograd.functional.jacobian), but an elementwise f's J is diagonal, and one pass finds
the diagonal. torch.func.grad(f) returns a function computing f's gradient; torch.func.vmap(g) runs g on every row
of a batch at once: together, one gradient per sample.

By hand
-------
f(x₀, x₁) = (x₀·x₁, x₀ + 2x₁) at x = (3, 4). Row 0: ∂(x₀x₁)/∂x₀ = x₁ = 4, ∂(x₀x₁)/∂x₁ = x₀ = 3. Row 1: 1 and 2.
So J = [[4, 3], [1, 2]]. With v = (1, 10), vᵀJ adds the rows weighted by v: (1·4 + 10·1, 1·3 + 10·2) = (14, 23).
J v = (34, 21) is another thing.

In torch
--------
>>> import torch
>>> def f(t):
...     return torch.stack([t[0] * t[1], t[0] + 2 * t[1]])
>>> x = torch.tensor([3.0, 4.0])
>>> torch.autograd.functional.jacobian(f, x)
tensor([[4., 3.],
        [1., 2.]])
>>> xr = x.clone().requires_grad_()
>>> f(xr).backward(gradient=torch.tensor([1.0, 10.0]))
>>> xr.grad
tensor([14., 23.])
>>> g = torch.func.grad(lambda t: t[0] * t[1] ** 2)
>>> torch.func.vmap(g)(torch.tensor([[3.0, 2.0], [1.0, 1.0]]))
tensor([[ 4., 12.],
        [ 1.,  2.]])

Traps the tests catch
---------------------
- backward() on a vector without gradient=v raises; y.sum().backward() ignores v.
- J v instead of vᵀJ: v weighs the outputs, the rows of J.
- Work that grows with the size: building J to get vᵀJ or its diagonal (the tests count passes and look for
  a batch of seeds), or a Python loop over the samples (they count torch calls).
- jacobian_matrix transposed, or the sum trick's vector for the matrix; a grad per row needs retain_graph=True.
- elementwise_jacobian: the diagonal's vector is not the (n, n) matrix.
- per_sample_gradients: the batch's mean gradient (one row, not n), or gradients with respect to the samples.
- gradient: backward() from a copy of x that does not require grad raises; float32 for float64 points.

Read more
---------
https://pytorch.org/docs/stable/generated/torch.autograd.functional.jacobian.html
https://pytorch.org/docs/stable/generated/torch.Tensor.backward.html
https://pytorch.org/docs/stable/func.html
"""

from collections.abc import Callable

import torch


def gradient(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """∇f(x), the gradient of a scalar function of a vector: ∇f(x)ⱼ = ∂f/∂xⱼ, by autograd.

    f: a function from a 1-D tensor to a 0-dim tensor, such as the squared norm t ↦ ‖t‖² = (t ** 2).sum().
    x: a 1-D float tensor; it does not require grad, and stays as it is.
    Returns: a tensor of x's shape and dtype, not attached to the graph; for ‖x‖² it is 2x.

    Example: gradient(lambda t: (t ** 2).sum(), torch.tensor([1.0, -2.0, 3.0])) -> tensor([ 2., -4.,  6.])
    """
    raise NotImplementedError


def vector_jacobian_product(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    """vᵀJ, where J[i, j] = ∂f(x)ᵢ/∂xⱼ, in one backward pass: y = f(x) is not a scalar, so y.backward(gradient=v).

    One reverse-mode pass seeded with v, without building J: torch.autograd.grad(y, x, grad_outputs=v) and
    torch.func.vjp are that one pass too. Not forward mode (jvp, jacfwd), not a pass per output
    (torch.autograd.functional.jacobian), not all of J at once (jacrev, jacobian(vectorize=True)).
    f: a function from a 1-D tensor of n values to a 1-D tensor of m values.
    x: a 1-D float tensor of n values; it does not require grad, and stays as it is.
    v: a 1-D tensor of m values of x's dtype, one weight per output; it stays as it is.
    Returns: a tensor of x's shape and dtype, not attached to the graph, (vᵀJ)ⱼ = Σᵢ vᵢ·∂f(x)ᵢ/∂xⱼ.

    Example: vector_jacobian_product(lambda t: t ** 2, torch.tensor([1.0, 2.0]), torch.tensor([1.0, -1.0]))
      -> tensor([ 2., -4.])
    """
    raise NotImplementedError


def elementwise_jacobian(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The Jacobian J[i, j] = ∂f(x)ᵢ/∂xⱼ of an elementwise f, in one backward pass whatever n.

    f(x)ᵢ depends on xᵢ alone, so J is diagonal: J[i, i] = f'(xᵢ). One reverse-mode pass finds that whole
    diagonal: not a pass per point (torch.autograd.functional.jacobian by default), not all of J at once from a
    batch of seeds (jacrev, jacobian(vectorize=True)), not forward mode (jvp, jacfwd).
    f: an elementwise function, such as torch.sin.
    x: a 1-D float tensor of n points; it does not require grad, and stays as it is.
    Returns: an (n, n) tensor of x's dtype, not attached to the graph, f'(xᵢ) at [i, i] and 0 elsewhere.

    Example: elementwise_jacobian(lambda t: t ** 2, torch.tensor([1.0, 3.0])) -> tensor([[2., 0.], [0., 6.]])
    """
    raise NotImplementedError


def jacobian_matrix(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The Jacobian of f at x, J[i, j] = ∂f(x)ᵢ/∂xⱼ: row i is the gradient of output i. For f(x) = Ax, J = A.

    By autograd, in either mode: reverse (a row per pass) or forward (a column per pass).
    f: a function from a 1-D tensor of n values to a 1-D tensor of m values.
    x: a 1-D float tensor of n values; it does not require grad, and stays as it is.
    Returns: an (m, n) tensor of x's dtype, not attached to the graph.

    Example: jacobian_matrix(lambda t: torch.tensor([[1.0, 2.0], [3.0, 4.0]]) @ t, torch.tensor([5.0, 6.0]))
      -> tensor([[1., 2.], [3., 4.]])
    """
    raise NotImplementedError


def per_sample_gradients(w: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The gradient with respect to w of each sample's squared error ℓᵢ(w) = (w·xᵢ − yᵢ)², all at once.

    torch.func.vmap(torch.func.grad(ℓ)) computes the n gradients in one batched pass. Any autograd method is
    accepted (torch.func.grad or jacfwd under vmap, torch.autograd.grad, backward() on a copy of w per sample),
    as long as no Python loop runs over the samples: the tests count torch calls, which must not grow with n.
    w: the weights of a linear model, a 1-D float tensor of d values; it does not require grad.
    inputs: an (n, d) tensor of w's dtype whose row i is the sample xᵢ.
    targets: a 1-D tensor of n values yᵢ, of w's dtype.
    w, inputs and targets stay as they are.
    Returns: an (n, d) tensor of w's dtype, not attached to the graph; row i is ∇ℓᵢ(w) = 2(w·xᵢ − yᵢ)xᵢ.

    Example: per_sample_gradients(torch.tensor([1.0, -1.0]), torch.tensor([[1.0, 2.0], [3.0, 0.0]]),
      torch.tensor([0.0, 1.0])) -> tensor([[-2., -4.], [12., 0.]])
    """
    raise NotImplementedError
