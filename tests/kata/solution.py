"""The boundary around learner code: import it, call it, record which autograd made its result, keep torch as it was.

A learner's call runs under `AutogradRecorder`, a TorchFunctionMode that notes every autograd entry point the call
uses (reverse mode: `backward`, `torch.autograd.grad`, and everything built on them such as torch.func.grad or
torch.autograd.functional; forward mode: dual numbers, which torch.func.jvp and jacfwd make too) and counts its
torch calls. Asked to, it also scales every gradient autograd seeds by PROBE_SCALE: a result that autograd made
then changes, and one computed some other way beside an unrelated backward() does not.
"""

import contextlib
import copy
import functools
import importlib
import inspect
import linecache
import os
import signal
import sys
import threading
import types
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook
from torch.overrides import TorchFunctionMode, handle_torch_function

from tests.kata.course import PACKAGES, ROOT, Exercise

# The seed every backward pass and every tangent gets scaled by when a check probes where a result came from.
# Below 1, so that a learner's descent loop that converges still converges (slower) under the probe.
PROBE_SCALE = 0.5


def safe_str(value: Any, convert: Callable[[Any], str] = str) -> str:
    """str() (or repr()) of learner objects, whose own __str__ may raise."""
    try:
        return convert(value)
    except Exception as error:  # a learner's __str__ or __repr__ is learner code too
        return f"<{type(value).__name__} whose {convert.__name__}() raised {type(error).__name__}>"


def frames(tb: TracebackType | None) -> list[tuple[str, int]]:
    """(file, line) of each frame of a traceback, outermost first; cheaper than traceback.extract_tb."""
    found = []
    while tb is not None:
        found.append((tb.tb_frame.f_code.co_filename, tb.tb_lineno))
        tb = tb.tb_next
    return found


LEARNER_FOLDERS = tuple(f"{ROOT / package}{os.sep}" for package in PACKAGES)
TORCH_FOLDER = f"{Path(torch.__file__).parent}{os.sep}"
# What torch says about its own future, from its own code: not the learner's to act on.
TORCH_OWN = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def relative(path: str) -> str:
    return Path(path).relative_to(ROOT).as_posix() if path.startswith(str(ROOT)) else path


def learner_line(tb: TracebackType | None) -> str:
    """file:line of the innermost frame in exercises/ or reference/, where the learner can act."""
    for path, line in reversed(frames(tb)):
        if path.startswith(LEARNER_FOLDERS):
            return f"{relative(path)}:{line}"
    return ""


def learner_frame(frame: FrameType | None) -> FrameType | None:
    """The innermost frame of learner code on a live stack."""
    while frame is not None and not frame.f_code.co_filename.startswith(LEARNER_FOLDERS):
        frame = frame.f_back
    return frame


# ---- Process-wide state a learner's call must leave as it found it ----------------------------------------------


def default_device() -> torch.device:
    # A new tensor tells on every torch version, and faster than torch.get_default_device (torch >= 2.3).
    return torch.empty(0).device


def print_options() -> dict[str, Any]:
    return dict(vars(torch._tensor_str.PRINT_OPTS))


# name: (read it, put it back). Cheap enough to compare after every call.
GLOBAL_STATE: dict[str, tuple[Callable[[], Any], Callable[[Any], Any]]] = {
    "grad mode": (torch.is_grad_enabled, torch.set_grad_enabled),
    "default dtype": (torch.get_default_dtype, torch.set_default_dtype),
    "anomaly detection": (torch.is_anomaly_enabled, torch.set_anomaly_enabled),
    "default device": (default_device, torch.set_default_device),
    "threads": (torch.get_num_threads, torch.set_num_threads),
    "deterministic algorithms": (torch.are_deterministic_algorithms_enabled, torch.use_deterministic_algorithms),
    "print options": (print_options, lambda options: torch.set_printoptions(**options)),
}


def global_torch_state() -> dict[str, Any]:
    return {name: read() for name, (read, _) in GLOBAL_STATE.items()}


def restore_global_torch_state(state: dict[str, Any], rng: torch.Tensor) -> list[str]:
    """Put torch back as it was; return what had changed, for the learner to hear about."""
    changed = []
    for name, value in global_torch_state().items():
        if value != state[name]:
            changed.append(f"{name} {state[name]} -> {value}")
            GLOBAL_STATE[name][1](state[name])
    torch.set_rng_state(rng)
    return changed


# Namespaces whose functions a learner might replace (torch.sin = ..., torch.Tensor.backward = ...), by name.
PATCHABLE = {
    "torch": torch,
    "torch.Tensor": torch.Tensor,
    "torch.nn.functional": torch.nn.functional,
    "torch.autograd": torch.autograd,
    "torch.func": torch.func,
    "torch.nn.Module": torch.nn.Module,
}


def learner_made(value: Any) -> bool:
    """Whether a value comes from learner code: a function or class defined in exercises/ or reference/.

    Data (torch.pi = 3) counts too; what torch itself puts in place does not: a submodule that a lazy import
    loads, a function torch._dynamo wraps when it is first imported.
    """
    if isinstance(value, types.ModuleType):
        return False
    if not callable(value):
        return True
    code = getattr(inspect.unwrap(getattr(value, "__func__", value)), "__code__", None)
    return code is not None and code.co_filename.startswith(LEARNER_FOLDERS)


# SIGINT is left out: a worker ignores it, the terminal's Ctrl-C being the parent's, and the debugger sets its own.
WATCHED_SIGNALS = [getattr(signal, name) for name in ("SIGALRM", "SIGTERM", "SIGCHLD") if hasattr(signal, name)]


def blocked_signals() -> set[int]:
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, [])) if hasattr(signal, "pthread_sigmask") else set()


def environment() -> dict[Any, Any]:
    """The environment variables, but pytest's own PYTEST_CURRENT_TEST, set and removed around each test, and
    torch's own TORCH*, which its lazily imported parts set (TORCHINDUCTOR_CACHE_DIR). Read from os.environ's
    encoded mapping: iterating os.environ itself decodes every entry, a tenth of a millisecond each time."""
    data = getattr(os.environ, "_data", os.environ)
    encode = getattr(os.environ, "encodekey", str)
    pytest_own, torch_own = encode("PYTEST_CURRENT_TEST"), encode("TORCH")
    return {key: value for key, value in data.items() if key != pytest_own and not key.startswith(torch_own)}


def process_facts() -> dict[str, Any]:
    """Process-wide state beyond torch's that later code relies on; learner code should leave it as it was."""
    return {
        "torch": global_torch_state(),
        "signal handlers": {int(sig): signal.getsignal(sig) for sig in WATCHED_SIGNALS},
        "blocked signals": blocked_signals(),
        "recursion limit": sys.getrecursionlimit(),
        "environment": environment(),
        "sys.path": list(sys.path),
        "working directory": os.getcwd(),
        "trace or profile function": (sys.gettrace(), sys.getprofile()),
        "warning filters": list(warnings.filters),
    }


class ProcessWatch:
    """What learner code may not leave behind: replaced torch functions, threads still running, process state."""

    def __init__(self) -> None:
        # Each namespace's names and values as tuples: made, and compared by identity, in C.
        self.namespaces = [
            (prefix, namespace, tuple(vars(namespace)), tuple(vars(namespace).values()))
            for prefix, namespace in PATCHABLE.items()
        ]
        self.threads = set(threading.enumerate())
        self.facts = process_facts()

    def replaced(self, undo: bool) -> list[str]:
        """Which torch functions learner code replaced (or added), put back as they were if `undo`."""
        found = []
        for prefix, namespace, names, values in self.namespaces:
            now = vars(namespace)
            with contextlib.suppress(Exception):  # a value whose == raises (a tensor) counts as changed
                if tuple(now) == names and tuple(now.values()) == values:
                    continue
            before = dict(zip(names, values))
            for name, value in before.items():
                if name.startswith("__"):  # __warningregistry__ and friends: Python's, not the learner's
                    continue
                if now.get(name, None) is not value and (name not in now or learner_made(now[name])):
                    found.append(f"{prefix}.{name}")
                    if undo:
                        setattr(namespace, name, value)
            added = [
                name for name in now.keys() - before.keys() if not name.startswith("__") and learner_made(now[name])
            ]
            for name in added:
                found.append(f"{prefix}.{name}")
                if undo:
                    delattr(namespace, name)
        return found

    def running(self) -> list[str]:
        return [t.name for t in threading.enumerate() if t not in self.threads and t.is_alive()]

    def left_behind(self) -> str:
        """After a test: undo what learner code replaced in torch, and say what it left behind, or ''."""
        replaced, running = self.replaced(undo=True), [name for name in self.running()]
        problems = [f"it replaced {', '.join(replaced)} and left it so"] if replaced else []
        if running:
            problems.append(f"a thread it started is still running ({', '.join(running)}): join it before returning")
        return "; ".join(problems)

    def tainted(self) -> list[str]:
        """After an exercise: everything in the process that is not as it was, for the worker to be replaced."""
        now = process_facts()
        changed = [name for name, value in self.facts.items() if now[name] != value]
        return changed + self.replaced(undo=False) + [f"thread {name}" for name in self.running()]


# ---- Learner code that stops the process, and Ctrl-C --------------------------------------------------------------


STUB_RAISE = "raise NotImplementedError"


class StubRaised(BaseException):
    """A stub's own `raise NotImplementedError`, carried past the tests' handlers (NotImplementedError is a
    RuntimeError) to the plugin, which reads the exercise as todo."""

    def __init__(self, error: NotImplementedError) -> None:
        super().__init__(str(error))
        self.error = error


def stub_raised(error: BaseException) -> bool:
    """Whether a NotImplementedError came from a stub's own raise line in exercises/ or reference/."""
    path, line = frames(error.__traceback__)[-1]
    return path.startswith(LEARNER_FOLDERS) and linecache.getline(path, line).strip() == STUB_RAISE


class LearnerStopped(Exception):
    """Learner code raised SystemExit or KeyboardInterrupt: that ends its own exercise, not the kata's run."""


class CtrlC:
    """Tells a KeyboardInterrupt from the terminal's Ctrl-C (which stops the run) from one that learner code raised."""

    pressed = False

    @classmethod
    def install(cls) -> None:
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is (
            signal.default_int_handler
        ):
            signal.signal(signal.SIGINT, cls.handle)

    @classmethod
    def handle(cls, signum, frame) -> None:
        cls.pressed = True
        raise KeyboardInterrupt


def stopped(error: BaseException, who: str) -> LearnerStopped:
    where = learner_line(error.__traceback__)
    at = f" at {where}" if where else ""
    if isinstance(error, SystemExit):
        how = f"exit({safe_str(error.code, repr)})" if error.code is not None else "exit()"
        return LearnerStopped(f"{who} called {how}{at} (SystemExit): return a value instead; exit() ends a script")
    return LearnerStopped(f"{who} raised KeyboardInterrupt{at}: the kata stops only for Ctrl-C at the terminal")


# ---- Running learner code ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def warnings_at_learner_lines() -> Iterator[None]:
    """Re-issue the warnings learner code triggers at the learner's own line, not inside torch or the kata."""
    caught: list[tuple[warnings.WarningMessage, dict[str, Any] | None]] = []

    def collect(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, TORCH_OWN) and filename.startswith(TORCH_FOLDER):
            return  # torch's own business on first use of a feature (forward AD warns of torch.jit.script)
        frame = None if filename.startswith(LEARNER_FOLDERS) else learner_frame(sys._getframe(1))
        if frame is not None:  # where the learner's code is now, not where its frame will have moved on to
            filename, lineno = frame.f_code.co_filename, frame.f_lineno
        caught.append((warnings.WarningMessage(message, category, filename, lineno), frame and frame.f_globals))

    with warnings.catch_warnings():
        warnings.showwarning = collect
        try:
            yield
        finally:
            warnings.showwarning = warnings._showwarning_orig  # caught ones go on through the outer handler
    for warning, module_globals in caught:
        registry = module_globals.setdefault("__warningregistry__", {}) if module_globals else None
        module = module_globals.get("__name__") if module_globals else None
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno, module, registry)


def guarded(call: Callable[[], Any], who: str) -> Any:
    """Run learner code; fail its test with one line if it leaves torch's global state changed.

    SystemExit and a KeyboardInterrupt that no Ctrl-C caused become LearnerStopped: the learner's own error.
    """
    state, rng = global_torch_state(), torch.get_rng_state()
    try:
        with warnings_at_learner_lines():
            result = call()
    except (SystemExit, KeyboardInterrupt) as error:
        restore_global_torch_state(state, rng)
        if isinstance(error, KeyboardInterrupt) and CtrlC.pressed:
            raise
        raise stopped(error, who) from None
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


# ---- What autograd the learner's call used ----------------------------------------------------------------------


@dataclass(frozen=True)
class AutogradCall:
    """One use of an autograd entry point: which, in which mode, and with which options."""

    api: str  # "backward", "autograd.grad", "dual number", "retain_grad", "optimizer.step"
    mode: str = ""  # "reverse" or "forward" for the calls that differentiate, else ""
    retain_graph: bool = False  # or create_graph, which retains it too
    batched: bool = False  # seeds for a batch of rows at once (jacrev, jacfwd, is_grads_batched): a pass per row
    vmapped: bool = False  # a pass through a function vmapped over points (vmap(grad(f))): a pass per point
    detail: str = ""  # the optimizer's class, for optimizer.step


def scaled(value: Any) -> Any:
    return value * PROBE_SCALE


def as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, torch.Tensor) or value is None else list(value)


def seed_roots(roots: Any, seeds: Any) -> tuple[list[Any], list[Any]]:
    """Scale each root's seed: an explicit one, or (with none given) the root itself, so that implicit ones stay
    implicit: an explicit gradient makes torch import sympy on first use, about a second."""
    roots, seeds = as_list(roots), as_list(seeds)
    seeds = seeds if len(seeds) == len(roots) else [None] * len(roots)
    return (
        [root if seed is not None else scaled(root) for root, seed in zip(roots, seeds)],
        [scaled(seed) if seed is not None else None for seed in seeds],
    )


FUNCTORCH = torch._C._functorch  # the C side of torch.func, the only way to see inside its wrapped tensors


def batched(*values: Any) -> bool:
    """Whether any of these tensors (or lists of them) is batched by torch.func.vmap, under whatever wrappers."""
    for value in values:
        for tensor in [value] if isinstance(value, torch.Tensor) else list(value or ()):
            while isinstance(tensor, torch.Tensor) and FUNCTORCH.is_functorch_wrapped_tensor(tensor):
                if FUNCTORCH.is_batchedtensor(tensor):
                    return True
                tensor = FUNCTORCH.get_unwrapped(tensor)
    return False


def bound(func: Callable[..., Any], args: tuple, kwargs: dict) -> inspect.BoundArguments:
    arguments = inspect.signature(func).bind(*args, **kwargs)
    arguments.apply_defaults()
    return arguments


def tensor_backward(recorder: "AutogradRecorder", args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    call = bound(torch.Tensor.backward, args, kwargs).arguments
    recorder.note(
        AutogradCall(
            "backward",
            "reverse",
            bool(call["retain_graph"] or call["create_graph"]),
            batched=batched(call["gradient"]),
            vmapped=batched(call["self"]),
        ),
    )
    if recorder.probing:
        (root,), (seed,) = seed_roots(call["self"], call["gradient"])
        call["self"], call["gradient"] = root, seed
    return (), call


def autograd_backward(recorder: "AutogradRecorder", args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    call = bound(torch.autograd.backward, args, kwargs).arguments
    recorder.note(AutogradCall("backward", "reverse", bool(call["retain_graph"] or call["create_graph"])))
    if recorder.probing:
        call["tensors"], call["grad_tensors"] = seed_roots(call["tensors"], call["grad_tensors"])
    return (), call


def autograd_grad(recorder: "AutogradRecorder", args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    call = bound(torch.autograd.grad, args, kwargs).arguments
    seeds = call["grad_outputs"]
    recorder.note(
        AutogradCall(
            "autograd.grad",
            "reverse",
            bool(call["retain_graph"] or call["create_graph"]),
            batched=bool(call["is_grads_batched"]) or batched(seeds),
            vmapped=batched(call["outputs"]),
        )
    )
    if recorder.probing:
        call["outputs"], call["grad_outputs"] = seed_roots(call["outputs"], seeds)
    return (), call


def make_dual(recorder: "AutogradRecorder", args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """torch._make_dual(tensor, tangent, *, level): how forward_ad.make_dual, torch.func.jvp and jacfwd start."""
    tensor, tangent = (*args, None, None)[:2]
    tangent = kwargs.pop("tangent", tangent)
    recorder.note(
        AutogradCall(
            "dual number",
            "forward",
            batched=batched(tangent),
            vmapped=batched(tensor),
        )
    )
    if recorder.probing:
        tangent = scaled(tangent)
    return (tensor, tangent), kwargs


def retain_grad(recorder: "AutogradRecorder", args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    recorder.note(AutogradCall("retain_grad"))
    return args, kwargs


def shown_to_modes(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, or where it skips TorchFunctionModes, a wrapper that routes it through the active one.

    torch.autograd.backward does so before torch 2.2 (Tensor.backward and torch.autograd.grad never did): the
    recorder would miss a learner's torch.autograd.backward(y) there.
    """
    if "handle_torch_function" in function.__code__.co_names:
        return function

    @functools.wraps(function)
    def routed(*args: Any, **kwargs: Any) -> Any:
        if torch._C._is_torch_function_mode_enabled():  # modes see `routed`: it is torch.autograd.backward now
            return handle_torch_function(routed, (), *args, **kwargs)
        return function(*args, **kwargs)

    return routed


torch.autograd.backward = shown_to_modes(torch.autograd.backward)
ENTRY_POINTS = {
    torch.Tensor.backward: tensor_backward,
    torch.autograd.backward: autograd_backward,
    torch.autograd.grad: autograd_grad,
    torch._make_dual: make_dual,
    torch.Tensor.retain_grad: retain_grad,
}


@dataclass(frozen=True)
class TorchOp:
    """One torch call learner code made: the function's __name__ ("pow", "detach", "softplus") and whether grad
    mode was on (off inside torch.no_grad())."""

    name: str
    grad_enabled: bool


class AutogradRecorder(TorchFunctionMode):
    """Counts the torch calls learner code makes and notes its autograd calls; probing, scales their seeds."""

    def __init__(self, probing: bool = False) -> None:
        super().__init__()
        self.probing = probing
        self.autograd: list[AutogradCall] = []
        self.ops: list[TorchOp] = []

    @property
    def torch_calls(self) -> int:
        return len(self.ops)

    def note(self, call: AutogradCall) -> None:
        self.autograd.append(call)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.ops.append(TorchOp(getattr(func, "__name__", ""), torch.is_grad_enabled()))
        kwargs = kwargs or {}
        entry_point = ENTRY_POINTS.get(func)
        if entry_point is not None:
            args, kwargs = entry_point(self, args, kwargs)
        return func(*args, **kwargs)

    @contextlib.contextmanager
    def watching_optimizers(self) -> Iterator[None]:
        """Note each optimizer step, whatever optimizer: torch.optim keeps global hooks for that."""
        handle = register_optimizer_step_pre_hook(
            lambda optimizer, args, kwargs: self.note(AutogradCall("optimizer.step", detail=type(optimizer).__name__))
        )
        try:
            yield
        finally:
            handle.remove()


# ---- The caller's inputs -----------------------------------------------------------------------------------------


@dataclass
class Kept:
    """A tensor as the caller passed it: its values, whether it required grad, its .grad."""

    tensor: torch.Tensor
    values: torch.Tensor
    requires_grad: bool
    grad: torch.Tensor | None

    @classmethod
    def of(cls, tensor: torch.Tensor) -> "Kept":
        grad = tensor.grad if tensor.is_leaf else None
        with torch.no_grad():
            return cls(tensor, tensor.detach().clone(), tensor.requires_grad, None if grad is None else grad.clone())

    def change(self) -> str:
        """How the tensor differs from when it was kept, in words a learner can act on; '' if it does not."""
        now = self.tensor
        if now.requires_grad != self.requires_grad:
            return f"requires_grad {self.requires_grad} -> {now.requires_grad} (requires_grad_() on it, not on a copy)"
        same_nans = now.shape == self.values.shape and torch.equal(now.detach().isnan(), self.values.isnan())
        if not same_nans or not torch.equal(now.detach().nan_to_num(), self.values.nan_to_num()):
            return "its values changed (an in-place operation such as x += ... or x[i] = ... on it?)"
        grad = now.grad if now.is_leaf else None
        if (grad is None) != (self.grad is None) or (grad is not None and not torch.equal(grad, self.grad)):
            return (
                f".grad {'None -> set' if self.grad is None else 'changed'} (backward() writes into the .grad of "
                "the leaves it reaches; torch.autograd.grad returns gradients and writes no .grad)"
            )
        return ""

    def fresh(self) -> torch.Tensor:
        """A copy as the caller first passed it, for calling the solution again."""
        copy_ = self.values.clone().requires_grad_(self.requires_grad)
        if self.grad is not None:
            copy_.grad = self.grad.clone()
        return copy_


def named_tensors(names: list[str], args: tuple) -> Iterator[tuple[str, torch.Tensor]]:
    """Each tensor among the arguments, one level into lists and tuples, with the name a message calls it by."""
    for name, value in zip(names, args):
        if isinstance(value, torch.Tensor):
            yield name, value
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                if isinstance(item, torch.Tensor):
                    yield f"{name}[{index}]", item


class Inputs:
    """The arguments of one call, kept so that a check can tell what the call changed and call it again afresh."""

    def __init__(self, names: list[str], args: tuple) -> None:
        self.args = args
        self.kept = {name: Kept.of(tensor) for name, tensor in named_tensors(names, args)}
        # A module the call is given is made afresh as a copy of itself before the call.
        self.module_copies = {id(value): copy.deepcopy(value) for value in args if isinstance(value, torch.nn.Module)}
        # A tensor with a graph behind it (not a leaf) cannot be made afresh; nor can a list the call may change.
        self.repeatable = all(kept.tensor.is_leaf for kept in self.kept.values())

    def changes(self) -> list[str]:
        return [f"{name}: {change}" for name, kept in self.kept.items() if (change := kept.change())]

    def fresh(self) -> tuple:
        by_id = {id(kept.tensor): kept for kept in self.kept.values()}

        def renew(value: Any) -> Any:
            if isinstance(value, torch.Tensor):
                return by_id[id(value)].fresh()
            if isinstance(value, (list, tuple)):
                return type(value)(renew(item) for item in value)
            return copy.copy(value) if isinstance(value, (dict, set)) else value

        return tuple(
            copy.deepcopy(self.module_copies[id(value)]) if id(value) in self.module_copies else renew(value)
            for value in self.args
        )


# ---- The solution under test ------------------------------------------------------------------------------------


def short_repr(value: Any, digits: int = 4) -> str:
    """A value as a failure message shows it: short, rounded, a big tensor by its shape; dtype when not float32."""
    if isinstance(value, torch.Tensor):
        dtype = "" if value.dtype == torch.float32 else f", dtype={value.dtype}"
        if value.numel() > 6:
            return f"tensor(shape={list(value.shape)}{dtype})"
        return f"tensor({rounded(value.detach().tolist(), digits)}{dtype})"
    if isinstance(value, float):
        return repr(round(value, digits))
    if isinstance(value, (torch.nn.Module, torch.optim.Optimizer)):  # their reprs run over many lines
        return f"{type(value).__name__}(...)"
    if isinstance(value, (list, tuple)) and len(value) <= 6:
        items = ", ".join(short_repr(item, digits) for item in value)
        return f"[{items}]" if isinstance(value, list) else f"({items}{',' if len(value) == 1 else ''})"
    return getattr(value, "__name__", None) or safe_str(value, repr)


def rounded(value: Any, digits: int) -> Any:
    if isinstance(value, list):
        return [rounded(item, digits) for item in value]
    return round(value, digits) if isinstance(value, float) else value


@dataclass
class Solution:
    """An exercise's function (or class), called the way the checks need: guarded, its autograd recorded."""

    fn: Callable[..., Any]
    name: str = ""
    call: str = field(init=False)  # the last call as a message shows it
    autograd: list[AutogradCall] = field(init=False, default_factory=list)
    ops: list[TorchOp] = field(init=False, default_factory=list)
    inputs: Inputs | None = field(init=False, default=None)
    probed: bool = field(init=False, default=False)  # whether a check has already probed where a result came from

    def __post_init__(self) -> None:
        self.name = self.name or getattr(self.fn, "__name__", "solution")
        self.call = self.name
        # A custom autograd.Function is exercised through its apply, as torch code would use it.
        self.target = self.fn.apply if is_function_class(self.fn) else self.fn
        self.parameters = parameter_names(self.fn.forward if is_function_class(self.fn) else self.fn)

    def __call__(self, *args: Any) -> Any:
        self.call = f"{self.name}({', '.join(map(short_repr, args))})"
        self.inputs = Inputs(self.parameters, args)
        result, self.autograd, self.ops = self.run(args)
        return result

    @property
    def torch_calls(self) -> int:
        return len(self.ops)

    def run(self, args: tuple, probing: bool = False) -> tuple[Any, list[AutogradCall], list[TorchOp]]:
        recorder = AutogradRecorder(probing)

        def recorded() -> Any:
            with recorder, recorder.watching_optimizers():
                return self.target(*args)

        try:
            result = guarded(recorded, self.call)
        except NotImplementedError as error:
            if stub_raised(error):  # past any `except Exception` in the test, so that it reads as todo
                raise StubRaised(error) from error
            raise
        return result, recorder.autograd, recorder.ops

    def again_probing(self) -> Any:
        """The last call once more, on fresh copies of its inputs, with every autograd seed scaled by PROBE_SCALE.

        Raises LookupError when the inputs cannot be made afresh (a tensor with a graph behind it).
        """
        if self.inputs is None or not self.inputs.repeatable:
            raise LookupError("the inputs cannot be made afresh")
        self.probed = True
        return self.run(self.inputs.fresh(), probing=True)[0]


def is_function_class(fn: Any) -> bool:
    return isinstance(fn, type) and issubclass(fn, torch.autograd.Function)


def parameter_names(fn: Callable[..., Any]) -> list[str]:
    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return [f"argument {index}" for index in range(16)]
    names = names[1:] if names[:1] == ["ctx"] else names
    return names + [f"argument {index}" for index in range(len(names), 16)]


# ---- Importing learner code -------------------------------------------------------------------------------------


class TimedOut(pytest.fail.Exception):
    """Learner code that was still running when its time was up: status timeout."""

    def __init__(self, message: str) -> None:
        super().__init__(message, pytrace=False)


@contextlib.contextmanager
def time_limit(seconds: float, stopped: Callable[[], str]) -> Iterator[None]:
    """Stop the code inside with TimedOut(stopped()) after `seconds`, where SIGALRM exists; 0 means no limit."""
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise TimedOut(stopped())

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def time_limit_of(item: pytest.Item) -> float:
    """The item's pytest-timeout limit in seconds: its timeout marker, else the ini's; 0 for none."""
    marker = item.get_closest_marker("timeout")
    if marker is not None and (marker.args or "timeout" in marker.kwargs):
        return float(marker.args[0] if marker.args else marker.kwargs["timeout"])
    return import_limit(item.config)


def import_limit(config: pytest.Config) -> float:
    """The limit on importing a learner's module: the ini's timeout, since no test's marker applies yet."""
    return float(config.getini("timeout") or 0)


class SolutionImported(ImportError):
    """Learner code imported the other side's solutions."""


class SolutionsRefused:
    """An import hook: learner code in exercises/ may not import the instructor's reference/, and vice versa."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.refused = next(other for other in PACKAGES if other != package)

    def find_spec(self, name: str, path=None, target=None) -> None:
        if name.partition(".")[0] != self.refused:
            return None
        frame = learner_frame(sys._getframe(1))
        if frame is not None and frame.f_code.co_filename.startswith(str(ROOT / self.package)):
            where = f"{relative(frame.f_code.co_filename)}:{frame.f_lineno}"
            statement = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip() or f"import {name}"
            why = f"solutions from {self.refused}/ don't count; write your own"
            raise SolutionImported(f"{where}: `{statement}`: {why}")
        return None


def undecodable_line(path: Path) -> tuple[int, str] | None:
    """Where a file stops being UTF-8: its line and the bytes there, or None for a UTF-8 file."""
    try:
        data = path.read_bytes()
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return data.count(b"\n", 0, error.start) + 1, data[error.start : error.start + 2].hex(" ")
    except OSError:
        return None
    return None


def import_problem(error: BaseException, relpath: str) -> str:
    """An import-time error as one line that names the learner's file and line."""
    if isinstance(error, SyntaxError):
        path = Path(error.filename or ROOT / relpath)
        where = relative(str(path))
        bad = undecodable_line(path)
        if bad:
            return f"{where}:{bad[0]} is not UTF-8 (bytes {bad[1]}; saved as cp1252?): save the file as UTF-8"
        return f"{where}:{error.lineno}: SyntaxError: {error.msg}"
    if isinstance(error, (LearnerStopped, SolutionImported, TimedOut)):
        return str(error)
    return f"{learner_line(error.__traceback__) or relpath}: {type(error).__name__}: {safe_str(error)}"


IMPORT_PROBLEMS: dict[str, pytest.fail.Exception] = {}  # module -> why it cannot be imported: tried once a run


def module_name(exercise: Exercise, package: str) -> str:
    return f"{package}.{exercise.module}"


def import_tried(exercise: Exercise, package: str) -> bool:
    """Whether the exercise's module was imported, or failed to import, already in this process."""
    name = module_name(exercise, package)
    return name in sys.modules or name in IMPORT_PROBLEMS


def import_module(exercise: Exercise, package: str, limit: float = 0) -> Any:
    """The learner's module, imported once a run; a module that failed to import fails every later try at once."""
    name, relpath = module_name(exercise, package), exercise.relpath(package)
    if name in sys.modules:  # imported by an earlier test: no learner code runs again, nothing to guard
        return sys.modules[name]
    if name not in IMPORT_PROBLEMS:
        try:
            with time_limit(limit, lambda: f"still running after {limit:g} s while importing {relpath}"):
                return guarded(lambda: importlib.import_module(name), f"importing {relpath}")
        except TimedOut as error:
            where = learner_line(error.__traceback__)
            stopped = f", stopped at {where}" if where else ""
            IMPORT_PROBLEMS[name] = TimedOut(f"{error}{stopped}: an endless loop at the module's top level?")
        except (Exception, pytest.fail.Exception) as error:  # the learner's to see, in one line
            IMPORT_PROBLEMS[name] = pytest.fail.Exception(
                f"cannot import {relpath}: {import_problem(error, relpath)}", pytrace=False
            )
    raise IMPORT_PROBLEMS[name]


def load(exercise: Exercise, package: str, limit: float = 0) -> Solution:
    """The exercise's function, imported from `package` now, not at collection: a broken file fails only its own."""
    fn = getattr(import_module(exercise, package, limit), exercise.name, None)
    if fn is None:
        pytest.fail(f"{exercise.relpath(package)} has no `{exercise.name}`; was it renamed or deleted?", pytrace=False)
    return Solution(fn)


@contextlib.contextmanager
def own_backward_watched(function: type, calls: list[AutogradCall]) -> Iterator[None]:
    """While active, the autograd calls a custom Function's own backward makes are noted in `calls`."""
    original = function.__dict__.get("backward")
    backward = function.backward

    def watched(ctx, *grads):
        with AutogradRecorder() as recorder:
            try:
                return backward(ctx, *grads)
            finally:
                calls.extend(recorder.autograd)

    function.backward = staticmethod(watched)
    try:
        yield
    finally:
        if original is None:
            del function.backward
        else:
            function.backward = original
