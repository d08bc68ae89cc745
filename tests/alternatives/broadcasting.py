"""Alternative solutions for exercises/broadcasting.py, written from the docstrings alone."""

import torch
import torch.nn.functional as F

# --------------------------------------------------------------------------------------------------------------------
# broadcast_grads: (dL/da, dL/db) for L = sum(weights * (a * b)), by autograd.
# --------------------------------------------------------------------------------------------------------------------


def broadcast_grads__autograd_grad(a, b, weights):
    """torch.autograd.grad on detached leaves: nothing lands in any .grad, the caller's tensors stay as they are."""
    a_leaf = a.detach().requires_grad_(True)
    b_leaf = b.detach().requires_grad_(True)
    loss = (weights * (a_leaf * b_leaf)).sum()
    grad_a, grad_b = torch.autograd.grad(loss, (a_leaf, b_leaf))
    return grad_a, grad_b


def broadcast_grads__func_grad(a, b, weights):
    """torch.func.grad of the loss as a function of (a, b); detached inputs, so nothing outside is tracked."""
    w = weights.detach()

    def loss(a_, b_):
        return torch.sum(w * a_ * b_)

    grad_a, grad_b = torch.func.grad(loss, argnums=(0, 1))(a.detach(), b.detach())
    return grad_a, grad_b


def broadcast_grads__forward_mode_jacobian(a, b, weights):
    """Forward-mode autograd: the Jacobian of a scalar loss (torch.func.jacfwd) has each input's shape."""
    w = weights.detach()

    def loss(a_, b_):
        return (w * torch.mul(a_, b_)).sum()

    grad_a, grad_b = torch.func.jacfwd(loss, argnums=(0, 1))(a.detach(), b.detach())
    return grad_a, grad_b


# --------------------------------------------------------------------------------------------------------------------
# unbroadcast: sum grad back to `shape`: leading dims, then size-1 dims with keepdim. No autograd.
# --------------------------------------------------------------------------------------------------------------------


def unbroadcast__loop_dims(grad, shape):
    """Sum dim 0 away while there are too many dims, then each size-1 dim of shape with keepdim=True."""
    shape = tuple(shape)
    out = grad
    while out.dim() > len(shape):
        out = out.sum(dim=0)
    for dim, size in enumerate(shape):
        if size == 1 and out.shape[dim] != 1:
            out = out.sum(dim=dim, keepdim=True)
    return out


def unbroadcast__one_sum_reshape(grad, shape):
    """One sum over every dim to reduce (no keepdim), then reshape to shape. An empty dim list would sum all: guard."""
    shape = tuple(shape)
    lead = grad.dim() - len(shape)
    dims = list(range(lead)) + [lead + i for i, size in enumerate(shape) if size == 1]
    out = grad.sum(dim=dims) if dims else grad.clone()
    return out.reshape(shape)


def unbroadcast__sum_to_size(grad, shape):
    """Tensor.sum_to_size: sums exactly the broadcast dims (leading ones and size-1 ones) back to the given size."""
    return grad.sum_to_size(torch.Size(tuple(shape)))


# --------------------------------------------------------------------------------------------------------------------
# gather_grad: dL/dx for L = sum(weights * x.gather(1, index)): weights added where they were gathered from.
# --------------------------------------------------------------------------------------------------------------------


def gather_grad__index_put_accumulate(x, index, weights):
    """index_put_ with accumulate=True on (row, column) index pairs: repeats add up."""
    out = torch.zeros_like(x)
    rows = torch.arange(x.shape[0], device=x.device).unsqueeze(1).expand_as(index)
    out.index_put_((rows, index), weights.to(x.dtype), accumulate=True)
    return out


def gather_grad__one_hot_sum(x, index, weights):
    """one_hot(index, m) of shape (n, k, m): weight each one-hot row and sum over k."""
    m = x.shape[1]
    hot = F.one_hot(index, num_classes=m).to(x.dtype)
    return (weights.to(x.dtype).unsqueeze(-1) * hot).sum(dim=1)


def gather_grad__flat_index_add(x, index, weights):
    """Flatten to 1-D: entry (i, index[i, j]) is i * m + index[i, j]; index_add_ adds repeats; reshape back."""
    n, m = x.shape
    flat = (torch.arange(n, device=x.device).unsqueeze(1) * m + index).reshape(-1)
    out = torch.zeros(n * m, dtype=x.dtype, device=x.device)
    out.index_add_(0, flat, weights.to(x.dtype).reshape(-1))
    return out.reshape(n, m)


# --------------------------------------------------------------------------------------------------------------------
# cumsum_grad: dL/dx for L = sum(weights * cumsum(x, dim)): the suffix sums of weights along dim.
# --------------------------------------------------------------------------------------------------------------------


def cumsum_grad__running_sum_loop(weights, dim):
    """A running sum from the last slice to the first, the slices stacked back in order."""
    size = weights.shape[dim]
    if size == 0:
        return weights.clone()
    slices = [None] * size
    running = torch.zeros_like(weights.select(dim, 0))
    for i in range(size - 1, -1, -1):
        running = running + weights.select(dim, i)
        slices[i] = running
    return torch.stack(slices, dim=dim)


def cumsum_grad__triangular_matmul(weights, dim):
    """out_i = sum_j w_j [j >= i]: multiply by a lower-triangular matrix of ones along dim."""
    moved = weights.movedim(dim, -1)
    size = moved.shape[-1]
    lower = torch.ones(size, size, dtype=weights.dtype, device=weights.device).tril()
    return (moved @ lower).movedim(-1, dim)


def cumsum_grad__total_minus_prefix(weights, dim):
    """Suffix sum = total - prefix sum + the entry itself."""
    total = weights.sum(dim=dim, keepdim=True)
    return total - weights.cumsum(dim=dim) + weights


# --------------------------------------------------------------------------------------------------------------------
# matmul_grads: (G B^T, A^T G summed over a batch of A). No autograd.
# --------------------------------------------------------------------------------------------------------------------


def matmul_grads__einsum(a, b, g):
    """Index notation: dA[..., i, j] = sum_k G[..., i, k] B[j, k]; dB[j, k] = sum over batch and i of A G."""
    grad_a = torch.einsum("...ik,jk->...ij", g, b)
    grad_b = torch.einsum("...ij,...ik->jk", a, g)
    return grad_a, grad_b


def matmul_grads__flatten_batch(a, b, g):
    """A batch of A is one tall matrix of shape (s * n, m): dB = A_flat^T G_flat sums over the batch by itself."""
    m, p = b.shape
    grad_a = torch.matmul(g, b.t())
    grad_b = a.reshape(-1, m).t() @ g.reshape(-1, p)
    return grad_a, grad_b


def matmul_grads__broadcast_products(a, b, g):
    """Elementwise products broadcast over the summed index, then sum: no matrix product at all."""
    # dA[..., i, j] = sum_k G[..., i, k] * B[j, k]: G as (..., n, 1, p) times B as (1, m, p)
    grad_a = (g.unsqueeze(-2) * b.unsqueeze(-3)).sum(dim=-1)
    # dB[j, k] = sum over the batch and i of A[..., i, j] * G[..., i, k]: (..., n, m, 1) times (..., n, 1, p)
    products = a.unsqueeze(-1) * g.unsqueeze(-2)
    grad_b = products.reshape(-1, b.shape[0], b.shape[1]).sum(dim=0)
    return grad_a, grad_b


ALTERNATIVES = {
    "broadcast_grads": [
        ("autograd-grad", broadcast_grads__autograd_grad),
        ("func-grad", broadcast_grads__func_grad),
        ("forward-mode-jacobian", broadcast_grads__forward_mode_jacobian),
    ],
    "unbroadcast": [
        ("loop-dims", unbroadcast__loop_dims),
        ("one-sum-reshape", unbroadcast__one_sum_reshape),
        ("sum-to-size", unbroadcast__sum_to_size),
    ],
    "gather_grad": [
        ("index-put-accumulate", gather_grad__index_put_accumulate),
        ("one-hot-sum", gather_grad__one_hot_sum),
        ("flat-index-add", gather_grad__flat_index_add),
    ],
    "cumsum_grad": [
        ("running-sum-loop", cumsum_grad__running_sum_loop),
        ("triangular-matmul", cumsum_grad__triangular_matmul),
        ("total-minus-prefix", cumsum_grad__total_minus_prefix),
    ],
    "matmul_grads": [
        ("einsum", matmul_grads__einsum),
        ("flatten-batch", matmul_grads__flatten_batch),
        ("broadcast-products", matmul_grads__broadcast_products),
    ],
}
