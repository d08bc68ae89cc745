"""The boundary around learner code: import it lazily, call it, notice autograd, and keep torch's global state."""

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
import torch
from torch.overrides import TorchFunctionMode

from tests.kata.course import PACKAGES, ROOT, Exercise

AUTOGRAD_ENTRY_POINTS = frozenset({"backward", "grad"})


class TorchCallRecorder(TorchFunctionMode):
    """Counts the torch calls a solution makes and notes whether Tensor.backward or torch.autograd.grad ran,
    which proves autograd computed its result."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.autograd_ran = False

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.calls += 1
        if getattr(func, "__name__", None) in AUTOGRAD_ENTRY_POINTS:
            self.autograd_ran = True
        return func(*args, **(kwargs or {}))


def global_torch_state() -> dict[str, Any]:
    return {
        "grad mode": torch.is_grad_enabled(),
        "default dtype": torch.get_default_dtype(),
        "anomaly detection": torch.is_anomaly_enabled(),
    }


def restore_global_torch_state(state: dict[str, Any], rng: torch.Tensor) -> list[str]:
    """Put torch back as it was; return what had changed, for the learner to hear about."""
    changed = [f"{key} {state[key]} -> {value}" for key, value in global_torch_state().items() if value != state[key]]
    torch.set_grad_enabled(state["grad mode"])
    torch.set_default_dtype(state["default dtype"])
    torch.set_anomaly_enabled(state["anomaly detection"])
    torch.set_rng_state(rng)
    return changed


def frames(tb: TracebackType | None) -> list[tuple[str, int]]:
    """(file, line) of each frame of a traceback, outermost first; cheaper than traceback.extract_tb."""
    found = []
    while tb is not None:
        found.append((tb.tb_frame.f_code.co_filename, tb.tb_lineno))
        tb = tb.tb_next
    return found


LEARNER_FOLDERS = tuple(f"{ROOT / package}{os.sep}" for package in PACKAGES)


def learner_line(tb: TracebackType | None) -> str:
    """file:line of the innermost frame in exercises/ or reference/, where the learner can act."""
    for path, line in reversed(frames(tb)):
        if path.startswith(LEARNER_FOLDERS):
            return f"{Path(path).relative_to(ROOT).as_posix()}:{line}"
    return ""


def guarded(call: Callable[[], Any], who: str) -> Any:
    """Run learner code; fail its test with one line if it leaves torch's global state changed."""
    state, rng = global_torch_state(), torch.get_rng_state()
    try:
        result = call()
    except BaseException:
        restore_global_torch_state(state, rng)
        raise
    changed = restore_global_torch_state(state, rng)
    if changed:
        pytest.fail(
            f"{who} changed global torch state and left it so ({'; '.join(changed)}); "
            "change it inside a `with` block such as torch.no_grad() instead.",
            pytrace=False,
        )
    return result


class Solution:
    """An exercise's function (or class), called the way the checks need: guarded and watched for autograd."""

    def __init__(self, fn: Callable[..., Any], name: str | None = None) -> None:
        self.fn = fn
        # A custom autograd.Function is exercised through its apply, as torch code would use it.
        self.target = fn.apply if isinstance(fn, type) and issubclass(fn, torch.autograd.Function) else fn
        self.name = name or getattr(fn, "__name__", "solution")
        self.call = self.name
        self.autograd_ran = False
        self.torch_calls = 0

    def __call__(self, *args: Any) -> Any:
        self.call = f"{self.name}({', '.join(map(short_repr, args))})"
        with TorchCallRecorder() as recorder:
            result = guarded(lambda: self.target(*args), self.call)
        self.autograd_ran, self.torch_calls = recorder.autograd_ran, recorder.calls
        return result


def short_repr(value: Any) -> str:
    """A value as a failure message shows it: short, rounded, and a big tensor by its shape."""
    if isinstance(value, torch.Tensor):
        if value.numel() > 6:
            return f"tensor(shape={list(value.shape)}, dtype={value.dtype})"
        return f"tensor({rounded(value.detach().tolist())})"
    if isinstance(value, float):
        return repr(round(value, 4))
    return getattr(value, "__name__", None) or repr(value)


def rounded(value: Any) -> Any:
    return [rounded(item) for item in value] if isinstance(value, list) else round(value, 4)


def load(exercise: Exercise, package: str) -> Solution:
    """Import the exercise's module from `package` now, not at collection, so one broken file fails only its own."""
    relpath = exercise.relpath(package)
    problem = None
    try:
        module = guarded(lambda: importlib.import_module(f"{package}.{exercise.module}"), f"importing {relpath}")
    except SyntaxError as error:
        problem = f"{relpath}:{error.lineno}: SyntaxError: {error.msg}"
    except Exception as error:  # any error at import time is the learner's to see, in one line
        problem = f"{learner_line(error.__traceback__) or relpath}: {type(error).__name__}: {error}"
    if problem:
        pytest.fail(f"cannot import {relpath}: {problem}", pytrace=False)
    fn = getattr(module, exercise.name, None)
    if fn is None:
        pytest.fail(f"{relpath} has no `{exercise.name}`; was it renamed or deleted?", pytrace=False)
    return Solution(fn)
