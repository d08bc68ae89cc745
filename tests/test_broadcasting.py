"""Module 13, broadcasting: gradients of broadcast, gathered, cumulated and multiplied tensors, each checked against
a backward() through the forward operation, on non-square shapes where a transpose or a wrong dim shows in the shape
or the values; wrong shapes named by the mistake that makes them, and the near misses."""

import pytest
import torch

from tests.kata.checks import (
    NearMiss,
    beside_backward,
    expect_inputs_untouched,
    expect_like,
    expect_made_by_autograd,
    expect_no_autograd,
    fail,
    random_tensor,
    rejects,
)

F64 = torch.float64


def shape_of(value):
    if isinstance(value, torch.Tensor):
        return list(value.shape)
    if isinstance(value, (tuple, list)):
        return [shape_of(item) for item in value]
    return None


def expect_grads(solution, args, expected, *, autograd, likely=None, shapes=None):
    """expect_call, with wrong shapes named: shapes = {cause: the shape (or list of shapes) that mistake gives}."""
    got = solution(*args)
    got_shape, expected_shape = shape_of(got), shape_of(expected)
    if got_shape != expected_shape:
        for why, wrong in (shapes or {}).items():
            if got_shape == shape_of_listed(wrong) != expected_shape:
                fail(f"{solution.call}: expected shape {expected_shape}, got {got_shape}: {why}")
    expect_like(got, expected, solution.call, likely=likely)
    expect_inputs_untouched(solution)
    if autograd:
        expect_made_by_autograd(solution, got, expected)
    else:
        expect_no_autograd(solution)
    return got


def shape_of_listed(wrong):
    """A shape as a test lists it: a tuple of ints, or a tuple of such tuples for a tuple result."""
    if isinstance(wrong, torch.Size) or all(isinstance(size, int) for size in wrong):
        return list(wrong)
    return [list(item) for item in wrong]


def backward_of(forward, *inputs):
    """The gradients of forward(*inputs) (a scalar) with respect to each input, by one backward(): the check."""
    leaves = [t.clone().requires_grad_() for t in inputs]
    forward(*leaves).backward()
    return tuple(leaf.grad for leaf in leaves)


def broadcast_shape(*shapes) -> tuple[int, ...]:
    # Not torch.broadcast_shapes: on torch >= 2.10 its first call imports torch._dynamo and sympy, over a second.
    return tuple((torch.empty(shapes[0]) * torch.empty(shapes[1])).shape)


# ---------------------------------------------------------------- broadcast_grads
PRODUCT_SHAPES = [  # a, b: copied along different dims each time; no shape is square
    ((3, 1), (4,)),
    ((2, 1, 4), (3, 1)),
    ((5,), (2, 5)),
    ((2, 3), (2, 3)),
]


def product_cases():
    cases = [(torch.tensor([[1.0], [2.0]]), torch.tensor([1.0, 2.0, 3.0]), torch.ones(2, 3))]
    for index, (sa, sb) in enumerate(PRODUCT_SHAPES):
        dtype = F64 if index % 2 else torch.float32
        seed = 170 + 3 * index
        a, b = random_tensor(*sa, seed=seed, dtype=dtype), random_tensor(*sb, seed=seed + 1, dtype=dtype)
        cases.append((a, b, random_tensor(*broadcast_shape(sa, sb), seed=seed + 2, dtype=dtype)))
    return cases


@pytest.mark.exercise("broadcasting.broadcast_grads")
@pytest.mark.timeout(60)  # a solution's first torch.func call imports torch._dynamo: seconds, once
def test_broadcast_grads(solution):
    for a, b, weights in product_cases():
        expected = backward_of(lambda a, b, w=weights: (w * (a * b)).sum(), a, b)
        full = list(weights.shape)
        ignored = backward_of(lambda a, b: (a * b).sum(), a, b)
        mean = backward_of(lambda a, b, w=weights: (w * (a * b)).mean(), a, b)
        expect_grads(
            solution,
            (a, b, weights),
            expected,
            autograd=True,
            likely={
                "weights ignored: L weighs each product by weights, not by 1 (the sum trick)": ignored,
                "a mean: L is a sum, so no division by the number of products": mean,
            },
            shapes={
                "gradients of the broadcast shape: a leaf made from an expanded copy gets its gradient; make the "
                "leaves from a and b themselves, and autograd sums back to their shapes": (full, full),
                "a's gradient has the broadcast shape: make its leaf from a itself, not from an expanded copy": (
                    full,
                    b.shape,
                ),
                "b's gradient has the broadcast shape: make its leaf from b itself, not from an expanded copy": (
                    a.shape,
                    full,
                ),
                "(∂L/∂b, ∂L/∂a): the tuple is (∂L/∂a, ∂L/∂b)": (b.shape, a.shape),
            },
        )


# ---------------------------------------------------------------- unbroadcast
UNBROADCAST_SHAPES = [  # (grad's shape, the input's shape)
    ((2, 3), (2, 1)),
    ((2, 3, 4), (3, 1)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (1, 3, 1)),
    ((5, 1, 4), (1, 4)),
    ((5,), ()),
    ((3,), (1,)),
    ((2, 3), (2, 3)),
]


def summed_leading(grad, shape):
    lead = grad.dim() - len(shape)
    return grad.sum(dim=tuple(range(lead))) if lead else grad


def unbroadcast_cases():
    cases = [(torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), (2, 1)), (torch.tensor([[1.0, 2.0, 3.0]] * 2), (3,))]
    for index, (full, shape) in enumerate(UNBROADCAST_SHAPES):
        dtype = F64 if index % 2 else torch.float32
        given = torch.Size(shape) if index % 3 == 0 else shape
        cases.append((random_tensor(*full, seed=180 + index, dtype=dtype), given))
    return cases


@pytest.mark.exercise("broadcasting.unbroadcast")
def test_unbroadcast(solution):
    for grad, shape in unbroadcast_cases():
        (expected,) = backward_of(lambda x, g=grad: (g * x.expand(g.shape)).sum(), torch.zeros(shape, dtype=grad.dtype))
        leading = summed_leading(grad, shape)
        dropped = [size for size in shape if size != 1] if len(shape) and 1 in shape else None
        shapes = {
            "only the leading dims summed: sum (keepdim=True) over the dims where shape has 1 too": leading.shape,
            "the leading dims not summed: sum them away first, since broadcasting adds them on the left": (
                grad.shape[: grad.dim() - len(shape)] + expected.shape
            ),
            "trailing dims summed: broadcasting lines shapes up from the right, so the extra dims are the leading "
            "ones": grad.shape[: len(shape)],
        }
        if dropped is not None:
            shapes["the dims of size 1 summed away: keep them, sum(..., keepdim=True)"] = tuple(dropped)
        expect_grads(
            solution,
            (grad, shape),
            expected,
            autograd=False,
            likely={"a mean: every copy's gradient adds up, so sum": expected * expected.numel() / grad.numel()},
            shapes=shapes,
        )


# ---------------------------------------------------------------- gather_grad
def gather_cases():
    """(x, index, weights): repeats in the rows; k < m, k > m, and one row of length 1, so no shape is square."""
    cases = [(torch.zeros(1, 3), torch.tensor([[2, 0, 2]]), torch.tensor([[1.0, 2.0, 3.0]]))]
    for seed, (n, m, k), dtype in [
        (190, (3, 5, 4), torch.float32),
        (191, (2, 3, 6), F64),
        (192, (4, 2, 3), torch.float32),
    ]:
        generator = torch.Generator().manual_seed(seed)
        index = torch.randint(0, m, (n, k), generator=generator)
        index[:, 1] = index[:, 0]  # a repeat in every row
        cases.append(
            (random_tensor(n, m, seed=seed, dtype=dtype), index, random_tensor(n, k, seed=seed + 1, dtype=dtype))
        )
    return cases


@pytest.mark.exercise("broadcasting.gather_grad")
def test_gather_grad(solution):
    for x, index, weights in gather_cases():
        (expected,) = backward_of(lambda x, w=weights, i=index: (w * x.gather(1, i)).sum(), x)
        zeros = torch.zeros_like(x)
        rows = torch.arange(len(index)).unsqueeze(1).expand_as(index)
        likely = {
            "scatter keeps one weight where an entry was gathered twice; its gradient adds both: scatter_add": (
                zeros.scatter(1, index, weights)
            ),
            "index assignment keeps one weight where an entry was gathered twice; its gradient adds both: "
            "scatter_add (or index_put with accumulate=True)": zeros.index_put((rows, index), weights),
            "the weights ignored: each gathered entry carries its weight, not 1": zeros.scatter_add(
                1, index, torch.ones_like(weights)
            ),
        }
        if index.max() < x.shape[0] and index.shape[1] <= x.shape[1]:
            likely["scattered along dim 0: gather picked along dim 1, within each row"] = zeros.scatter_add(
                0, index, weights
            )
        expect_grads(
            solution,
            (x, index, weights),
            expected,
            autograd=False,
            likely=likely,
            shapes={"weights' shape: scatter them back into zeros of x's shape": weights.shape},
        )


# ---------------------------------------------------------------- cumsum_grad
def cumsum_cases():
    return [
        (torch.tensor([1.0, 2.0, 3.0]), 0),
        (torch.tensor([0.5, -1.0, 0.0, 2.0]), -1),
        (random_tensor(3, 5, seed=200), 1),
        (random_tensor(3, 5, seed=201, dtype=F64), 0),
        (random_tensor(4, 2, seed=202), -1),
        (random_tensor(2, 4, seed=203, dtype=F64), -2),
    ]


def other_dim(weights, dim):
    return None if weights.dim() < 2 else 1 - (dim % 2)


@pytest.mark.exercise("broadcasting.cumsum_grad")
def test_cumsum_grad(solution):
    for weights, dim in cumsum_cases():
        (expected,) = backward_of(lambda x, w=weights, d=dim: (w * torch.cumsum(x, d)).sum(), torch.zeros_like(weights))
        likely = {
            "the forward cumsum of the weights: xᵢ feeds the outputs from i to the end, so sum the weights from i "
            "to the end": weights.cumsum(dim),
            "wᵢ itself left out: output i sums inputs 0 … i, so xᵢ feeds output i too": expected - weights,
            "not flipped back: flip, cumsum, then flip again to put each sum at its place": weights.flip(dim).cumsum(
                dim
            ),
        }
        likely["the total along dim for every place: xᵢ feeds only the outputs from i to the end"] = weights.sum(
            dim, keepdim=True
        ).expand_as(weights)
        other = other_dim(weights, dim)
        if other is not None:
            likely["along the other dim: cumsum ran along dim, so sum along dim"] = (
                weights.flip(other).cumsum(other).flip(other)
            )
        expect_grads(solution, (weights, dim), expected, autograd=False, likely=likely)


# ---------------------------------------------------------------- matmul_grads
def matmul_cases():
    example = (torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, 3.0]]), torch.ones(1, 3))
    cases = [example]
    for seed, batch, (n, m, p), dtype in [
        (210, (), (2, 3, 4), torch.float32),
        (211, (), (4, 2, 3), F64),
        (212, (5,), (2, 3, 4), torch.float32),
        (213, (3,), (4, 3, 2), F64),
    ]:
        a = random_tensor(*batch, n, m, seed=seed, dtype=dtype)
        b = random_tensor(m, p, seed=seed + 1, dtype=dtype)
        cases.append((a, b, random_tensor(*batch, n, p, seed=seed + 2, dtype=dtype)))
    return cases


@pytest.mark.exercise("broadcasting.matmul_grads")
def test_matmul_grads(solution):
    for a, b, g in matmul_cases():
        expected = backward_of(lambda a, b, g=g: (g * (a @ b)).sum(), a, b)
        ones = torch.ones_like(g)
        likely = {
            "G ignored: L weighs every entry of A @ B by G, not by 1": (
                ones @ b.mT,
                (a.mT @ ones).sum_to_size(b.shape),
            )
        }
        if a.dim() == 3:
            likely["∂L/∂B averaged over the batch: every matrix of the batch adds its Aᵀ·G"] = (
                expected[0],
                expected[1] / a.shape[0],
            )
        expect_grads(
            solution,
            (a, b, g),
            expected,
            autograd=False,
            likely=likely,
            shapes={
                "∂L/∂A transposed (B·Gᵀ): ∂L/∂A = G·Bᵀ has A's shape": (
                    a.shape[:-2] + (a.shape[-1], a.shape[-2]),
                    b.shape,
                ),
                "∂L/∂B transposed (Gᵀ·A): ∂L/∂B = Aᵀ·G has B's shape": (a.shape, (b.shape[1], b.shape[0])),
                "∂L/∂B not summed over the batch: A @ B uses the one B for every matrix, so add up their Aᵀ·G": (
                    a.shape,
                    (a.mT @ g).shape,
                ),
                "(∂L/∂B, ∂L/∂A): the tuple is (∂L/∂A, ∂L/∂B)": (b.shape, a.shape),
            },
        )


# ---------------------------------------------------------------- near misses
def grads_of(loss, expand=(False, False)):
    """A learner-style broadcast_grads: leaves from a and b (or from expanded copies), backward() of loss."""

    def solve(a, b, weights):
        shape = weights.shape
        a = (a.expand(shape) if expand[0] else a).clone().requires_grad_()
        b = (b.expand(shape) if expand[1] else b).clone().requires_grad_()
        loss(weights, a, b).backward()
        return a.grad, b.grad

    return solve


def broadcast_by_hand(a, b, weights):
    return (weights * b).sum_to_size(a.shape), (weights * a).sum_to_size(b.shape)


def leading_only(grad, shape):
    return summed_leading(grad, shape).clone()


def keepdim_dropped(grad, shape):
    summed = summed_leading(grad, shape)
    ones = tuple(dim for dim, size in enumerate(shape) if size == 1)
    return summed.sum(dim=ones) if ones else summed.clone()


def by_mean(grad, shape):
    lead = grad.dim() - len(shape)
    dims = tuple(range(lead)) + tuple(lead + dim for dim, size in enumerate(shape) if size == 1)
    return grad.mean(dim=dims).reshape(shape) if dims else grad.clone()


def unbroadcast_by_autograd(grad, shape):
    x = torch.zeros(shape, dtype=grad.dtype, requires_grad=True)
    (grad * x.expand(grad.shape)).sum().backward()
    return x.grad


def from_the_left(grad, shape):
    """Lines shapes up from the left: sums the trailing extra dims, and the dims of size 1 as the left sees them."""
    extra = tuple(range(len(shape), grad.dim()))
    summed = grad.sum(dim=extra) if extra else grad
    ones = tuple(dim for dim, size in enumerate(shape) if size == 1 and summed.shape[dim] != 1)
    return summed.sum(dim=ones, keepdim=True) if ones else summed.clone()


def ones_only(grad, shape):
    """Sums the dims of size 1 (lined up from the right) and keeps the leading dims."""
    lead = grad.dim() - len(shape)
    ones = tuple(lead + dim for dim, size in enumerate(shape) if size == 1 and grad.shape[lead + dim] != 1)
    return grad.sum(dim=ones, keepdim=True) if ones else grad.clone()


def gather_by(fill):
    return lambda x, index, weights: fill(torch.zeros_like(x), index, weights)


def assign_at(zeros, index, weights):
    rows = torch.arange(len(index)).unsqueeze(1).expand_as(index)
    zeros[rows, index] = weights
    return zeros


def gather_by_autograd(x, index, weights):
    x = x.clone().requires_grad_()
    (weights * x.gather(1, index)).sum().backward()
    return x.grad


def gather_in_place(x, index, weights):
    return x.zero_().scatter_add_(1, index, weights)


def cumsum_by_autograd(weights, dim):
    x = torch.zeros_like(weights, requires_grad=True)
    (weights * torch.cumsum(x, dim)).sum().backward()
    return x.grad


def matmul_by(grad_a, grad_b):
    return lambda a, b, g: (grad_a(a, b, g), grad_b(a, b, g))


def batch_summed(a, b, g):
    grad_b = a.mT @ g
    return grad_b.sum(dim=0) if grad_b.dim() > 2 else grad_b


def matmul_by_autograd(a, b, g):
    a, b = a.clone().requires_grad_(), b.clone().requires_grad_()
    (g * (a @ b)).sum().backward()
    return a.grad, b.grad


broadcast_grads_near_misses = rejects(
    test_broadcast_grads,
    NearMiss("by-hand", broadcast_by_hand, "autograd never ran"),
    NearMiss("beside-a-dummy-backward", beside_backward(broadcast_by_hand), "autograd did not make it"),
    NearMiss("expanded-leaves", grads_of(lambda w, a, b: (w * (a * b)).sum(), (True, True)), "broadcast shape"),
    NearMiss("expanded-a", grads_of(lambda w, a, b: (w * (a * b)).sum(), (True, False)), "a's gradient has"),
    NearMiss("sum-trick", grads_of(lambda w, a, b: (a * b).sum()), "weights ignored"),
    NearMiss("mean", grads_of(lambda w, a, b: (w * (a * b)).mean()), "a mean"),
    NearMiss("swapped", lambda a, b, w: grads_of(lambda w, a, b: (w * a * b).sum())(a, b, w)[::-1], "the tuple is"),
    NearMiss(
        "float32-leaves",
        lambda a, b, w: grads_of(lambda w, a, b: (w.float() * a * b).sum())(a.float(), b.float(), w),
        "dtype",
    ),
)
unbroadcast_near_misses = rejects(
    test_unbroadcast,
    NearMiss("by-autograd", unbroadcast_by_autograd, "autograd ran"),
    NearMiss("leading-only", leading_only, "only the leading dims"),
    NearMiss("keepdim-dropped", keepdim_dropped, "keepdim=True"),
    NearMiss("mean", by_mean, "a mean"),
    NearMiss("from-the-left", from_the_left, "from the right"),
    NearMiss("leading-not-summed", ones_only, "leading dims not summed"),
)
gather_grad_near_misses = rejects(
    test_gather_grad,
    NearMiss("by-autograd", gather_by_autograd, "autograd ran"),
    NearMiss("scatter", gather_by(lambda z, i, w: z.scatter(1, i, w)), "scatter_add"),
    NearMiss("index-assignment", gather_by(assign_at), "keeps one weight"),
    NearMiss("weights-ignored", gather_by(lambda z, i, w: z.scatter_add(1, i, torch.ones_like(w))), "ignored"),
    NearMiss("in-place-on-x", gather_in_place, "changed the caller's x"),
    NearMiss("float32", gather_by(lambda z, i, w: torch.zeros(z.shape).scatter_add(1, i, w.float())), "dtype"),
)
cumsum_grad_near_misses = rejects(
    test_cumsum_grad,
    NearMiss("by-autograd", cumsum_by_autograd, "autograd ran"),
    NearMiss("forward-cumsum", lambda w, d: w.cumsum(d), "forward cumsum"),
    NearMiss("exclusive", lambda w, d: w.flip(d).cumsum(d).flip(d) - w, "left out"),
    NearMiss("not-flipped-back", lambda w, d: w.flip(d).cumsum(d), "not flipped back"),
    NearMiss("other-dim", lambda w, d: w.flip(0).cumsum(0).flip(0), "other dim"),
    NearMiss("total", lambda w, d: w.sum(d, keepdim=True).expand_as(w).clone(), "the total"),
)
matmul_grads_near_misses = rejects(
    test_matmul_grads,
    NearMiss("by-autograd", matmul_by_autograd, "autograd ran"),
    NearMiss("grad-a-transposed", matmul_by(lambda a, b, g: b @ g.mT, batch_summed), "∂L/∂A transposed"),
    NearMiss(
        "grad-b-transposed",
        matmul_by(lambda a, b, g: g @ b.mT, lambda a, b, g: batch_summed(a, b, g).mT),
        "∂L/∂B transposed",
    ),
    NearMiss(
        "no-batch-sum", matmul_by(lambda a, b, g: g @ b.mT, lambda a, b, g: a.mT @ g), "not summed over the batch"
    ),
    NearMiss(
        "batch-mean",
        matmul_by(lambda a, b, g: g @ b.mT, lambda a, b, g: (a.mT @ g).reshape(-1, *b.shape).mean(0)),
        "averaged",
    ),
    NearMiss(
        "g-ignored",
        matmul_by(lambda a, b, g: torch.ones_like(g) @ b.mT, lambda a, b, g: batch_summed(a, b, torch.ones_like(g))),
        "G ignored",
    ),
    NearMiss("swapped", lambda a, b, g: (batch_summed(a, b, g), g @ b.mT), "the tuple is"),
)
