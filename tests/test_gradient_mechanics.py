"""Module 6, gradient mechanics: the values, and what the calls leave behind (.grad, requires_grad, graphs, leaves)."""

import pytest
import torch

from tests.kata.checks import (
    NearMiss,
    expect_call,
    expect_like,
    expect_made_by_autograd,
    fail,
    passes,
    points,
    random_tensor,
    rejects,
    scalar,
    slope_by_autograd,
)
from tests.kata.solution import short_repr

ONE_PASS = "one pass's gradient: each backward() adds its gradient into x.grad; do not zero it in between"


def grids() -> list[torch.Tensor]:
    """Classic points, seeded-random ones and float64 ones (the dtype must carry through)."""
    return [
        torch.tensor([1.0, 2.0, -0.5, 0.0]),
        random_tensor(5, seed=61),
        random_tensor(4, seed=62, dtype=torch.float64),
    ]


def expect_only_grad_changed(solution, name: str) -> None:
    """The caller's tensors come back as they went in, but for `name`'s .grad, which the task has backward() fill."""
    changes = [change for change in solution.inputs.changes() if not change.startswith(f"{name}: .grad")]
    if changes:
        fail(
            f"{solution.call}: changed the caller's {'; '.join(changes)}: backward() may fill {name}.grad, "
            "but leave the tensors themselves as they were"
        )


@pytest.mark.exercise("gradient_mechanics.grad_after_k_backwards")
def test_grad_after_k_backwards(solution):
    for k in (4, 2, 1):
        # backward() alone counts: torch.autograd.grad returns its gradient and adds nothing into x.grad.
        k_passes = passes(k, f"this exercise is about {k} backward() passes adding into x.grad", apis=("backward",))
        for x in points(2.0, -1.5, count=1, seed=63):
            likely = {
                ONE_PASS: scalar(3 * x**2),
                f"{k - 1} passes' gradient: one backward() too few (range(1, k)?)": scalar((k - 1) * 3 * x**2),
            }
            expect_call(solution, (x, k), scalar(k * 3 * x**2), likely=likely, mechanics=(k_passes,))


def steps_cases() -> list[tuple[torch.Tensor, torch.Tensor, float]]:
    """(w, targets, the stale gradient w comes with): a fresh w, then ones an earlier step left a .grad on."""
    return [
        (torch.tensor(1.0), torch.tensor([0.0, 3.0, -1.0, 1.0]), 0.0),
        (torch.tensor(0.5), random_tensor(5, seed=64), 100.0),
        (torch.tensor(-1.25, dtype=torch.float64), random_tensor(4, seed=65, dtype=torch.float64), -7.0),
    ]


@pytest.mark.exercise("gradient_mechanics.grads_per_step")
def test_grads_per_step(solution):
    for value, targets, stale in steps_cases():
        w = value.clone().requires_grad_()
        if stale:
            w.grad = torch.full_like(value, stale)
        expected = 2 * (value - targets)
        stale_first = expected.clone()
        stale_first[0] += stale
        got = solution(w, targets)
        expect_only_grad_changed(solution, "w")
        expect_like(
            got,
            expected,
            solution.call,
            likely={
                "accumulated: each step's gradient was added to the earlier ones; "
                "zero w.grad before each backward()": stale + expected.cumsum(0),
                "every step shows the last step's gradient: you kept w.grad itself, which zero_() and backward() "
                "then overwrote; keep w.grad.clone()": expected[-1].expand_as(expected),
                "the first step kept the stale gradient w came with: "
                "zero w.grad before each backward(), not after": stale_first,
            },
        )
        expect_made_by_autograd(solution, got, expected)
        passes(
            len(targets),
            "this exercise is about zeroing w.grad before each step's backward(), as a training loop does",
            apis=("backward",),
        ).expect(solution)
        if w.grad is None or not torch.allclose(w.grad, expected[-1]):
            fail(
                f"{solution.call}: afterwards w.grad is {short_repr(w.grad)}, expected the last step's gradient "
                f"{short_repr(expected[-1])}: differentiate w itself, and zero w.grad before each backward(), "
                "not after"
            )


def cube_sum(x):
    return (x**3).sum()


def sin_sum(x):
    return torch.sin(x).sum()


# (y as a function of x, dy/dx): a second pass through either without retain_graph fails.
GRAPHS = [(cube_sum, lambda x: 3 * x**2), (sin_sum, torch.cos)]

TWO_PASSES = "this exercise is about two backward() passes through y's one graph, the first with retain_graph=True"


@pytest.mark.exercise("gradient_mechanics.backward_twice")
def test_backward_twice(solution):
    for f, slope in GRAPHS:
        for x in grids():
            leaf = x.clone().requires_grad_()
            expected = 2 * slope(x)
            expect_call(
                solution,
                (f(leaf), leaf),
                expected,
                untouched=False,
                likely={ONE_PASS: slope(x)},
                mechanics=(passes(2, TWO_PASSES, apis=("backward",)),),
            )
            expect_only_grad_changed(solution, "x")
            expect_like(
                leaf.grad,
                expected,
                f"{solution.call}: x.grad afterwards",
                likely={ONE_PASS: slope(x)},
            )


def call_watching_graph(solution, x):
    """The solution's result, and whether autograd saved any tensor for a backward pass meanwhile."""
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t.shape) or t, lambda t: t):
        got = solution(x)
    return got, bool(saved)


def ran_under_no_grad(ops) -> bool:
    """Whether some torch operation ran with grad mode off (switching the mode itself does not count)."""
    return any(not op.grad_enabled for op in ops if not op.name.startswith("_set_grad"))


@pytest.mark.exercise("gradient_mechanics.no_grad_square")
def test_no_grad_square(solution):
    for x in grids():
        leaf = x.clone().requires_grad_()
        got, recorded = call_watching_graph(solution, leaf)
        if isinstance(got, torch.Tensor) and got.requires_grad:
            fail(
                f"{solution.call}: the result requires grad (grad_fn={type(got.grad_fn).__name__}): autograd "
                "recorded x ** 2; compute it inside `with torch.no_grad():`"
            )
        expect_like(got, x**2, solution.call)
        if recorded:
            fail(
                f"{solution.call}: the values are right, but autograd recorded x ** 2 (it saved tensors for a "
                "backward pass) before the result was cut loose: torch.no_grad() records nothing at all"
            )
        if not leaf.requires_grad or leaf.grad is not None or not torch.equal(leaf.detach(), x):
            fail(
                f"{solution.call}: x was changed (requires_grad={leaf.requires_grad}, grad={short_repr(leaf.grad)}): "
                "leave x as it is; torch.no_grad() turns tracking off for the block, not for x"
            )
        if not ran_under_no_grad(solution.ops):
            fail(
                f"{solution.call}: the values are right, but no operation ran inside torch.no_grad(): "
                "x.detach() ** 2 records no graph either, but this exercise is about `with torch.no_grad():`"
            )


DETACHES = {"detach", "detach_"}


@pytest.mark.exercise("gradient_mechanics.detached_product_grad")
def test_detached_product_grad(solution):
    for x in grids():
        expect_call(
            solution,
            (x,),
            x.clone(),
            likely={"2x, the slope of x · x: detach() one factor so no gradient flows through it": 2 * x},
        )
        if not {op.name for op in solution.ops} & DETACHES:
            fail(
                f"{solution.call}: the values are right, but x.detach() never ran: another function with slope x "
                "(x² / 2?) skips the lesson; this exercise is about x · x.detach(), whose detached factor is a "
                "constant to autograd"
            )


def leaf_cases() -> list[tuple[torch.Tensor, float]]:
    return [
        (torch.tensor([1.0, 2.0, -3.0]), 0.5),
        (random_tensor(4, seed=66), 0.01),
        (random_tensor(3, seed=67, dtype=torch.float64), 2.0),
    ]


@pytest.mark.exercise("gradient_mechanics.leaf_parameter")
def test_leaf_parameter(solution):
    for values, scale in leaf_cases():
        original = values.clone()
        got = solution(values, scale)
        if not isinstance(got, torch.Tensor):
            fail(f"{solution.call}: got {type(got).__name__} {short_repr(got)}, expected a torch.Tensor")
        if not got.requires_grad:
            fail(
                f"{solution.call}: the result does not require grad, so backward() would give it no .grad: "
                "call .requires_grad_() on it"
            )
        expect_like(got.detach(), original * scale, solution.call)
        if not got.is_leaf:
            fail(
                f"{solution.call}: the result is no leaf but the output of {type(got.grad_fn).__name__}, "
                "so backward() leaves its .grad None: scale first, then call .requires_grad_()"
            )
        if values.requires_grad or not torch.equal(values, original):
            fail(f"{solution.call}: the values passed in were changed; build the parameter from a copy")


def backward_k_times(k_passes, zero_between=False):
    """A learner-style grad_after_k_backwards: k_passes(k) passes through a newly built x³ each."""

    def solve(x, k):
        x = torch.tensor(x, requires_grad=True)
        for _ in range(k_passes(k)):
            if zero_between:
                x.grad = None
            (x**3).backward()
        return x.grad

    return solve


def one_graph_k_times(x, k):
    x = torch.tensor(x, requires_grad=True)
    y = x**3
    for _ in range(k):
        y.backward()
    return x.grad


def steps_by(zero, record=lambda w: w.grad.clone(), zero_after=False):
    """A learner-style grads_per_step: `zero(w)` before (or after) each step's backward(), `record(w)` after it."""

    def solve(w, targets):
        steps = []
        for target in targets:
            if not zero_after:
                zero(w)
            ((w - target) ** 2).backward()
            steps.append(record(w))
            if zero_after:
                zero(w)
        return torch.stack(steps)

    return solve


def zero_in_place(w):
    if w.grad is not None:
        w.grad.zero_()


def set_none(w):
    w.grad = None


def steps_on_a_copy(w, targets):
    """Differentiates a fresh copy of w each step: right values, but w.grad is never touched."""
    steps = []
    for target in targets:
        copy = w.detach().requires_grad_()
        ((copy - target) ** 2).backward()
        steps.append(copy.grad)
    return torch.stack(steps)


def backward_then(second_pass):
    """A learner-style backward_twice: one backward(), then `second_pass(y, x)` returns the answer."""

    def solve(y, x):
        y.backward(retain_graph=True)
        return second_pass(y, x)

    return solve


def zero_between_passes(y, x):
    x.grad = None
    y.backward()
    return x.grad


def grad_twice(y, x):
    """Gets 2 · dy/dx from torch.autograd.grad, which leaves x.grad alone."""
    (first,) = torch.autograd.grad(y, x, retain_graph=True)
    (second,) = torch.autograd.grad(y, x)
    return first + second


def detach_after(x):
    return (x**2).detach()


def grad_mode_off(x):
    torch.set_grad_enabled(False)
    return x**2


def tracking_off(x):
    x.requires_grad_(False)
    return x**2


def product_slope(second_factor):
    """A learner-style detached_product_grad: the sum trick on x · second_factor(x)."""

    def solve(x):
        x = x.clone().requires_grad_()
        (x * second_factor(x)).sum().backward()
        return x.grad

    return solve


def backward_then_nothing(y, x):
    y.backward()
    return x.grad


def product_on_the_callers_x(x):
    x.requires_grad_()
    (x * x.detach()).sum().backward()
    return x.grad.clone()


def both_detached(x):
    x = x.clone().requires_grad_()
    (x.detach() * x.detach()).sum().backward()
    return x.grad


def no_retain_graph(y, x):
    y.backward()
    y.backward()
    return x.grad


def one_backward_of_k_times(x, k):
    """One backward() of k · x³: k times one pass's gradient, in one pass, which skips what .grad does."""
    x = torch.tensor(x, requires_grad=True)
    (k * x**3).backward()
    return x.grad


def autograd_grad_k_times(x, k):
    """Adds up k torch.autograd.grad results by hand: the sum, but no .grad accumulated anything."""
    x = torch.tensor(x, requires_grad=True)
    return sum(torch.autograd.grad(x**3, x)[0] for _ in range(k))


def steps_by_autograd_grad(w, targets):
    """Each step's gradient from torch.autograd.grad, and w.grad set by hand at the end: no zeroing, no backward()."""
    steps = [torch.autograd.grad((w - target) ** 2, w)[0] for target in targets]
    w.grad = steps[-1].clone()
    return torch.stack(steps)


def steps_updating_w(w, targets):
    """A training loop's update step inside: w moves, so the later gradients are not taken at w."""
    steps = []
    for target in targets:
        w.grad = None
        ((w - target) ** 2).backward()
        steps.append(w.grad.clone())
        with torch.no_grad():
            w -= 0.1 * w.grad
    return torch.stack(steps)


def grad_twice_into_x_grad(y, x):
    """Two torch.autograd.grad passes added up and written into x.grad by hand: no backward() adds anything."""
    (first,) = torch.autograd.grad(y, x, retain_graph=True)
    (second,) = torch.autograd.grad(y, x)
    x.grad = first + second
    return x.grad


def doubled_seed(y, x):
    """One backward(gradient=2): twice dy/dx in one pass, not two passes adding up."""
    y.backward(2 * torch.ones_like(y))
    return x.grad


grad_after_k_backwards_near_misses = rejects(
    test_grad_after_k_backwards,
    NearMiss("one-backward-of-k-f", one_backward_of_k_times, "it ran 1 backward\\(\\) pass; this exercise is about 4"),
    NearMiss("autograd-grad-sum", autograd_grad_k_times, "it ran 0 backward\\(\\) passes, and autograd.grad"),
    NearMiss("zero-between", backward_k_times(lambda k: k, zero_between=True), "one pass's gradient"),
    NearMiss("one-graph", one_graph_k_times, "backward through the graph a second time"),
    NearMiss("off-by-one", backward_k_times(lambda k: k - 1), "one backward\\(\\) too few"),
    NearMiss("by-hand", lambda x, k: scalar(k * 3 * x**2), "autograd never ran"),
)
grads_per_step_near_misses = rejects(
    test_grads_per_step,
    NearMiss("never-zeroed", steps_by(lambda w: None), "accumulated"),
    NearMiss("no-clone", steps_by(zero_in_place, record=lambda w: w.grad), "keep w.grad.clone"),
    NearMiss("zero-after", steps_by(set_none, zero_after=True), "not after"),
    NearMiss("fresh-copy", steps_on_a_copy, "differentiate w itself"),
    NearMiss("list", lambda w, targets: list(steps_by(set_none)(w, targets)), "got list"),
    NearMiss("autograd-grad-steps", steps_by_autograd_grad, "it ran 0 backward\\(\\) passes, and autograd.grad"),
    NearMiss("updates-w", steps_updating_w, "changed the caller's w: its values changed"),
)
backward_twice_near_misses = rejects(
    test_backward_twice,
    NearMiss("once", backward_then(lambda y, x: x.grad), "one pass's gradient"),
    NearMiss("no-retain-graph", no_retain_graph, "a second time"),
    NearMiss("zero-between", backward_then(zero_between_passes), "one pass's gradient"),
    NearMiss("doubles-one-pass", backward_then(lambda y, x: 2 * x.grad), "it ran 1 backward\\(\\) pass"),
    NearMiss("autograd-grad", grad_twice, "it ran 0 backward\\(\\) passes, and autograd.grad"),
    NearMiss("autograd-grad-into-x-grad", grad_twice_into_x_grad, "ran 0 backward\\(\\) passes, and autograd.grad"),
    NearMiss("doubled-seed", doubled_seed, "it ran 1 backward\\(\\) pass; this exercise is about two"),
    NearMiss("doubled-y", lambda y, x: backward_then_nothing(2 * y, x), "it ran 1 backward\\(\\) pass"),
)
no_grad_square_near_misses = rejects(
    test_no_grad_square,
    NearMiss("tracked", lambda x: x**2, "torch.no_grad"),
    NearMiss("detach-after", detach_after, "recorded x \\*\\* 2"),
    NearMiss("grad-mode-left-off", grad_mode_off, "changed global torch state"),
    NearMiss("tracking-off-on-x", tracking_off, "x was changed"),
    NearMiss("detach-first", lambda x: x.detach() ** 2, "no operation ran inside torch.no_grad"),
    NearMiss("data", lambda x: x.data.clone() ** 2, "no operation ran inside torch.no_grad"),
)
detached_product_grad_near_misses = rejects(
    test_detached_product_grad,
    NearMiss("by-hand", lambda x: x.clone(), "autograd never ran"),
    NearMiss("x-times-x", product_slope(lambda x: x), r"detach\(\) one factor"),
    NearMiss("both-detached", both_detached, "does not require grad"),
    NearMiss("half-square", slope_by_autograd(lambda t: t**2 / 2), "x.detach\\(\\) never ran"),
    NearMiss("callers-x", product_on_the_callers_x, "changed the caller's x"),
)
leaf_parameter_near_misses = rejects(
    test_leaf_parameter,
    NearMiss("scaled-after", lambda values, scale: values.clone().requires_grad_() * scale, "no leaf"),
    NearMiss("no-requires-grad", lambda values, scale: values * scale, "does not require grad"),
    NearMiss("in-place", lambda values, scale: values.mul_(scale).requires_grad_(), "were changed"),
    NearMiss(
        "from-list",
        lambda values, scale: torch.tensor((values * scale).tolist(), requires_grad=True),
        "float64 was lost",
    ),
)
