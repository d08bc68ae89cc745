"""Broadcasting: a broadcast input's gradient sums over the dims it was copied along; gather, cumsum, matmul by hand.

When a of shape (2, 1) meets b of shape (3,), shapes line up from the right and both expand to (2, 3): b gains a
leading dim, a's dim of size 1 is copied 3 times. Every copy sends its gradient back to the entry it came from,
so ∂L/∂a is the upstream gradient G, of shape (2, 3), summed over the leading dims a lacks and, keepdim=True, over
the dims where a has 1. Autograd does this: x.grad always has x's shape.

The same bookkeeping gives more backwards. gather copies entries, so its gradient scatter_adds G back to where
each came from, an entry gathered twice getting both. cumsum's output j sums inputs 0…j, so input i gets G summed
from i to the end. C = A·B gives ∂L/∂A = G·Bᵀ and ∂L/∂B = Aᵀ·G, each of its own operand's shape.

By hand
-------
a = [[1], [2]] of shape (2, 1), b = [10, 20, 30] of shape (3,), L = Σ G ⊙ (a + b), G = [[1, 2, 3], [4, 5, 6]].
∂L/∂(a + b) = G. a was copied along dim 1: ∂L/∂a = [[1 + 2 + 3], [4 + 5 + 6]] = [[6], [15]]. b gained a
leading dim: ∂L/∂b = [1 + 4, 2 + 5, 3 + 6] = [5, 7, 9].

In torch
--------
>>> import torch
>>> a = torch.tensor([[1.0], [2.0]], requires_grad=True)
>>> b = torch.tensor([10.0, 20.0, 30.0], requires_grad=True)
>>> G = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
>>> (G * (a + b)).sum().backward()
>>> a.grad.shape, b.grad, G.sum(dim=0)
(torch.Size([2, 1]), tensor([5., 7., 9.]), tensor([5., 7., 9.]))
>>> torch.zeros(4).scatter_add(0, torch.tensor([1, 1, 3]), torch.tensor([1.0, 2.0, 5.0]))
tensor([0., 3., 0., 5.])
>>> torch.tensor([4.0, 0.0, 1.0]).flip(0).cumsum(0).flip(0)
tensor([5., 1., 1.])
>>> torch.ones(5, 2, 3).mT.shape
torch.Size([5, 3, 2])

Traps the tests catch
---------------------
- broadcast_grads: a leaf made from an expanded copy gets the broadcast shape; weights ignored; a mean.
- unbroadcast: the leading dims only; the dims of size 1 without keepdim; shapes lined up from the left; a mean.
- gather_grad: scatter or index assignment keeps one of two weights sent to one entry, scatter_add both.
- cumsum_grad: the forward cumsum of the weights; wᵢ itself left out; the other dim.
- matmul_grads: B·Gᵀ is ∂L/∂A transposed; a batch shares B, so ∂L/∂B sums Aᵀ·G over it; .T on a 3-D tensor
  reverses every dim (.mT swaps the last two).

Read more
---------
https://pytorch.org/docs/stable/notes/broadcasting.html
https://pytorch.org/docs/stable/generated/torch.Tensor.scatter_add_.html
https://pytorch.org/docs/stable/generated/torch.matmul.html
"""

import torch


def broadcast_grads(a: torch.Tensor, b: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(∂L/∂a, ∂L/∂b) for L = Σ weights ⊙ (a ⊙ b), a and b broadcast against each other, by autograd.

    a ⊙ b has weights' shape, the broadcast shape of a and b. Each gradient has its own input's shape: autograd sums
    over the dims that input was copied along. ∂L/∂a is weights ⊙ b summed back to a's shape, ∂L/∂b is
    weights ⊙ a summed back to b's shape.
    a, b: float tensors of one dtype that broadcast against each other; they do not require grad.
    weights: a tensor of the broadcast shape, of a's dtype, that does not require grad.
    Returns: a tuple of two tensors, of a's shape and of b's shape, of a's dtype, not attached to the graph
      (requires_grad False).

    Example: broadcast_grads(torch.tensor([[1.0], [2.0]]), torch.tensor([1.0, 2.0, 3.0]), torch.ones(2, 3))
      -> (tensor([[6.], [6.]]), tensor([3., 3., 3.]))
    """
    a, b = a.clone().requires_grad_(), b.clone().requires_grad_()
    (weights * (a * b)).sum().backward()
    return a.grad, b.grad


def unbroadcast(grad: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """The gradient of an input of the given shape, from the gradient of its broadcast copy, by hand.

    An input x of `shape` broadcast to grad's shape (lined up from the right) was copied along the leading dims it
    lacks and along the dims where it has size 1. Every copy sends its gradient back to the one entry, so sum grad
    over the leading dims, then over the dims where shape has 1, keeping those (keepdim=True). No autograd.
    grad: a float tensor that does not require grad, of a shape that `shape` broadcasts to.
    shape: a tuple of ints (a torch.Size is one), possibly ().
    Returns: a tensor of the given shape, of grad's dtype (grad itself will do where shape is grad's shape).

    Example: unbroadcast(torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), (2, 1)) -> tensor([[ 6.], [15.]])
      unbroadcast(torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), (3,)) -> tensor([5., 7., 9.])
    """
    lead = grad.dim() - len(shape)
    summed = grad.sum(dim=tuple(range(lead))) if lead else grad
    ones = tuple(dim for dim, size in enumerate(shape) if size == 1 and summed.shape[dim] != 1)
    return summed.sum(dim=ones, keepdim=True) if ones else summed.clone()


def gather_grad(x: torch.Tensor, index: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """∂L/∂x for L = Σ weights ⊙ x.gather(1, index), by hand: the weights scattered back, repeats adding up.

    x.gather(1, index)[i, j] = x[i, index[i, j]]: row i picks entries of x's row i, maybe one entry twice. So
    ∂L/∂x[i, k] = Σ of weights[i, j] over the j with index[i, j] = k: zeros of x's shape, with each weight added
    at the place it was gathered from (scatter_add along dim 1). It does not depend on x's values. No autograd.
    x: a float tensor of shape (n, m); it does not require grad and stays unchanged.
    index: an int64 tensor of shape (n, k), entries in 0 … m − 1; k may differ from m, and entries may repeat.
    weights: a tensor of shape (n, k), of x's dtype.
    Returns: a tensor of x's shape and dtype.

    Example: gather_grad(torch.zeros(1, 3), torch.tensor([[2, 0, 2]]), torch.tensor([[1.0, 2.0, 3.0]]))
      -> tensor([[2., 0., 4.]])
    """
    return torch.zeros_like(x).scatter_add(1, index, weights)


def cumsum_grad(weights: torch.Tensor, dim: int) -> torch.Tensor:
    """∂L/∂x for L = Σ weights ⊙ torch.cumsum(x, dim), by hand: the weights summed from each place to the end.

    cumsum(x, dim)ⱼ = x₀ + … + xⱼ along dim, so xᵢ feeds every output j ≥ i, and ∂L/∂xᵢ = wᵢ + wᵢ₊₁ + … + the last
    w along dim: a cumulative sum taken from the end (flip, cumsum, flip back). It does not depend on x. No autograd.
    weights: a float tensor, 1-D or 2-D, of x's shape; it does not require grad.
    dim: the dim cumsum runs along; it may be negative.
    Returns: a tensor of weights' shape and dtype.

    Example: cumsum_grad(torch.tensor([1.0, 2.0, 3.0]), 0) -> tensor([6., 5., 3.])
    """
    return weights.flip(dim).cumsum(dim).flip(dim)


def matmul_grads(a: torch.Tensor, b: torch.Tensor, g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(∂L/∂A, ∂L/∂B) for L = Σ G ⊙ (A @ B), by hand: G·Bᵀ and Aᵀ·G, the latter summed over a batch of A.

    (A·B)ᵢₖ = Σⱼ Aᵢⱼ Bⱼₖ, so ∂L/∂Aᵢⱼ = Σₖ Gᵢₖ Bⱼₖ = (G·Bᵀ)ᵢⱼ and ∂L/∂Bⱼₖ = Σᵢ Aᵢⱼ Gᵢₖ = (Aᵀ·G)ⱼₖ. For a batch of A,
    A @ B multiplies every matrix of the batch by the one B, broadcast: ∂L/∂A is G·Bᵀ matrix by matrix, and ∂L/∂B
    the sum of Aᵀ·G over the batch. Transpose the last two dims (.mT). No autograd.
    a: A, a float tensor of shape (n, m), or (s, n, m) for a batch of s; it does not require grad.
    b: B, a tensor of shape (m, p), of a's dtype.
    g: G, the upstream gradient, of A @ B's shape, (n, p) or (s, n, p), of a's dtype.
    Returns: a tuple of two tensors, of A's shape and of B's shape, of a's dtype.

    Example: matmul_grads(torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, 3.0]]),
      torch.ones(1, 3)) -> (tensor([[3., 4.]]), tensor([[1., 1., 1.], [2., 2., 2.]]))
    """
    grad_a = g @ b.mT
    grad_b = a.mT @ g
    if grad_b.dim() > 2:
        grad_b = grad_b.sum(dim=0)
    return grad_a, grad_b
