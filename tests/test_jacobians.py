"""Module 8, Jacobians: closed forms at fixed, random and float64 points, one-pass checks, and near misses."""

import pytest
import torch

from tests.kata.checks import (
    NearMiss,
    coupled,
    coupled_jacobian,
    expect_call,
    fail,
    log_sum_exp,
    passes,
    random_tensor,
    rejects,
    reverse_mode,
    running_sum,
    square,
    step,
)


def expect_no_loop(solution, args_of_size, items: str, why: str) -> None:
    """Fail if the solution makes more torch calls for 6 items than for 2: its work grows with their number."""
    counts = {}
    for size in (2, 6):
        solution(*args_of_size(size))
        counts[size] = solution.torch_calls
    if counts[6] > counts[2]:
        fail(
            f"{solution.call}: the values are right, but the work grows with the number of {items} "
            f"({counts[2]} torch calls for 2, {counts[6]} for 6): {why}"
        )


def grids() -> list[torch.Tensor]:
    """A fixed float32 vector and a seeded-random float64 one (the dtype must carry through)."""
    return [torch.tensor([1.0, -2.0, 3.0]), random_tensor(5, seed=82, dtype=torch.float64)]


def squared_norm(t):
    return (t**2).sum()


GRADIENTS = [
    (squared_norm, lambda x: 2 * x),
    (torch.linalg.vector_norm, lambda x: x / torch.linalg.vector_norm(x)),
    (log_sum_exp, lambda x: torch.softmax(x, 0)),
]


GRADIENT_SHAPES = {(): "one number, f(x) itself? ∇f(x) has one partial per entry of x"}


@pytest.mark.exercise("jacobians.gradient")
def test_gradient(solution):
    for f, gradient in GRADIENTS:
        for x in grids():
            expect_call(solution, (f, x), gradient(x), shapes=GRADIENT_SHAPES)


MATRIX = torch.tensor([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])


def linear(t):
    return MATRIX.to(t.dtype) @ t


JACOBIANS = [  # f from 3 values to m, and its (m, 3) Jacobian at x; a square, non-symmetric one first
    (running_sum, lambda x: torch.tensor([[1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=x.dtype)),
    (linear, lambda x: MATRIX.to(x.dtype)),
    (coupled, coupled_jacobian),
    (square, lambda x: torch.diag(2 * x)),
]


def triples() -> list[torch.Tensor]:
    return [torch.tensor([0.5, -1.0, 2.0]), random_tensor(3, seed=84, dtype=torch.float64)]


def is_square(matrix: torch.Tensor) -> bool:
    return matrix.shape[0] == matrix.shape[1]


VJP = "this exercise is about one backward pass, y.backward(gradient=v), which gives vᵀJ without building J"


@pytest.mark.exercise("jacobians.vector_jacobian_product")
def test_vector_jacobian_product(solution):
    for f, jacobian in JACOBIANS:
        for x in triples():
            jac = jacobian(x)
            v = random_tensor(jac.shape[0], seed=85, dtype=x.dtype)
            likely = {"v ignored: y.sum().backward() is the product with v = (1, …, 1)": jac.sum(0)}
            if is_square(jac):
                likely["J v, not vᵀJ: v weighs the outputs, the rows of J"] = jac @ v
            expect_call(
                solution,
                (f, x, v),
                v @ jac,
                likely=likely,
                mechanics=(reverse_mode("backward(gradient=v); jvp is forward mode"), passes(1, VJP)),
            )


ELEMENTWISE = [
    (torch.sin, torch.cos),
    (square, lambda t: 2 * t),
    (torch.tanh, lambda t: 1 - torch.tanh(t) ** 2),
    (torch.relu, step),
]


ONE_PASS_DIAGONAL = "one backward pass (the sum trick) finding the whole diagonal of J at once"
DIAGONAL = f"this exercise is about {ONE_PASS_DIAGONAL}"


@pytest.mark.exercise("jacobians.elementwise_jacobian")
def test_elementwise_jacobian(solution):
    for f, derivative in ELEMENTWISE:
        for x in grids():
            expect_call(
                solution,
                (f, x),
                torch.diag(derivative(x)),
                shapes={tuple(x.shape): "the diagonal's vector, not the (n, n) matrix: torch.diag turns it into J"},
                mechanics=(
                    reverse_mode(f"{ONE_PASS_DIAGONAL}; jvp is forward mode"),
                    passes(1, DIAGONAL, vmapped_ok=True),
                ),
            )


@pytest.mark.exercise("jacobians.jacobian_matrix")
def test_jacobian_matrix(solution):
    for f, jacobian in JACOBIANS:
        for x in triples():
            jac = jacobian(x)
            likely = {"transposed: row i of J is the gradient of output i": jac.T} if is_square(jac) else {}
            shapes = {
                tuple(x.shape): "one vector, the sum trick's vᵀJ with v = (1, …, 1): J has a row per output",
                tuple(jac.T.shape): "transposed: J has a row per output (m) and a column per input (n)",
            }
            expect_call(solution, (f, x), jac, likely=likely, shapes=shapes)


def linear_model_data(n: int, d: int, seed: int, dtype: torch.dtype = torch.float32):
    """Weights w, n samples as rows and n targets, seeded."""
    return (
        random_tensor(d, seed=seed, dtype=dtype),
        random_tensor(n, d, seed=seed + 1, dtype=dtype),
        random_tensor(n, seed=seed + 2, dtype=dtype),
    )


@pytest.mark.exercise("jacobians.per_sample_gradients")
@pytest.mark.timeout(60)  # a solution's first torch.func call imports torch._dynamo: seconds, once
def test_per_sample_gradients(solution):
    example = (torch.tensor([1.0, -1.0]), torch.tensor([[1.0, 2.0], [3.0, 0.0]]), torch.tensor([0.0, 1.0]))
    datasets = [
        example,
        linear_model_data(5, 3, seed=91),
        linear_model_data(4, 2, 94, torch.float64),
        linear_model_data(1, 3, seed=97),
    ]
    for w, inputs, targets in datasets:
        residuals = (inputs @ w - targets).unsqueeze(1)
        expect_call(
            solution,
            (w, inputs, targets),
            2 * residuals * inputs,
            likely={"gradients with respect to the samples xᵢ, not w": 2 * residuals * w},
            shapes={tuple(w.shape): "one gradient for the whole batch: a row per sample, ∇ℓᵢ(w) for each i"},
        )
    expect_no_loop(
        solution,
        lambda n: linear_model_data(n, 3, seed=100),
        "samples",
        "a Python loop over them? torch.func.vmap runs torch.func.grad on all of them in one pass",
    )


def backward_grad(f, x):
    """A learner-style gradient: backward() from the scalar f(x) on a copy of x."""
    x = x.clone().requires_grad_()
    f(x).backward()
    return x.grad


def summed(f):
    return lambda t: f(t).sum()


def grad_without_requires_grad(f, x):
    x = x.clone()
    f(x).backward()
    return x.grad


def jacobian_rows_without_retain_graph(f, x):
    x = x.clone().requires_grad_()
    y = f(x)
    return torch.stack([torch.autograd.grad(output, x)[0] for output in y])


def per_sample_loop(w, inputs, targets):
    w = w.clone().requires_grad_()
    return torch.stack([torch.autograd.grad((torch.dot(w, x) - y) ** 2, w)[0] for x, y in zip(inputs, targets)])


def batch_gradient(w, inputs, targets):
    w = w.clone().requires_grad_()
    ((inputs @ w - targets) ** 2).mean().backward()
    return w.grad


def gradients_of_samples(w, inputs, targets):
    inputs = inputs.clone().requires_grad_()
    ((inputs @ w - targets) ** 2).sum().backward()
    return inputs.grad


def grad_on_the_callers_x(f, x):
    x.requires_grad_()
    f(x).backward()
    return x.grad.clone()


def vjp_by_jvp_columns(f, x, v):
    """vᵀJ from J's columns, one forward-mode jvp per input: right, but forward mode, n passes."""
    columns = [torch.func.jvp(f, (x,), (e,))[1] for e in torch.eye(x.shape[0], dtype=x.dtype)]
    return v @ torch.stack(columns, dim=1)


def diagonal_by_jvp(f, x):
    """One forward pass with a tangent of ones: J·1 is the diagonal too, but not the backward pass asked for."""
    return torch.diag(torch.func.jvp(f, (x,), (torch.ones_like(x),))[1])


jacobian = torch.autograd.functional.jacobian

gradient_near_misses = rejects(
    test_gradient,
    NearMiss("by-hand-2x", lambda f, x: 2 * x, "autograd never ran"),
    NearMiss("returns-f", lambda f, x: f(x).detach(), "one number, f\\(x\\) itself"),
    NearMiss("no-requires-grad", grad_without_requires_grad, "does not require grad"),
    NearMiss("float32-always", lambda f, x: backward_grad(f, x.float()), "the float64 was lost"),
    NearMiss("callers-x", grad_on_the_callers_x, "changed the caller's x"),
)
vector_jacobian_product_near_misses = rejects(
    test_vector_jacobian_product,
    NearMiss("no-gradient-arg", lambda f, x, v: backward_grad(f, x), "only for scalar outputs"),
    NearMiss("sum-ignores-v", lambda f, x, v: backward_grad(summed(f), x), "v ignored"),
    NearMiss("jacobian-times-v", lambda f, x, v: jacobian(f, x) @ v, "J v, not vᵀJ"),
    NearMiss("v-times-jacobian", lambda f, x, v: v @ jacobian(f, x), "it ran 3 backward\\(\\) or .* passes"),
    NearMiss("v-times-jacrev", lambda f, x, v: v @ torch.func.jacrev(f)(x), "built the whole Jacobian"),
    NearMiss("v-times-vectorized", lambda f, x, v: v @ jacobian(f, x, vectorize=True), "built the whole Jacobian"),
    NearMiss("v-times-jacfwd", lambda f, x, v: v @ torch.func.jacfwd(f)(x), "forward mode"),
    NearMiss("jvp-columns", vjp_by_jvp_columns, "jvp is forward mode"),
)
elementwise_jacobian_near_misses = rejects(
    test_elementwise_jacobian,
    NearMiss("diagonal-only", lambda f, x: backward_grad(summed(f), x), "the diagonal's vector"),
    NearMiss("functional-jacobian", jacobian, "it ran 3 backward\\(\\) or .* passes"),
    NearMiss("jacrev", lambda f, x: torch.func.jacrev(f)(x), "built the whole Jacobian"),
    NearMiss("vectorized-jacobian", lambda f, x: jacobian(f, x, vectorize=True), "built the whole Jacobian"),
    NearMiss("jvp-of-ones", diagonal_by_jvp, "jvp is forward mode"),
    NearMiss("float32-always", lambda f, x: torch.diag(backward_grad(summed(f), x.float())), "the float64 was lost"),
)
jacobian_matrix_near_misses = rejects(
    test_jacobian_matrix,
    NearMiss("transposed", lambda f, x: jacobian(f, x).T, "transposed"),
    NearMiss("sum-trick", lambda f, x: backward_grad(summed(f), x), "the sum trick's"),
    NearMiss("rows-without-retain-graph", jacobian_rows_without_retain_graph, "second time"),
    NearMiss("float32-always", lambda f, x: jacobian(f, x.float()), "the float64 was lost"),
)
per_sample_gradients_near_misses = rejects(
    test_per_sample_gradients,
    NearMiss("python-loop", per_sample_loop, "grows with the number of samples"),
    NearMiss("batch-gradient", batch_gradient, "one gradient for the whole batch"),
    NearMiss("gradients-of-samples", gradients_of_samples, "with respect to the samples"),
    NearMiss(
        "by-hand", lambda w, inputs, targets: 2 * (inputs @ w - targets).unsqueeze(1) * inputs, "autograd never ran"
    ),
)
