"""Module 12, modules and parameters: nn.Linear's gradients against Gᵀ·x, and freezing, zero_grad(set_to_none),
micro-batches and parameter groups against closed forms of the SGD steps they make, with the near misses."""

from collections import OrderedDict

import pytest
import torch
from torch import nn

from tests.kata.checks import (
    NearMiss,
    beside_backward,
    expect_call,
    expect_inputs_untouched,
    expect_like,
    expect_made_by_autograd,
    fail,
    layer_of,
    linear_grads,
    optimizer_steps,
    passes,
    random_tensor,
    rejects,
)
from tests.kata.solution import PROBE_SCALE, guarded, short_repr

F64 = torch.float64
MEAN_OF_ALL = "L is the mean over all N·out entries"


# ---- Closed forms --------------------------------------------------------------------------------------------------


def backprop(params, x, target) -> list[torch.Tensor]:
    """The gradients of L = mean((head(tanh(body(x))) − T)²) for params (body.weight, body.bias, head.weight,
    head.bias), by the chain rule written out."""
    w1, b1, w2, b2 = params
    h = torch.tanh(x @ w1.T + b1)
    y = h @ w2.T + b2
    g = 2 * (y - target) / y.numel()
    dz = (g @ w2) * (1 - h**2)
    return [dz.T @ x, dz.sum(0), g.T @ h, g.sum(0)]


def body_square_grads(params, x) -> list[torch.Tensor | None]:
    """The gradients of L₂ = mean(body(x)²): the body's; the head takes no part (None)."""
    w1, b1 = params[:2]
    z = x @ w1.T + b1
    dz = 2 * z / z.numel()
    return [dz.T @ x, dz.sum(0), None, None]


# ---- Inputs --------------------------------------------------------------------------------------------------------

NAMES = ("body.weight", "body.bias", "head.weight", "head.bias")


def tiny_model(seed: int, dtype: torch.dtype = torch.float32) -> nn.Sequential:
    """body = Linear(3, 4), act = Tanh(), head = Linear(4, 2), with seeded parameters; torch's global random state,
    which the layers' own initialisation draws from, stays as it was."""
    with torch.random.fork_rng(devices=[]):
        model = nn.Sequential(
            OrderedDict(body=nn.Linear(3, 4, dtype=dtype), act=nn.Tanh(), head=nn.Linear(4, 2, dtype=dtype))
        )
    with torch.no_grad():
        for index, param in enumerate(model.parameters()):
            param.copy_(random_tensor(*param.shape, seed=seed + index, dtype=dtype, scale=1.0))
    model.__name__ = "model"  # how failure messages show it: its repr spans lines
    return model


def values_of(model: nn.Module) -> list[torch.Tensor]:
    return [param.detach().clone() for param in model.parameters()]


def batch(seed: int, n: int = 5, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    return random_tensor(n, 3, seed=seed, dtype=dtype), random_tensor(n, 2, seed=seed + 1, dtype=dtype)


def expect_step_made_by_autograd(solution, fresh_args: tuple, after: torch.Tensor, read) -> None:
    """Once a test: the call again on fresh inputs with every gradient autograd seeds scaled by PROBE_SCALE. A step
    that autograd's gradients made lands elsewhere; one computed beside them does not."""
    if solution.probed:
        return
    solution.probed = True
    solution.run(fresh_args, probing=True)
    if torch.allclose(read(fresh_args), after, rtol=1e-6, atol=1e-12):
        fail(
            f"{solution.call}: the step is right, but autograd did not make it: it stays the same when autograd's "
            f"gradients are scaled by {PROBE_SCALE}; step with the gradients backward() put in .grad"
        )


# ---- linear_gradients ------------------------------------------------------------------------------------------------


def linear_case(seed: int, n: int = 4, n_in: int = 3, n_out: int = 2, dtype: torch.dtype = torch.float32) -> tuple:
    return (
        random_tensor(n_out, n_in, seed=seed, dtype=dtype, scale=1.0),
        random_tensor(n_out, seed=seed + 1, dtype=dtype, scale=1.0),
        random_tensor(n, n_in, seed=seed + 2, dtype=dtype),
        random_tensor(n, n_out, seed=seed + 3, dtype=dtype),
    )


def linear_cases() -> list[tuple]:
    """(weight, bias, x, target): fixed, seeded-random, one sample, one output, float64. Never square: a transpose
    shows in the shape."""
    fixed = (
        torch.tensor([[1.0, -1.0, 0.5], [0.0, 2.0, -1.0]]),
        torch.tensor([0.5, -0.5]),
        torch.tensor([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0], [2.0, 0.0, 0.0], [1.0, 1.0, 1.0]]),
        torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0], [-1.0, 0.5]]),
    )
    return [
        fixed,
        linear_case(141),
        linear_case(145, n=1),
        linear_case(149, n=5, n_in=4, n_out=1),
        linear_case(153, dtype=F64),
    ]


def expect_weight_shape(solution, got, weight: torch.Tensor, x: torch.Tensor) -> None:
    """Name the shapes a by-hand ∂L/∂W comes in when it is not W's."""
    first = got[0] if isinstance(got, (tuple, list)) and got else None
    if not isinstance(first, torch.Tensor) or first.shape == weight.shape:
        return
    if first.shape == weight.T.shape:
        fail(
            f"{solution.call}[0]: expected shape {list(weight.shape)}, got {list(first.shape)}: transposed; ∂L/∂W "
            "has W's shape (out, in): Gᵀ·x, not xᵀ·G"
        )
    if first.shape == x.shape:
        fail(
            f"{solution.call}[0]: expected shape {list(weight.shape)}, got {list(first.shape)}: that is ∂L/∂x, "
            "of x's shape; return the weight's .grad"
        )


@pytest.mark.exercise("modules_and_parameters.linear_gradients")
def test_linear_gradients(solution):
    for weight, bias, x, target in linear_cases():
        d_w, d_b = linear_grads(weight, bias, x, target)
        entries, rows = target.numel(), len(target)
        got = solution(weight, bias, x, target)
        expect_weight_shape(solution, got, weight, x)
        expect_like(
            got,
            (d_w, d_b),
            solution.call,
            likely={
                f"the gradient of the summed squared error: {MEAN_OF_ALL}": (d_w * entries, d_b * entries),
                f"the mean over the N rows only: {MEAN_OF_ALL}": (d_w * entries / rows, d_b * entries / rows),
                "the mean of G's rows: b is added to every row, so ∂L/∂b sums them": (d_w, d_b / rows),
            },
        )
        expect_inputs_untouched(solution)
        expect_made_by_autograd(solution, got, (d_w, d_b))


# ---- frozen_body_step ----------------------------------------------------------------------------------------------

# (model seed, dtype, batch size, lr)
FROZEN_CASES = [(161, torch.float32, 5, 0.1), (165, F64, 4, 0.5), (169, torch.float32, 1, 1.0)]


def expect_body_frozen(solution, model: nn.Module, before: list[torch.Tensor]) -> None:
    for name, param, old in zip(NAMES[:2], model.body.parameters(), before[:2]):
        where = f"{solution.call}, then model.{name}"
        if not torch.equal(param.detach(), old):
            if param.requires_grad:
                fail(
                    f"{where} moved: the body must not learn; freeze it with model.body.requires_grad_(False) "
                    "before the forward pass"
                )
            fail(
                f"{where} moved, though it is frozen: backward() had filled its .grad before requires_grad_(False), "
                "and SGD steps every parameter that has a .grad; freeze it before the forward pass"
            )
        if param.requires_grad:
            fail(
                f"{where} still requires grad: the body stayed put this once, but it is not frozen (a detach() or "
                "an optimizer without it only stops it here); freeze it with model.body.requires_grad_(False)"
            )
        if param.grad is not None:
            fail(
                f"{where}.grad is {short_repr(param.grad)}, expected None: freeze the body before the forward "
                "pass, so that backward() gives it no .grad"
            )


@pytest.mark.exercise("modules_and_parameters.frozen_body_step")
@pytest.mark.timeout(60)  # the first optimizer step imports torch._dynamo: seconds, once
def test_frozen_body_step(solution):
    for seed, dtype, n, lr in FROZEN_CASES:
        model, (x, target) = tiny_model(seed, dtype), batch(seed + 10, n, dtype)
        before = values_of(model)
        solution(model, x, target, lr)
        expect_inputs_untouched(solution)
        expect_body_frozen(solution, model, before)
        grads = backprop(before, x, target)
        for name, param, old, grad in zip(NAMES[2:], model.head.parameters(), before[2:], grads[2:]):
            expect_like(
                param.detach(),
                old - lr * grad,
                f"{solution.call}, then model.{name}",
                likely={
                    "unchanged: the head did not move (zero_grad() between backward() and step() clears the "
                    "gradient step() needs)": old,
                    "moved up the gradient: θ − lr·∂L/∂θ descends": old + lr * grad,
                    f"the step of the summed squared error: {MEAN_OF_ALL}": old - lr * grad * target.numel(),
                },
            )
        optimizer_steps(1, "this exercise is about what torch.optim.SGD does with a frozen parameter").expect(solution)
        expect_step_made_by_autograd(
            solution, (tiny_model(seed, dtype), x, target, lr), model.head.weight.detach(), read_head_weight
        )


def read_head_weight(args: tuple) -> torch.Tensor:
    return args[0].head.weight.detach()


# ---- zero_grad_steps -----------------------------------------------------------------------------------------------

# (model seed, dtype, batch size, lr, set_to_none)
ZERO_GRAD_CASES = [
    (181, torch.float32, 5, 0.1, True),
    (181, torch.float32, 5, 0.1, False),
    (185, F64, 4, 0.5, False),
    (189, torch.float32, 3, 0.3, True),
]


def two_steps(before, x, target, lr, set_to_none, *, zero=True, keep_momentum=True):
    """Closed form of zero_grad_steps: SGD(momentum=0.9), step 1 on L₁, step 2 on L₂; (parameters, .grad) after.

    zero: whether zero_grad runs before each backward(); keep_momentum: whether step 2 keeps step 1's buffers."""
    params, grads, buffers = [p.clone() for p in before], [None] * 4, [None] * 4
    for step in (1, 2):
        if zero:
            grads = [None if set_to_none or g is None else torch.zeros_like(g) for g in grads]
        new = backprop(params, x, target) if step == 1 else body_square_grads(params, x)
        grads = [g if n is None else n if g is None else g + n for g, n in zip(grads, new)]
        if not keep_momentum:
            buffers = [None] * 4
        for index, grad in enumerate(grads):
            if grad is not None:
                buffers[index] = grad.clone() if buffers[index] is None else 0.9 * buffers[index] + grad
                params[index] = params[index] - lr * buffers[index]
    return params, grads


@pytest.mark.exercise("modules_and_parameters.zero_grad_steps")
@pytest.mark.timeout(60)  # the first optimizer step imports torch._dynamo: seconds, once
def test_zero_grad_steps(solution):
    for seed, dtype, n, lr, set_to_none in ZERO_GRAD_CASES:
        model, (x, target) = tiny_model(seed, dtype), batch(seed + 10, n, dtype)
        before = values_of(model)
        solution(model, x, target, lr, set_to_none)
        expect_inputs_untouched(solution)
        expected, grads = two_steps(before, x, target, lr, set_to_none)
        flag = (
            "model.head moved in step 2, which L₂ does not use: zero_grad(set_to_none=True) leaves its .grad None "
            "and SGD skips it (a zero .grad would still take a momentum step)"
            if set_to_none
            else "model.head stayed put in step 2: with set_to_none=False its .grad is a zero tensor, not None, and "
            "SGD's momentum still moves it; pass set_to_none on to zero_grad"
        )
        wrong = {
            flag: two_steps(before, x, target, lr, not set_to_none)[0],
            "step 2 reused step 1's gradient: call zero_grad() before each backward()": two_steps(
                before, x, target, lr, set_to_none, zero=False
            )[0],
            "step 2 took no momentum: keep one torch.optim.SGD(..., momentum=0.9) for both steps (a new optimizer "
            "starts without momentum)": two_steps(before, x, target, lr, set_to_none, keep_momentum=False)[0],
        }
        for index, (name, param) in enumerate(zip(NAMES, model.parameters())):
            expect_like(
                param.detach(),
                expected[index],
                f"{solution.call}, then model.{name}",
                likely={cause: values[index] for cause, values in wrong.items()},
            )
        for name, param, grad in zip(NAMES, model.parameters(), grads):
            where = f"{solution.call}, then model.{name}.grad"
            if grad is None and param.grad is not None:
                fail(
                    f"{where} is {short_repr(param.grad)}, expected None: zero_grad(set_to_none=True) before step 2 "
                    "dropped it, and L₂ gives the head no gradient"
                )
            if grad is None:
                continue
            if param.grad is None or (grad.any() and not param.grad.any()):
                why = (
                    "step 2's gradient stays in .grad until the next zero_grad(), which comes before a backward(), "
                    "not after step()"
                    if grad.any()
                    else "zero_grad(set_to_none=False) leaves a zero tensor, not None"
                )
                fail(f"{where} is {short_repr(param.grad)}, expected {short_repr(grad)}: {why}")
            expect_like(param.grad, grad, where)
        optimizer_steps(2, "this exercise is about what zero_grad leaves for torch.optim.SGD's momentum").expect(
            solution
        )
        expect_step_made_by_autograd(
            solution,
            (tiny_model(seed, dtype), x, target, lr, set_to_none),
            model.head.weight.detach(),
            read_head_weight,
        )


# ---- accumulated_gradients -----------------------------------------------------------------------------------------


def micro_batches(n: int, size: int) -> list[slice]:
    return [slice(start, start + size) for start in range(0, n, size)]


def accumulation_cases() -> list[tuple]:
    """(weight, bias, x, target, micro_batch): ragged last micro-batches, one row each, one pass, float64."""
    weight, bias, x, target = linear_cases()[0]
    five_rows = torch.cat([x, torch.tensor([[0.5, -1.0, 2.0]])]), torch.cat([target, torch.tensor([[3.0, -2.0]])])
    return [
        (weight, bias, *five_rows, 2),
        (*linear_case(171, n=6), 4),
        (*linear_case(175, n=3), 1),
        (*linear_case(179, n=4), 10),
        (*linear_case(183, n=5, dtype=F64), 3),
    ]


def shares_added(per_batch: list[tuple[torch.Tensor, torch.Tensor]], scales: list[float]) -> tuple:
    """Σᵢ scaleᵢ · (the micro-batch's own mean-loss gradients), for ∂L/∂W and ∂L/∂b."""
    return tuple(sum(scale * grads[i] for scale, grads in zip(scales, per_batch)) for i in (0, 1))


@pytest.mark.exercise("modules_and_parameters.accumulated_gradients")
def test_accumulated_gradients(solution):
    for weight, bias, x, target, size in accumulation_cases():
        parts = micro_batches(len(x), size)
        shares = [len(x[rows]) / len(x) for rows in parts]
        per_batch = [linear_grads(weight, bias, x[rows], target[rows]) for rows in parts]
        expected = linear_grads(weight, bias, x, target)
        expect_call(
            solution,
            (weight, bias, x, target, size),
            expected,
            mechanics=(passes(len(parts), "one backward() per micro-batch, each adding into .grad", ("backward",)),),
            likely={
                "the micro-batch means added up unscaled: scale each micro-batch's loss by its rows / N": (
                    shares_added(per_batch, [1.0] * len(parts))
                ),
                "each micro-batch's loss divided by the number of micro-batches: the last one is shorter; scale "
                "it by its rows / N": shares_added(per_batch, [1 / len(parts)] * len(parts)),
                "only the last micro-batch's share: do not zero .grad between micro-batches": (
                    shares_added(per_batch[-1:], shares[-1:])
                ),
                f"the gradient of the summed squared error: {MEAN_OF_ALL}": tuple(
                    grad * target.numel() for grad in expected
                ),
            },
        )


# ---- two_group_sgd -------------------------------------------------------------------------------------------------

# (model seed, dtype, body_lr, head_lr)
GROUP_CASES = [(201, torch.float32, 0.01, 0.1), (205, F64, 0.5, 0.05), (209, torch.float32, 0.2, 1.0)]


def expect_groups(solution, optimizer, model: nn.Module) -> None:
    groups = optimizer.param_groups
    held = {frozenset(id(p) for p in group["params"]) for group in groups}
    parts = {frozenset(id(p) for p in model.body.parameters()), frozenset(id(p) for p in model.head.parameters())}
    if len(groups) != 2 or held != parts:
        fail(
            f"{solution.call}: the steps are right, but the optimizer has {len(groups)} parameter group"
            f"{'' if len(groups) == 1 else 's'}, expected two: model.body's parameters, and model.head's"
        )


@pytest.mark.exercise("modules_and_parameters.two_group_sgd")
@pytest.mark.timeout(60)  # the first optimizer step imports torch._dynamo: seconds, once
def test_two_group_sgd(solution):
    for seed, dtype, body_lr, head_lr in GROUP_CASES:
        model = tiny_model(seed, dtype)
        expected = values_of(model)
        got = solution(model, body_lr, head_lr)
        if not isinstance(got, torch.optim.SGD):
            kinds = f" of {', '.join(type(item).__name__ for item in got)}" if isinstance(got, (tuple, list)) else ""
            fail(
                f"{solution.call}: got {type(got).__name__}{kinds}, expected a torch.optim.SGD: one optimizer, whose "
                "parameter groups give each part its own lr"
            )
        if any(not torch.equal(p.detach(), old) or p.grad is not None for p, old in zip(model.parameters(), expected)):
            fail(f"{solution.call}: model changed: build the optimizer and leave the model as it was")
        lrs = [body_lr, body_lr, head_lr, head_lr]
        previous_grads = None
        for step in (1, 2):
            grads = [random_tensor(*p.shape, seed=seed + 10 * step + i, dtype=dtype) for i, p in enumerate(expected)]
            for param, grad in zip(model.parameters(), grads):
                param.grad = grad.clone()
            guarded(got.step, f"{solution.call}, then its step()")
            for index, (name, param, grad) in enumerate(zip(NAMES, model.parameters(), grads)):
                part, other = ("model.body", "head_lr") if index < 2 else ("model.head", "body_lr")
                old, lr, other_lr = expected[index], lrs[index], lrs[3 - index]
                likely = {
                    f"{part} did not move: its parameters are in no group of the optimizer": old,
                    f"{part} moved by {other}·grad: give {part}'s parameters a group of their own, with "
                    f"lr={'body_lr' if index < 2 else 'head_lr'}": old - other_lr * grad,
                }
                if previous_grads is not None:
                    likely["momentum: SGD's default takes none"] = old - lr * (0.9 * previous_grads[index] + grad)
                expected[index] = old - lr * grad
                expect_like(
                    param.detach(), expected[index], f"{solution.call}, then step {step}: model.{name}", likely=likely
                )
            previous_grads = grads
        expect_groups(solution, got, model)


# ---- Near misses ---------------------------------------------------------------------------------------------------


def mean_square(y, target):
    return ((y - target) ** 2).mean()


def linear_grads_by(loss=mean_square):
    """A learner-style linear_gradients: an nn.Linear holding copies, `loss`, backward(), its parameters' .grad."""

    def solve(weight, bias, x, target):
        layer = layer_of(weight, bias)
        loss(layer(x), target).backward()
        return layer.weight.grad, layer.bias.grad

    return solve


def input_grads(weight, bias, x, target):
    """∂L/∂x where ∂L/∂W was asked."""
    x = x.clone().requires_grad_()
    layer = layer_of(weight, bias)
    mean_square(layer(x), target).backward()
    return x.grad, layer.bias.grad


def transposed_by_hand(weight, bias, x, target):
    g = 2 * (x @ weight.T + bias - target) / target.numel()
    return x.T @ g, g.sum(0)


def float32_linear_grads(weight, bias, x, target):
    return linear_grads_by()(weight.float(), bias.float(), x.float(), target.float())


def frozen_step_by(freeze="first", params=nn.Module.parameters, detach=False, step=None):
    """A learner-style frozen_body_step: freeze the body "first", "after-backward" or "never"; a torch.optim.SGD over
    `params(model)`, or `step(model, lr)` by hand; the body's output detached if `detach`."""

    def solve(model, x, target, lr):
        if freeze == "first":
            model.body.requires_grad_(False)
        optimizer = torch.optim.SGD(params(model), lr=lr) if step is None else None
        hidden = model.act(model.body(x))
        mean_square(model.head(hidden.detach() if detach else hidden), target).backward()
        if freeze == "after-backward":
            model.body.requires_grad_(False)
        if optimizer is None:
            step(model, lr)
        else:
            optimizer.step()

    return solve


def head_parameters(model):
    return model.head.parameters()


def head_step_by_hand(model, lr):
    with torch.no_grad():
        for p in model.head.parameters():
            p -= lr * p.grad


def set_to_none_passed(optimizer, set_to_none):
    optimizer.zero_grad(set_to_none=set_to_none)


def zero_grad_steps_by(zero=set_to_none_passed, momentum=0.9, fresh=False, after=False):
    """A learner-style zero_grad_steps: `zero(optimizer, set_to_none)` before each backward() (after each step() if
    `after`); a new optimizer for step 2 if `fresh`."""

    def solve(model, x, target, lr, set_to_none):
        losses = (lambda: mean_square(model(x), target), lambda: (model.body(x) ** 2).mean())
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        for step, loss in enumerate(losses):
            if fresh and step:
                optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
            if not after:
                zero(optimizer, set_to_none)
            loss().backward()
            optimizer.step()
            if after:
                zero(optimizer, set_to_none)

    return solve


def zero_grad_steps_by_hand(model, x, target, lr, set_to_none):
    """Momentum SGD written out, set_to_none honoured: the right values without the optimizer."""
    buffers = {}
    for loss in (lambda: mean_square(model(x), target), lambda: (model.body(x) ** 2).mean()):
        for p in model.parameters():
            if p.grad is not None:
                p.grad = None if set_to_none else torch.zeros_like(p.grad)
        loss().backward()
        with torch.no_grad():
            for p in model.parameters():
                if p.grad is not None:
                    buffers[p] = p.grad.clone() if p not in buffers else 0.9 * buffers[p] + p.grad
                    p -= lr * buffers[p]


def accumulate_by(scale=lambda rows, n, count: rows / n, zero_between=False, one_pass=False):
    """A learner-style accumulated_gradients: each micro-batch's mean loss times `scale(its rows, N, how many
    micro-batches)`; .grad zeroed between them if `zero_between`; the whole batch at once if `one_pass`."""

    def solve(weight, bias, x, target, micro_batch):
        weight, bias = weight.clone().requires_grad_(), bias.clone().requires_grad_()
        parts = micro_batches(len(x), len(x) if one_pass else micro_batch)
        for rows in parts:
            if zero_between:
                weight.grad = bias.grad = None
            loss = mean_square(x[rows] @ weight.T + bias, target[rows])
            (loss * scale(len(x[rows]), len(x), len(parts))).backward()
        return weight.grad, bias.grad

    return solve


def accumulated_by_autograd_grad(weight, bias, x, target, micro_batch):
    """Sums torch.autograd.grad's gradients by hand: nothing accumulates in .grad."""
    weight, bias = weight.clone().requires_grad_(), bias.clone().requires_grad_()
    total = [torch.zeros_like(weight), torch.zeros_like(bias)]
    for rows in micro_batches(len(x), micro_batch):
        loss = mean_square(x[rows] @ weight.T + bias, target[rows]) * len(x[rows]) / len(x)
        total = [t + g for t, g in zip(total, torch.autograd.grad(loss, (weight, bias)))]
    return tuple(total)


def sgd_over(groups, **settings):
    """A learner-style two_group_sgd: torch.optim.SGD over `groups(model, body_lr, head_lr)`."""
    return lambda model, body_lr, head_lr: torch.optim.SGD(groups(model, body_lr, head_lr), lr=1e-3, **settings)


def group(params, lr):
    return {"params": list(params), "lr": lr}


def scaled_head_grads(model, body_lr, head_lr):
    """One group at body_lr, and hooks scaling the head's gradients by head_lr / body_lr: right after backward(),
    but the optimizer does not hold the head's lr."""
    for p in model.head.parameters():
        p.register_hook(lambda grad: grad * head_lr / body_lr)
    return torch.optim.SGD(model.parameters(), lr=body_lr)


def one_optimizer_per_part(model, body_lr, head_lr):
    return torch.optim.SGD(model.body.parameters(), lr=body_lr), torch.optim.SGD(model.head.parameters(), lr=head_lr)


def per_parameter_groups(model, body_lr, head_lr):
    return [group([p], body_lr) for p in model.body.parameters()] + [
        group([p], head_lr) for p in model.head.parameters()
    ]


linear_gradients_near_misses = rejects(
    test_linear_gradients,
    NearMiss("sum-loss", linear_grads_by(lambda y, t: ((y - t) ** 2).sum()), "summed squared error"),
    NearMiss("rows-mean", linear_grads_by(lambda y, t: ((y - t) ** 2).sum(1).mean()), "mean over the N rows"),
    NearMiss("input-grad", input_grads, "that is ∂L/∂x"),
    NearMiss("transposed", transposed_by_hand, "transposed"),
    NearMiss("bias-mean", lambda *args: (linear_grads(*args)[0], linear_grads(*args)[1] / len(args[2])), "mean of G"),
    NearMiss("float32-always", float32_linear_grads, "dtype"),
    NearMiss("beside-backward", beside_backward(linear_grads), "autograd did not make it"),
    NearMiss("by-hand", linear_grads, "autograd never ran"),
)
frozen_body_step_near_misses = rejects(
    test_frozen_body_step,
    NearMiss("never-frozen", frozen_step_by(freeze="never"), "must not learn"),
    NearMiss("frozen-after-backward", frozen_step_by(freeze="after-backward"), "though it is frozen"),
    NearMiss("detached", frozen_step_by(freeze="never", detach=True), "still requires grad"),
    NearMiss("head-only-optimizer", frozen_step_by(freeze="never", params=head_parameters), "still requires grad"),
    NearMiss("frozen-late", frozen_step_by(freeze="after-backward", params=head_parameters), r"\.grad is"),
    NearMiss("by-hand", frozen_step_by(step=head_step_by_hand), "0 optimizer steps ran"),
)
zero_grad_steps_near_misses = rejects(
    test_zero_grad_steps,
    NearMiss("default-set-to-none", zero_grad_steps_by(zero=lambda o, s: o.zero_grad()), "stayed put in step 2"),
    NearMiss("zeros-always", zero_grad_steps_by(zero=lambda o, s: o.zero_grad(set_to_none=False)), "moved in step 2"),
    NearMiss("no-zero-grad", zero_grad_steps_by(zero=lambda o, s: None), "reused step 1's gradient"),
    NearMiss("zero-after-step", zero_grad_steps_by(after=True), "not after step"),
    NearMiss("fresh-optimizer", zero_grad_steps_by(fresh=True), "no momentum"),
    NearMiss("no-momentum", zero_grad_steps_by(momentum=0.0), "no momentum"),
    NearMiss("by-hand", zero_grad_steps_by_hand, "0 optimizer steps ran"),
)
accumulated_gradients_near_misses = rejects(
    test_accumulated_gradients,
    NearMiss("unscaled", accumulate_by(scale=lambda rows, n, count: 1.0), "unscaled"),
    NearMiss("per-count", accumulate_by(scale=lambda rows, n, count: 1 / count), "number of micro-batches"),
    NearMiss("zero-between", accumulate_by(zero_between=True), "only the last micro-batch"),
    NearMiss("one-pass", accumulate_by(one_pass=True), "it ran 1 backward"),
    NearMiss("autograd-grad", accumulated_by_autograd_grad, "0 backward.*autograd.grad"),
    NearMiss("by-hand", lambda w, b, x, t, m: linear_grads(w, b, x, t), "autograd never ran"),
)
two_group_sgd_near_misses = rejects(
    test_two_group_sgd,
    NearMiss(
        "one-group", lambda model, body_lr, head_lr: torch.optim.SGD(model.parameters(), lr=head_lr), "by head_lr"
    ),
    NearMiss(
        "swapped",
        sgd_over(lambda m, b, h: [group(m.body.parameters(), h), group(m.head.parameters(), b)]),
        "body moved by head_lr",
    ),
    NearMiss("head-only", sgd_over(lambda m, b, h: [group(m.head.parameters(), h)]), "in no group"),
    NearMiss(
        "momentum",
        sgd_over(lambda m, b, h: [group(m.body.parameters(), b), group(m.head.parameters(), h)], momentum=0.9),
        "momentum",
    ),
    NearMiss("grad-hooks", scaled_head_grads, "model.head moved by body_lr"),
    NearMiss("two-optimizers", one_optimizer_per_part, "got tuple"),
    NearMiss("per-parameter", sgd_over(per_parameter_groups), "4 parameter groups"),
)
