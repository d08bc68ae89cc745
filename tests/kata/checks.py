"""Checks that fail with one line naming the input, what was expected, what came back, and the likely cause."""

import contextlib
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

from tests.kata.solution import PROBE_SCALE, AutogradCall, Solution, short_repr

RTOL = 1e-5
ATOL = 1e-5
MEAN = "divided by n: the gradient of y.mean(); the sum trick sums"  # a cause two modules' sum tricks name
# A float64 answer is held to float64's precision: one computed in float32 and cast back is off by about 1e-7.
FLOAT64_TOLERANCES = {"rtol": 1e-9, "atol": 1e-9}
DTYPE_CAUSES = {  # (expected, got): how that dtype came about
    (torch.float32, torch.float64): (
        "a Python float makes a float32 tensor (torch.tensor(x)); float64 comes from .double() or "
        "dtype=torch.float64, or from torch.func.jvp/jacfwd on a 0-dim tensor times a Python float (2.0 * x), "
        "which .float() undoes"
    ),
    (torch.float64, torch.float32): (
        "the float64 was lost on the way: x.clone() keeps x's dtype, torch.tensor(x.tolist()) or .float() does not"
    ),
}


def fail(message: str) -> None:
    pytest.fail(message, pytrace=False)


def points(*fixed: float, count: int = 4, seed: int = 0, low: float = -4.0, high: float = 4.0) -> list[float]:
    """The fixed points a test names, then `count` seeded-random ones, rounded so that messages stay readable."""
    rng = random.Random(seed)
    return [*fixed, *(round(rng.uniform(low, high), 3) for _ in range(count))]


def random_tensor(*shape: int, seed: int, dtype: torch.dtype = torch.float32, scale: float = 3.0) -> torch.Tensor:
    """Seeded points that do not depend on (or disturb) torch's global random state."""
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(*shape, generator=generator, dtype=torch.float64) * 2 - 1).mul(scale).to(dtype)


def type_problem(got: Any, expected: Any) -> str | None:
    """Why `got` cannot be compared with `expected` at all, or None when it can."""
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"expected a tuple of {len(expected)} values, got {type(got).__name__} {short_repr(got)}"
        return None
    kind = "numpy array" if isinstance(expected, np.ndarray) else "torch.Tensor"
    if got is None:
        return (
            "got None: .grad stays None until backward() runs on a result built from a tensor "
            "with requires_grad=True, and torch.autograd.grad(..., allow_unused=True) gives None for an input "
            "the result does not use (or is a `return` missing?)"
        )
    if isinstance(expected, np.ndarray):
        if isinstance(got, torch.Tensor):
            return "got a torch.Tensor, expected a numpy array: convert with .detach().numpy()"
        if not isinstance(got, np.ndarray):
            return f"got {type(got).__name__} {short_repr(got)}, expected a {kind}"
        return None
    if not isinstance(got, torch.Tensor):
        return f"got {type(got).__name__} {short_repr(got)}, expected a {kind}"
    if got.requires_grad:
        return "got a tensor still attached to the graph (requires_grad=True): return x.grad or call .detach()"
    return None


def distinct_reprs(expected: Any, got: Any) -> tuple[str, str]:
    """short_repr of both, with as many digits as it takes for two different values to print differently."""
    for digits in (4, 6, 9, 12, 17):
        shown = short_repr(expected, digits), short_repr(got, digits)
        if shown[0] != shown[1]:
            return shown
    return shown


def value_problem(
    got: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float, likely: dict[str, Any]
) -> str | None:
    if got.shape != expected.shape:
        cause = next((why for why, wrong in likely.items() if same_values(got, torch.as_tensor(wrong))), None)
        return f"expected shape {list(expected.shape)}, got {list(got.shape)}" + (f": {cause}" if cause else "")
    if got.dtype != expected.dtype:
        cause = DTYPE_CAUSES.get((expected.dtype, got.dtype))
        return f"expected dtype {expected.dtype}, got {got.dtype}" + (f": {cause}" if cause else "")
    if got.isnan().any() and not expected.isnan().any():
        return f"got NaN: {short_repr(got)}"
    # torch.isclose applies assert_close's rule, |got - expected| <= atol + rtol * |expected|, without its cost:
    # torch >= 2.10's assert_close imports torch.distributed.tensor on its first call, over a second here.
    close = torch.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    shown_expected, shown_got = distinct_reprs(expected, got)
    if expected.dtype == torch.float64 and torch.allclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True):
        return (
            f"expected {shown_expected}, got {shown_got}: right to float32's precision only; computed in float32 "
            "somewhere (torch.tensor(x.tolist()), .float())? Keep the float64 throughout"
        )
    message = f"expected {shown_expected}, got {shown_got}"
    if close.numel() > 1:
        worst = int((got - expected).abs().nan_to_num(nan=float("inf")).flatten().argmax())
        worst_expected, worst_got = distinct_reprs(expected.flatten()[worst].item(), got.flatten()[worst].item())
        message += (
            f" ({int((~close).sum())} of {close.numel()} values differ; at index {worst} expected "
            f"{worst_expected}, got {worst_got})"
        )
    cause = next(
        (
            why
            for why, wrong in likely.items()
            # A likely mistake is named at float32's precision at least: its simulation need not be exact.
            if torch.allclose(got, torch.as_tensor(wrong, dtype=got.dtype), max(rtol, RTOL), max(atol, ATOL))
        ),
        None,
    )
    return f"{message}: {cause}" if cause else message


def common_mistakes(expected: torch.Tensor, calls: list[AutogradCall] | None) -> dict[str, torch.Tensor]:
    """Wrong values any exercise invites, each named by what made it where the recorded calls tell."""
    backward_passes = sum(call.api == "backward" for call in calls or [])
    twice = "exactly twice the answer"
    if backward_passes == 2:
        twice += ": the second backward() pass added into .grad; zero .grad in between, or make the leaf afresh"
    return {twice: 2 * expected, "the sign is flipped": -expected}


def expect_like(
    got: Any,
    expected: Any,
    where: str,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    likely: dict[str, Any] | None = None,
    calls: list[AutogradCall] | None = None,
) -> None:
    """Fail unless `got` matches `expected` (a tensor, numpy array, or tuple of them) in type, shape, dtype, value.

    rtol, atol: float32's by default, float64's own where every part of `expected` is float64.
    likely: {cause: wrong value} for mistakes this exercise invites; for a tuple, a wrong tuple, item by item.
    calls: the autograd calls that made `got`, where known, so that a cause can say what they did.
    """
    defaults = default_tolerances(expected)
    rtol = defaults["rtol"] if rtol is None else rtol
    atol = defaults["atol"] if atol is None else atol
    problem = type_problem(got, expected)
    if problem is None and isinstance(expected, tuple):
        for index, (got_item, expected_item) in enumerate(zip(got, expected)):
            item_likely = {why: wrong[index] for why, wrong in (likely or {}).items() if isinstance(wrong, tuple)}
            expect_like(
                got_item, expected_item, f"{where}[{index}]", rtol=rtol, atol=atol, likely=item_likely, calls=calls
            )
        return
    if problem is None:
        as_tensor = torch.from_numpy if isinstance(expected, np.ndarray) else torch.as_tensor
        expected_tensor = as_tensor(expected)
        mistakes = {**(likely or {}), **common_mistakes(expected_tensor, calls)}
        problem = value_problem(as_tensor(got), expected_tensor, rtol, atol, mistakes)
    if problem:
        fail(f"{where}: {problem}")


def expect_call(
    solution: Solution,
    args: Sequence[Any],
    expected: Any,
    *,
    autograd: bool | None = True,
    mechanics: Sequence["Mechanic"] = (),
    untouched: bool = True,
    shapes: dict[tuple[int, ...], str] | None = None,
    likely: dict[str, Any] | None = None,
    **tolerances: float,
) -> Any:
    """Call the solution and check what it returned, then what its task asks of how it got there.

    autograd: True where the task says "by autograd" (reverse or forward mode: the value must come from what
      autograd computed), False where it says by hand (autograd must not run), None where it says neither.
    mechanics: the autograd mechanics the lesson is about, each checked on the calls the solution made.
    untouched: whether the caller's tensors must come back as they went in (values, requires_grad, .grad).
    shapes: {wrong shape: the mistake that gives it}, for a result of a wrong shape.
    likely: {cause: wrong value}, for a result of the right shape and a wrong value (see expect_like).
    rtol, atol: float32's by default, float64's own where every part of `expected` is float64.
    """
    got = solution(*args)
    wrong_shape = shapes and isinstance(got, torch.Tensor) and shapes.get(tuple(got.shape))
    if wrong_shape and isinstance(expected, torch.Tensor) and got.shape != expected.shape:
        fail(f"{solution.call}: expected shape {list(expected.shape)}, got {list(got.shape)}: {wrong_shape}")
    expect_like(got, expected, solution.call, likely=likely, calls=solution.autograd, **tolerances)
    if untouched:
        expect_inputs_untouched(solution)
    if autograd:
        expect_made_by_autograd(solution, got, expected)
    elif autograd is False:
        expect_no_autograd(solution)
    for mechanic in mechanics:
        mechanic.expect(solution)
    return got


def default_tolerances(expected: Any) -> dict[str, float]:
    """The precision the task implies: float32's for float32 answers, float64's own where every part is float64."""
    parts = expected if isinstance(expected, tuple) else (expected,)
    if all(isinstance(part, torch.Tensor) and part.dtype == torch.float64 for part in parts):
        return dict(FLOAT64_TOLERANCES)
    return {"rtol": RTOL, "atol": ATOL}


def expect_inputs_untouched(solution: Solution) -> None:
    changes = solution.inputs.changes() if solution.inputs else []
    if changes:
        fail(
            f"{solution.call}: changed the caller's {'; '.join(changes)}: work on a copy "
            "(x.clone(), x.detach().requires_grad_()) and leave the caller's tensors as they were"
        )


def expect_no_autograd(solution: Solution) -> None:
    used = sorted({call.api for call in differentiating(solution.autograd)})
    if used:
        fail(f"{solution.call}: the values are right, but autograd ran ({', '.join(used)}): this one is by hand")


def probed_again(solution: Solution) -> Any:
    """The call again with every autograd seed scaled (Solution.again_probing), or None where that cannot speak:
    inputs that cannot be made afresh (the mechanics checks speak for those), or a call that cannot even run with
    other gradients (which shows they made it)."""
    try:
        return solution.again_probing()
    except (Exception, pytest.fail.Exception):
        return None


def expect_made_by_autograd(solution: Solution, got: Any, expected: Any) -> None:
    """After a right value: fail unless autograd made it. Once a test, where the value is not all zeros, the call
    runs again with every gradient autograd seeds scaled: a value that autograd made changes with them."""
    if not differentiating(solution.autograd):
        fail(
            f"{solution.call}: the value is right, but autograd never ran; compute it with backward(), "
            "torch.autograd.grad or torch.func (reverse or forward mode), not by hand"
        )
    if solution.probed or not has_nonzero(expected):
        return
    again = probed_again(solution)
    if again is not None and same_values(again, got):
        fail(
            f"{solution.call}: the value is right, but autograd did not make it: it stays the same when "
            f"autograd's gradients are scaled by {PROBE_SCALE}; return what backward(), torch.autograd.grad or "
            "torch.func computed, not a value computed beside them"
        )


def expect_scaling(
    solution: Solution, got: Any, orders: int | Sequence[int | None], task: str, names: Sequence[str] = ()
) -> None:
    """After right values: each part scales with autograd's seeds as a derivative of its order does.

    The call runs again with every seed autograd gets scaled by PROBE_SCALE: a first derivative autograd made
    scales by PROBE_SCALE too, and a k-th derivative, each derivative built from the last (create_graph=True, or
    nested forward mode), by PROBE_SCALE ** k. A part typed in does not scale; a product of two gradients
    multiplied by hand scales by the square; a finite difference of first derivatives by PROBE_SCALE only once.
    orders: one order, or for a tuple result the order of each part (None: not a derivative, left alone).
    names: what each part of a tuple result is called in the messages.
    """
    tuple_result = isinstance(got, (tuple, list))
    parts, wanted = (got, list(orders)) if tuple_result else ((got,), [orders])
    names = list(names) or ["the value"] * len(parts)
    again = probed_again(solution)
    if again is None:
        return
    again_parts = again if tuple_result else (again,)
    if not isinstance(again_parts, (tuple, list)) or len(again_parts) != len(parts):
        return
    for name, order, part, part_again in zip(names, wanted, parts, again_parts):
        if order is None or not all(isinstance(item, (torch.Tensor, np.ndarray)) for item in (part, part_again)):
            continue
        part, part_again = (torch.as_tensor(item).detach().double() for item in (part, part_again))
        nonzero = part.abs() > 1e-6 * max(1.0, part.abs().max().item()) if part.numel() else part.bool()
        if part.shape != part_again.shape or not nonzero.any():
            continue
        scale = PROBE_SCALE**order
        if torch.allclose(part_again[nonzero], scale * part[nonzero], rtol=1e-3, atol=0.0):
            continue
        ratio = (part_again[nonzero] / part[nonzero]).median().item()
        scaled = f"scaling autograd's gradients by {PROBE_SCALE} scaled it by {ratio:.3g}, not {scale:g}"
        if order == 1:
            fail(f"{solution.call}: {name} is right, but autograd did not make it as it stands: {scaled}; {task}")
        fail(
            f"{solution.call}: the value is right, but no derivative was differentiated again: {scaled} as "
            f"{order} differentiations in a row would; without create_graph=True a gradient is a constant to "
            f"autograd (a difference of gradients is a finite difference, not a derivative); {task}"
        )


def has_nonzero(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return any(has_nonzero(item) for item in value)
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return bool((torch.as_tensor(value) != 0).any())
    return bool(value)


def same_values(first: Any, second: Any) -> bool:
    """Whether two results agree (to rounding), item by item; results of other kinds never do."""
    if isinstance(first, (tuple, list)) and isinstance(second, (tuple, list)):
        return len(first) == len(second) and all(same_values(a, b) for a, b in zip(first, second))
    if isinstance(first, (torch.Tensor, np.ndarray, float, int)) and isinstance(second, type(first)):
        first, second = torch.as_tensor(first), torch.as_tensor(second)
        if first.shape != second.shape:
            return False
        first, second = first.detach().double(), second.detach().double()
        return bool(torch.allclose(first, second, rtol=1e-6, atol=1e-12, equal_nan=True))
    return first is second


@dataclass(frozen=True)
class Mechanic:
    """An autograd mechanic that a lesson is about: what is wrong with the calls a solution made, if anything."""

    problem: Callable[[list[AutogradCall]], str | None]

    def expect(self, solution: Solution) -> None:
        problem = self.problem(solution.autograd)
        if problem:
            fail(f"{solution.call}: the value is right, but {problem}")


def differentiating(calls: list[AutogradCall]) -> list[AutogradCall]:
    return [call for call in calls if call.mode]


def reverse_mode(task: str) -> Mechanic:
    """The task names reverse mode, say `backward(gradient=v)`: forward mode, right as its value is, misses it."""

    def problem(calls: list[AutogradCall]) -> str | None:
        if any(call.mode == "reverse" for call in calls):
            return None
        return f"it came from forward mode (dual numbers, torch.func.jvp or jacfwd); this exercise is about {task}"

    return Mechanic(problem)


REVERSE_APIS = {"backward": "backward()", "autograd.grad": "torch.autograd.grad"}


def forward_mode(task: str) -> Mechanic:
    """The task names forward mode: reverse mode, right as its value is, misses it (reverse_mode's mirror)."""

    def problem(calls: list[AutogradCall]) -> str | None:
        used = sorted({REVERSE_APIS.get(call.api, call.api) for call in calls if call.mode == "reverse"})
        if not used:
            return None
        return (
            f"it came from reverse mode ({', '.join(used)}), as torch.func.grad, vjp and jacrev do; "
            f"this exercise is about {task}"
        )

    return Mechanic(problem)


def forward_passes(count: int, task: str) -> Mechanic:
    """Exactly `count` forward-mode passes: dual numbers made, one a torch.func.jvp."""

    def problem(calls: list[AutogradCall]) -> str | None:
        made = sum(call.mode == "forward" for call in calls)
        if made == count:
            return None
        return f"it ran {made} forward-mode pass{'' if made == 1 else 'es'} (jvps, dual numbers), not {count}; {task}"

    return Mechanic(problem)


def passes(
    count: int, task: str, apis: tuple[str, ...] = ("backward", "autograd.grad"), vmapped_ok: bool = False
) -> Mechanic:
    """Exactly `count` reverse-mode passes of the given kinds, and no other differentiating call.

    The default counts backward() and torch.autograd.grad alike: one pass of either is the sum trick. An exercise
    about what backward() does to .grad counts only ("backward",). A pass seeding a batch of rows at once
    (jacrev, jacobian(vectorize=True)) is one per row: refused; one through a function vmapped over points
    (vmap(grad(f))) is one per point: refused unless `vmapped_ok`.
    """

    def problem(calls: list[AutogradCall]) -> str | None:
        ran = [call.api for call in differentiating(calls)]
        counted = sum(api in apis for api in ran)
        if any(call.batched for call in calls):
            return (
                "it built the whole Jacobian, seeding all its rows at once (jacrev, jacfwd, "
                f"jacobian(vectorize=True) or a vmap over seeds); {task}"
            )
        if not vmapped_ok and any(call.vmapped for call in calls):
            return f"it ran a pass per point, vectorized (torch.func.vmap of grad); {task}"
        if counted == count and len(ran) == count:
            return None
        kinds = " or ".join("backward()" if api == "backward" else f"torch.{api}" for api in apis)
        others = sorted({api for api in ran if api not in apis})
        instead = f", and {', '.join(others)}" if others else ""
        return f"it ran {counted} {kinds} pass{'' if counted == 1 else 'es'}{instead}; {task}"

    return Mechanic(problem)


def retains_grad(task: str) -> Mechanic:
    def problem(calls: list[AutogradCall]) -> str | None:
        return None if any(call.api == "retain_grad" for call in calls) else f"retain_grad() never ran; {task}"

    return Mechanic(problem)


def optimizer_steps(count: int | None, task: str) -> Mechanic:
    """`count` steps of a torch.optim optimizer; with count None, none at all (the task is the update by hand)."""

    def problem(calls: list[AutogradCall]) -> str | None:
        steps = [call.detail for call in calls if call.api == "optimizer.step"]
        if count is None:
            return f"a torch.optim optimizer did the step ({steps[0]}.step()); {task}" if steps else None
        if len(steps) == count:
            return None
        return f"{len(steps)} optimizer step{'' if len(steps) == 1 else 's'} ran, not {count}; {task}"

    return Mechanic(problem)


@dataclass(frozen=True)
class NearMiss:
    """A plausible wrong solution and the words its failure message must contain."""

    label: str
    fn: Callable[..., Any]
    cause: str


@dataclass(frozen=True)
class Rejects:
    """An exercise's check and the near misses it must reject; tests/self_check runs every one of them."""

    check: Callable[[Solution], None]
    near_misses: tuple[NearMiss, ...]


def rejects(check: Callable[[Solution], None], *near_misses: NearMiss) -> Rejects:
    return Rejects(check, near_misses)


def derivative_by_autograd(f: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[float], torch.Tensor]:
    """A learner-style solution that differentiates f at a float by autograd: near misses in one line."""

    def solve(x: float) -> torch.Tensor:
        x = torch.tensor(x, requires_grad=True)
        f(x).backward()
        return x.grad

    return solve


def slope_by_autograd(
    f: Callable[[torch.Tensor], torch.Tensor],
    finish: Callable[[torch.Tensor, torch.Tensor], Any] = lambda x, y: x.grad,
    reduce: Callable[[torch.Tensor], torch.Tensor] = torch.sum,
) -> Callable[[torch.Tensor], Any]:
    """A learner-style solution on many points: the sum trick on f at a copy of them, then `finish(x, y)`."""

    def solve(x: torch.Tensor) -> Any:
        x = x.clone().requires_grad_()
        y = f(x)
        reduce(y).backward()
        return finish(x, y)

    return solve


def point_pairs(
    *fixed: tuple[float, float], count: int = 3, seed: int, low: float = -4.0, high: float = 4.0
) -> list[tuple[float, float]]:
    """The fixed (u, v) points a test names, then `count` seeded-random pairs."""
    randoms = points(count=2 * count, seed=seed, low=low, high=high)
    return [*fixed, *zip(randoms[::2], randoms[1::2])]


def scalar(value: float, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """An expected 0-dim result, float32 unless the task says otherwise."""
    return torch.tensor(value, dtype=dtype)


# A linear layer's closed forms, for the tests of modules and of hooks.
def linear_grads(weight, bias, x, target) -> tuple[torch.Tensor, torch.Tensor]:
    """L = mean((x·Wᵀ + b − T)²): G = ∂L/∂y = 2(y − T)/(N·out), ∂L/∂W = Gᵀ·x, ∂L/∂b = the sum of G's rows."""
    y = x @ weight.T + bias
    g = 2 * (y - target) / y.numel()
    return g.T @ x, g.sum(0)


def layer_of(weight: torch.Tensor, bias: torch.Tensor) -> torch.nn.Linear:
    """An nn.Linear holding weight and bias; torch's global random state, which its initialisation draws from,
    stays as it was."""
    with torch.random.fork_rng(devices=[]):
        layer = torch.nn.Linear(weight.shape[1], weight.shape[0], dtype=weight.dtype)
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    return layer


# Functions that tests hand to solutions; named, so that failure messages name them.
def running_sum(t):
    return torch.cumsum(t, 0)


def coupled(t):
    return torch.stack([t[0] * t[1], t[1] * t[2], torch.sin(t[0]), t[2] ** 2])


def coupled_jacobian(x):
    a, b, c = x.tolist()
    return torch.tensor([[b, a, 0], [0, c, b], [math.cos(a), 0, 0], [0, 0, 2 * c]], dtype=x.dtype)


def log_sum_exp(t):
    return torch.logsumexp(t, 0)


def square(t: torch.Tensor) -> torch.Tensor:
    return t**2


def cube(t: torch.Tensor) -> torch.Tensor:
    return t**3


def step(t: torch.Tensor) -> torch.Tensor:
    """ReLU's derivative, 0 at 0 as autograd has it."""
    return (t > 0).to(t.dtype)


@contextlib.contextmanager
def naming(causes: dict[str, str]) -> Iterator[None]:
    """Failures whose message contains a key end with its cause: for what `likely` cannot name (dtype, NaN)."""
    try:
        yield
    except pytest.fail.Exception as failure:
        message = str(failure.msg)
        cause = next((cause for words, cause in causes.items() if words in message), None)
        if cause is None:
            raise
        raise pytest.fail.Exception(f"{message}: {cause}", pytrace=False) from None


def expect_same_again(solution, args) -> None:
    """The same call twice gives the same result: a leaf kept between calls adds every backward() into its .grad."""
    first = solution(*args)
    again = solution(*args)
    if not same_values(first, again):
        fail(
            f"{solution.call}: called twice, it returned {short_repr(first)}, then {short_repr(again)}: a leaf "
            "kept between calls adds each backward() into its .grad; make the leaf afresh in each call"
        )


def beside_backward(closed_form: Callable) -> Callable:
    """A lesson-skipping solution: the answer typed in as a formula, beside a backward() that has nothing to do
    with it. The provenance probe turns it away: scaling autograd's gradients leaves it as it is."""

    def solve(*args):
        dummy = torch.tensor(1.0, requires_grad=True)
        (dummy * 3).backward()
        return closed_form(*args)

    return solve
