"""Checks that fail with one line naming the input, what was expected, what came back, and the likely cause."""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

from tests.kata.solution import Solution, short_repr

RTOL = 1e-5
ATOL = 1e-5


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


def value_problem(
    got: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float, likely: dict[str, Any]
) -> str | None:
    if got.shape != expected.shape:
        return f"expected shape {list(expected.shape)}, got {list(got.shape)}"
    if got.dtype != expected.dtype:
        return f"expected dtype {expected.dtype}, got {got.dtype}"
    if got.isnan().any() and not expected.isnan().any():
        return f"got NaN: {short_repr(got)}"
    # torch.isclose applies assert_close's rule, |got - expected| <= atol + rtol * |expected|, without its cost:
    # torch >= 2.10's assert_close imports torch.distributed.tensor on its first call, over a second here.
    close = torch.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    message = f"expected {short_repr(expected)}, got {short_repr(got)}"
    if close.numel() > 1:
        worst = int((got - expected).abs().nan_to_num(nan=float("inf")).flatten().argmax())
        message += (
            f" ({int((~close).sum())} of {close.numel()} values differ; at index {worst} expected "
            f"{expected.flatten()[worst].item():.6g}, got {got.flatten()[worst].item():.6g})"
        )
    cause = next(
        (
            why
            for why, wrong in likely.items()
            if torch.allclose(got, torch.as_tensor(wrong, dtype=got.dtype), rtol, atol)
        ),
        None,
    )
    return f"{message}: {cause}" if cause else message


def common_mistakes(expected: torch.Tensor) -> dict[str, torch.Tensor]:
    return {
        "exactly twice the answer: gradients accumulated over two backward() calls; zero .grad in between": 2
        * expected,
        "the sign is flipped": -expected,
    }


def expect_like(
    got: Any, expected: Any, where: str, *, rtol: float = RTOL, atol: float = ATOL, likely: dict[str, Any] | None = None
) -> None:
    """Fail unless `got` matches `expected` (a tensor, numpy array, or tuple of them) in type, shape, dtype, value.

    likely: {cause: wrong value} for mistakes this exercise invites; for a tuple, a wrong tuple, item by item.
    """
    problem = type_problem(got, expected)
    if problem is None and isinstance(expected, tuple):
        for index, (got_item, expected_item) in enumerate(zip(got, expected)):
            item_likely = {why: wrong[index] for why, wrong in (likely or {}).items() if isinstance(wrong, tuple)}
            expect_like(got_item, expected_item, f"{where}[{index}]", rtol=rtol, atol=atol, likely=item_likely)
        return
    if problem is None:
        as_tensor = torch.from_numpy if isinstance(expected, np.ndarray) else torch.as_tensor
        expected_tensor = as_tensor(expected)
        mistakes = {**(likely or {}), **common_mistakes(expected_tensor)}
        problem = value_problem(as_tensor(got), expected_tensor, rtol, atol, mistakes)
    if problem:
        fail(f"{where}: {problem}")


def expect_call(
    solution: Solution, args: Sequence[Any], expected: Any, *, autograd: bool = True, **tolerances: Any
) -> Any:
    """Call the solution, check the result, and (where the task says 'by autograd') that autograd made it."""
    got = solution(*args)
    expect_like(got, expected, solution.call, **tolerances)
    if autograd:
        expect_autograd_ran(solution)
    return got


def expect_autograd_ran(solution: Solution) -> None:
    """After a right value: fail if the last call computed it without backward() or torch.autograd.grad."""
    if not solution.autograd_ran:
        fail(
            f"{solution.call}: the value is right, but autograd never ran; compute it with backward() "
            "or torch.autograd.grad, not by hand"
        )


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


# Functions that tests hand to solutions; named, so that failure messages name them.
def square(t: torch.Tensor) -> torch.Tensor:
    return t**2


def cube(t: torch.Tensor) -> torch.Tensor:
    return t**3


def step(t: torch.Tensor) -> torch.Tensor:
    """ReLU's derivative, 0 at 0 as autograd has it."""
    return (t > 0).to(t.dtype)
