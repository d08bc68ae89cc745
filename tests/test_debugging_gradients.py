"""Module 12, debugging gradients: NaN-free backward passes (run under anomaly mode, so that a NaN cleaned afterwards
still shows), the node anomaly mode blames for an in-place error, gradient norms per stage, clipping."""

import contextlib
import re
import warnings
from collections.abc import Callable, Iterator

import pytest
import torch

from tests.kata.checks import (
    NearMiss,
    beside_backward,
    expect_call,
    expect_inputs_untouched,
    expect_like,
    expect_made_by_autograd,
    fail,
    passes,
    random_tensor,
    rejects,
    reverse_mode,
    slope_by_autograd,
)
from tests.kata.solution import short_repr

# torch < 2.3 or so warns from torch/autograd/__init__.py during backward() (anomaly mode's "Error detected in ..."),
# which gives torch.autograd a __warningregistry__ on the first warning. Made here, before any test, so that the
# kata's watch over torch's namespaces does not take it for something the learner's code put there.
vars(torch.autograd).setdefault("__warningregistry__", {})


@contextlib.contextmanager
def anomaly_mode() -> Iterator[None]:
    """torch.autograd.detect_anomaly(), quiet: its warnings say what the failure message says already."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Anomaly Detection has been enabled")
        warnings.filterwarnings("ignore", "Error detected in")
        with torch.autograd.detect_anomaly():
            yield


def nan_made_in_backward(run: Callable[[], object]) -> str:
    """Run `run()` under anomaly mode: the first line of the NaN error it stops at, or '' if none."""
    with anomaly_mode():
        try:
            run()
        except RuntimeError as error:  # NotImplementedError is one too: a stub's goes on
            if "nan values" not in str(error):
                raise
            return str(error).splitlines()[0]
    return ""


def masked_symptom(made: str, fix: str) -> str:
    return (
        f"the value is right, but backward made a NaN on the way (anomaly mode: {made}) that something later "
        f"dropped (nan_to_num or a hook on the gradient, or a where on its way back): that hides the symptom; "
        f"{fix}, so that no NaN is made"
    )


# ---- xlogx_gradient -----------------------------------------------------------------------------------------

SAFE_LOG = "give log a safe input where x ≤ 0, one where log and its slope are finite: torch.where(x > 0, x, 1.0)"
NAN_THROUGH_WHERE = (
    "torch.where gives the branch it did not take a zero gradient, but that branch's backward still runs, and "
    f"0 · (log's NaN slope at x < 0) is NaN: {SAFE_LOG}"
)
LOG_AT_ZERO = (
    "log(0) is −∞ with slope ∞, and 0 · ∞ is NaN: the safe input must leave out 0 (x > 0, not x ≥ 0 or |x|) "
    "and must not be 0 itself"
)


def xlogx_points() -> list[torch.Tensor]:
    """Points below, at and above 0: fixed float32 ones with tiny ones beside 0, and seeded-random float64 ones."""
    mixed = random_tensor(7, seed=121, dtype=torch.float64)
    mixed[::3] = 0.0
    return [torch.tensor([-1.0, 0.0, 0.5, 1.0, 2.0]), torch.tensor([-2.5, -1e-3, 0.0, 1e-3, 3.0]), mixed]


def safe_log(x: torch.Tensor) -> torch.Tensor:
    return torch.where(x > 0, torch.log(torch.where(x > 0, x, 1.0)), 0.0)


def expect_no_nan_at(solution, got, x: torch.Tensor, cause_at_zero: str, cause_elsewhere: str) -> None:
    """Fail, naming the points, if the result has NaN where the answer has none."""
    if not isinstance(got, torch.Tensor) or got.shape != x.shape or not got.isnan().any():
        return
    at = x[got.isnan()]
    cause = cause_at_zero if bool((at == 0).all()) else cause_elsewhere
    fail(f"{solution.call}: got NaN at x = {short_repr(at)}, expected 0 there: {cause}")


@pytest.mark.exercise("debugging_gradients.xlogx_gradient")
@pytest.mark.timeout(60)  # a solution's first torch.func call imports torch._dynamo: seconds, once
def test_xlogx_gradient(solution):
    backward_pass = reverse_mode("the NaN a backward pass makes through torch.where (forward mode makes none)")
    for x in xlogx_points():
        expected = torch.where(x > 0, safe_log(x) + 1, 0.0)
        got = solution(x)
        expect_no_nan_at(solution, got, x, LOG_AT_ZERO, NAN_THROUGH_WHERE)
        expect_like(
            got,
            expected,
            solution.call,
            likely={
                "log x, without the + 1: the product rule gives log x + x · (1/x)": safe_log(x),
                "f(x) = x · log x itself, not its slope": x * safe_log(x),
            },
        )
        expect_inputs_untouched(solution)
        expect_made_by_autograd(solution, got, expected)
        backward_pass.expect(solution)
    # Once, on the first points (below, at and above 0): anomaly mode keeps a traceback for every op, not cheap.
    x = xlogx_points()[0]
    made = nan_made_in_backward(lambda: solution(x))
    if made:
        fail(f"{solution.call}: {masked_symptom(made, SAFE_LOG)}")


# ---- safe_norm ----------------------------------------------------------------------------------------------

SAFE_SQRT = "make a zero row safe before √ (torch.where), or use torch.linalg.vector_norm, whose gradient at 0 is 0"


def norm_cases() -> list[torch.Tensor]:
    """(n, d) tensors with zero rows: fixed float32, seeded-random float64 and float32, tiny float64 rows."""
    fixed = torch.tensor([[3.0, 4.0], [0.0, 0.0], [1.0, -2.0]])
    wide = random_tensor(4, 3, seed=122, dtype=torch.float64)
    wide[1] = 0.0
    long = random_tensor(3, 5, seed=123)
    long[0] = 0.0
    long[2] = 0.0
    tiny = torch.tensor([[1e-3, -2e-3], [0.0, 0.0]], dtype=torch.float64)
    return [fixed, wide, long, tiny]


def unit_rows(v: torch.Tensor) -> torch.Tensor:
    """vᵢ / ‖vᵢ‖ for each non-zero row, 0 for a zero row."""
    norms = torch.linalg.vector_norm(v, dim=1, keepdim=True)
    return torch.where(norms > 0, v / norms.clamp(min=torch.finfo(v.dtype).tiny), 0.0)


def expect_differentiable_norms(solution, got, v: torch.Tensor, norms: torch.Tensor) -> None:
    if not isinstance(got, torch.Tensor):
        fail(f"{solution.call}: got {type(got).__name__} {short_repr(got)}, expected a torch.Tensor")
    if not got.requires_grad:
        fail(
            f"{solution.call}: the result does not require grad, so the caller cannot differentiate it: build it "
            "from v, without detach() or torch.no_grad()"
        )
    values = got.detach()
    zero = norms == 0
    if values.shape == norms.shape and zero.any() and (values[zero].abs() > 1e-7).any():
        fail(
            f"{solution.call}: a zero row's norm came back as {short_repr(values[zero])}, not 0: an ε added inside "
            "√ shifts every norm (by √ε at a zero row); make the zero rows safe for √ instead"
        )
    expect_like(values, norms, solution.call, likely={"the squared norms Σⱼ vᵢⱼ², without the √": norms**2})


def caller_gradient(solution, got, leaf: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """What the caller's backward through the result gives v, for the outputs weighted by `weights`."""
    try:  # the weighted sum's gradient, not grad_outputs=weights: an explicit seed makes torch import sympy
        (gradient,) = torch.autograd.grad((got * weights).sum(), leaf)
    except RuntimeError as error:
        if "not have been used in the graph" not in str(error):
            raise
        fail(
            f"{solution.call}: the caller's backward from the result does not reach v: it was built from a copy "
            "of v; build it from v itself"
        )
    return gradient


@pytest.mark.exercise("debugging_gradients.safe_norm")
def test_safe_norm(solution):
    for v in norm_cases():
        norms = torch.linalg.vector_norm(v, dim=1)
        weights = random_tensor(len(v), seed=124, dtype=v.dtype)
        leaf = v.clone().requires_grad_()
        got = solution(leaf)
        expect_differentiable_norms(solution, got, v, norms)
        expect_inputs_untouched(solution)
        gradient = caller_gradient(solution, got, leaf, weights)
        where = f"the gradient that backward through {solution.call} weighted by {short_repr(weights)} gives v"
        if gradient.isnan().any():
            fail(
                f"{where}: got NaN at the zero rows: √ has slope ∞ at 0, and the backward of √(Σv²) multiplies it "
                f"by 2v = 0, 0 · ∞ = NaN; {SAFE_SQRT}"
            )
        expect_like(gradient, weights[:, None] * unit_rows(v), where)
    # Once, on the first rows: anomaly mode keeps a traceback for every op, not cheap.
    fresh = norm_cases()[0].requires_grad_()
    made = nan_made_in_backward(lambda: torch.autograd.grad(solution(fresh).sum(), fresh))
    if made:
        fail(f"{solution.call}: {masked_symptom(made, SAFE_SQRT)}")


# ---- inplace_culprit ----------------------------------------------------------------------------------------


def sin_squared(t):
    s = torch.sin(t)
    y = s * s  # the product saves both factors
    s.mul_(2)
    return y.sum()


def sigmoid_zeroed(t):
    h = torch.sigmoid(t)  # sigmoid saves its output h
    loss = (h * 3).sum()
    h[0] = 0.0
    return loss


def doubled_squared(t):
    u = t * 2
    y = u**2  # the power saves its base u
    u.clamp_(min=0.0)
    return y.mean()


def tanh_dot(t):
    w = torch.tanh(t)
    y = torch.dot(w, w)  # the dot product saves w, and so does tanh: backward reaches the dot product first
    w.div_(2)
    return y


CULPRITS = [
    (sin_squared, "MulBackward0"),
    (sigmoid_zeroed, "SigmoidBackward0"),
    (doubled_squared, "PowBackward0"),
    (tanh_dot, "DotBackward0"),
]


def error_message_names(f, x: torch.Tensor) -> tuple[str, str]:
    """What a guess without anomaly mode finds: the changed tensor's maker in the error, and the loss's grad_fn."""
    loss = f(x.detach().requires_grad_())
    root = type(loss.grad_fn).__name__
    try:
        loss.backward()
    except RuntimeError as error:
        found = re.search(r"output \d+ of (\w+)", str(error))
        return (found.group(1) if found else ""), root
    return "", root


@pytest.mark.exercise("debugging_gradients.inplace_culprit")
def test_inplace_culprit(solution):
    # One call each: anomaly mode keeps a traceback for every op, not cheap. Float32 and float64 points by turns.
    points = [torch.tensor([0.5, -1.0, 2.0]), random_tensor(4, seed=125, dtype=torch.float64)]
    for index, (f, culprit) in enumerate(CULPRITS):
        x = points[index % 2]
        got = solution(f, x)
        if not isinstance(got, str):
            fail(f"{solution.call}: got {type(got).__name__} {short_repr(got)}, expected a str: a node's name")
        if got != culprit:
            changed, root = error_message_names(f, x)
            if not got:
                cause = (
                    "no 'Error detected in ...' warning was caught: run backward() inside "
                    "torch.autograd.detect_anomaly(), on a copy of x that requires grad, and record warnings "
                    "with warnings.catch_warnings(record=True) and warnings.simplefilter('always')"
                )
            elif got.replace("Backward", "") == changed.replace("Backward", ""):
                cause = (
                    "that node made the tensor that was changed in place, as the error message says "
                    "('output 0 of ...'); anomaly mode's warning 'Error detected in ...' names the node whose "
                    "backward needed its old value"
                )
            elif got == root:
                cause = "that is the loss's own grad_fn, where backward starts, not the node where it failed"
            else:
                cause = "return the name that anomaly mode's warning 'Error detected in <name>' gives"
            fail(f"{solution.call}: expected {culprit!r}, got {got!r}: {cause}")
        expect_inputs_untouched(solution)


# ---- stage_gradient_norms -----------------------------------------------------------------------------------


class Stage:
    """A stage of a chain with its vector-Jacobian product by hand, for the expected values: gᵀ ∂stage/∂t."""

    def __init__(self, name: str, forward: Callable, pullback: Callable) -> None:
        self.name, self.forward, self.pullback = name, forward, pullback

    def __call__(self, t: torch.Tensor) -> torch.Tensor:
        return self.forward(t)

    def __repr__(self) -> str:
        return self.name


def scale(c: float) -> Stage:
    return Stage(f"scale({c:g})", lambda t: c * t, lambda t, g: c * g)


def linear(weight: torch.Tensor, name: str) -> Stage:
    return Stage(name, lambda t: weight.to(t.dtype) @ t, lambda t, g: weight.to(t.dtype).T @ g)


def tanh_linear(weight: torch.Tensor, name: str) -> Stage:
    def pullback(t, g):
        y = torch.tanh(weight.to(t.dtype) @ t)
        return weight.to(t.dtype).T @ (g * (1 - y**2))

    return Stage(name, lambda t: torch.tanh(weight.to(t.dtype) @ t), pullback)


WITH_SQUARES = Stage("with_squares", lambda t: torch.cat([t, t**2]), lambda t, g: g[: len(t)] + 2 * t * g[len(t) :])
SINE = Stage("sin", torch.sin, lambda t, g: g * torch.cos(t))


def chains() -> list[tuple[list[Stage], torch.Tensor]]:
    """(stages, x): the example; linear maps that blow the gradient up; tanh layers that shrink it; lengths that
    change on the way."""
    grow = [linear(2 * random_tensor(4, 3, seed=126, scale=1.0), "W1"), linear(random_tensor(4, 4, seed=127), "W2")]
    grow.append(linear(random_tensor(2, 4, seed=128), "W3"))
    squash = [tanh_linear(random_tensor(3, 3, seed=129, scale=2.0), f"tanh(V{i} t)") for i in range(3)]
    return [
        ([scale(2.0), scale(3.0)], torch.tensor([1.0, 1.0])),
        (grow, random_tensor(3, seed=130)),
        (squash, random_tensor(3, seed=131, dtype=torch.float64)),
        ([WITH_SQUARES, SINE, scale(-0.5)], random_tensor(2, seed=132, dtype=torch.float64)),
    ]


def gradients_by_hand(stages: list[Stage], x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """The stage inputs hᵢ, and ∂L/∂hᵢ from the stages' own pullbacks."""
    inputs = [x]
    for stage in stages[:-1]:
        inputs.append(stage(inputs[-1]))
    gradient = torch.ones_like(stages[-1](inputs[-1]))
    gradients = []
    for stage, h in zip(reversed(stages), reversed(inputs)):
        gradient = stage.pullback(h, gradient)
        gradients.insert(0, gradient)
    return inputs, gradients


def norms_of(tensors: list[torch.Tensor]) -> torch.Tensor:
    return torch.stack([torch.linalg.vector_norm(t) for t in tensors])


@pytest.mark.exercise("debugging_gradients.stage_gradient_norms")
@pytest.mark.timeout(60)  # a solution's first torch.func call imports torch._dynamo: seconds, once
def test_stage_gradient_norms(solution):
    one_pass = passes(
        1,
        "one backward pass reaches every stage's input: keep each hᵢ's gradient with retain_grad(), or pass all "
        "the hᵢ to one torch.autograd.grad",
    )
    for stages, x in chains():
        inputs, gradients = gradients_by_hand(stages, x)
        expected = norms_of(gradients)
        expect_call(
            solution,
            (stages, x),
            expected,
            shapes={
                (len(stages) + 1,): "one norm per stage, at its input (x first); the last stage's output is no "
                "stage's input"
            },
            likely={
                "the norms of the activations hᵢ, not of their gradients ∂L/∂hᵢ": norms_of(inputs),
                "the stages in reverse order: entry 0 is x's, stage 0's input": expected.flip(0),
                "squared norms: take the √ of the sum of squares (torch.linalg.vector_norm)": expected**2,
            },
            mechanics=(one_pass,),
        )


# ---- clipped_sgd_step ---------------------------------------------------------------------------------------


def example_loss(w):
    return 3 * w[0] + 4 * w[1]


DATA = random_tensor(4, 3, seed=133), random_tensor(4, seed=134)


def steep_regression(w, b):
    inputs, targets = (t.to(w.dtype) for t in DATA)
    return 50 * torch.mean((inputs @ w + b - targets) ** 2)


def gentle(w, c):
    return 0.1 * ((w**2).sum() + torch.sin(c).sum())


def cliff(w, c):
    return torch.exp(3 * w).sum() + (c**3).sum()


def leaves(*values: torch.Tensor) -> Callable[[], list[torch.Tensor]]:
    return lambda: [value.clone().requires_grad_() for value in values]


def step_cases() -> list[tuple[Callable[[], list[torch.Tensor]], Callable, float, float]]:
    """(the parameters, loss_fn, lr, max_norm): the example; a steep loss over two tensors, clipped; a gentle one
    whose gradient stays below max_norm, not clipped; a float64 cliff, clipped hard."""
    float64 = torch.float64
    return [
        (leaves(torch.zeros(2)), example_loss, 0.5, 1.0),
        (leaves(random_tensor(3, seed=135), torch.tensor(0.5)), steep_regression, 0.1, 1.0),
        (
            leaves(random_tensor(2, 2, seed=136, dtype=float64), random_tensor(3, seed=137, dtype=float64)),
            gentle,
            0.5,
            10.0,
        ),
        (
            leaves(random_tensor(2, 2, seed=138, dtype=float64), random_tensor(3, seed=139, dtype=float64)),
            cliff,
            0.01,
            0.5,
        ),
    ]


# clip_grad_norm_ scales by max_norm / (total + 1e-6), at most 1: the expectations do the same; a scale written by
# hand as max_norm / total is as right, so the clipped values are held to that 1e-6 (float32's tolerance) only.
CLIP_EPS = 1e-6
CLIPPED = {"rtol": 1e-5, "atol": 1e-5}


def clipped(gradients: list[torch.Tensor], max_norm: float) -> list[torch.Tensor]:
    total = norms_of(gradients).norm()
    return [g * min(1.0, max_norm / (float(total) + CLIP_EPS)) for g in gradients]


@pytest.mark.exercise("debugging_gradients.clipped_sgd_step")
def test_clipped_sgd_step(solution):
    for make, loss_fn, lr, max_norm in step_cases():
        params = make()
        start = [p.detach().clone() for p in params]
        copies = make()
        gradients = list(torch.autograd.grad(loss_fn(*copies), copies))
        norms = norms_of(gradients)
        total = norms.norm()
        kept = clipped(gradients, max_norm)
        expect_call(
            solution,
            (params, loss_fn, lr, max_norm),
            total,
            untouched=False,
            likely={
                "the norm after clipping: return the norm before, as clip_grad_norm_ does": total.clamp(max=max_norm),
                "the sum of the tensors' own norms: ‖g‖ is the norm of all their entries together": norms.sum(),
                "0: clip_grad_norm_ ran before backward(), when there was no .grad yet": torch.zeros_like(total),
            },
        )
        for index, (p, p0, g, g_kept) in enumerate(zip(params, start, gradients, kept)):
            expect_like(
                p.detach(),
                p0 - lr * g_kept,
                f"{solution.call}: params[{index}] afterwards",
                **CLIPPED,
                likely={
                    "the parameters did not move: the step p ← p − lr · p.grad is missing": p0,
                    "the step used the unclipped gradient: clip between backward() and the step": p0 - lr * g,
                    "each tensor was clipped on its own: the norm is over all of them together, one vector": p0
                    - lr * clipped([g], max_norm)[0],
                    "each entry was clamped to ±max_norm (clip_grad_value_): clip the norm of the whole gradient": p0
                    - lr * g.clamp(-max_norm, max_norm),
                    "a gradient below max_norm was scaled up to it: clipping only ever shrinks": p0
                    - lr * g * (max_norm / (float(total) + CLIP_EPS)),
                },
            )
            expect_like(
                p.grad,
                g_kept,
                f"{solution.call}: params[{index}].grad afterwards",
                **CLIPPED,
                likely={"the unclipped gradient: clip p.grad itself, in place, as clip_grad_norm_ does": g},
            )


# ---- Near misses --------------------------------------------------------------------------------------------


def one_where(x):
    return torch.where(x > 0, x * torch.log(x), 0.0)


def safe_input_zero(x):
    safe = torch.where(x > 0, x, 0.0)
    return torch.where(x > 0, safe * torch.log(safe), 0.0)


def absolute(x):
    return torch.where(x > 0, x * torch.log(x.abs()), 0.0)


def nan_to_num_after(x):
    return torch.nan_to_num(slope_by_autograd(one_where)(x), nan=0.0)


def forward_mode_one_where(x):
    """Forward mode through one where: right, as its tangent is chosen, never multiplied by 0."""
    return torch.func.jvp(one_where, (x,), (torch.ones_like(x),))[1]


def xlogx_slope_by_hand(x):
    return torch.where(x > 0, safe_log(x) + 1, 0.0)


def sqrt_of_sum(v):
    return torch.sqrt((v**2).sum(dim=1))


def nan_cleaning_hook(v):
    inner = v * 1.0
    inner.register_hook(lambda g: torch.nan_to_num(g, nan=0.0))
    return torch.sqrt((inner**2).sum(dim=1))


def backward_inside(v):
    norms = torch.linalg.vector_norm(v, dim=1)
    norms.sum().backward(retain_graph=True)
    return norms


def anomaly_names(f, x, leaf=True):
    """A learner-style inplace_culprit up to the names, without the right one picked."""
    x = x.detach().requires_grad_(leaf)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with torch.autograd.detect_anomaly(), contextlib.suppress(RuntimeError):  # the in-place error
            f(x).backward()
    found = [re.search(r"Error detected in (\w+)", str(w.message)) for w in caught]
    return next((m.group(1) for m in found if m), "")


def name_from_error_message(f, x):
    try:
        f(x.detach().requires_grad_()).backward()
    except RuntimeError as error:
        return re.search(r"output \d+ of (\w+)", str(error)).group(1)
    return ""


def anomaly_left_on(f, x):
    torch.autograd.set_detect_anomaly(True)
    return anomaly_names(f, x)


def stage_inputs(stages, x):
    inputs = [x.clone().requires_grad_()]
    for stage in stages[:-1]:
        inputs.append(stage(inputs[-1]))
    return inputs, stages[-1](inputs[-1]).sum()


def norms_by(finish):
    """A learner-style stage_gradient_norms: one torch.autograd.grad for every stage input, then `finish`."""

    def solve(stages, x):
        inputs, loss = stage_inputs(stages, x)
        return finish(inputs, torch.autograd.grad(loss, inputs))

    return solve


def pass_per_stage(stages, x):
    found = []
    for index in range(len(stages)):
        inputs, loss = stage_inputs(stages, x)
        found.append(torch.linalg.vector_norm(torch.autograd.grad(loss, inputs[index])[0]))
    return torch.stack(found)


def with_the_output(stages, x):
    """k + 1 norms: the last stage's output's gradient too."""
    inputs, _ = stage_inputs(stages, x)
    output = stages[-1](inputs[-1])
    return norms_of(torch.autograd.grad(output.sum(), [*inputs, output]))


def step_by(clip, total_of=lambda gradients: norms_of(gradients).norm(), clip_after=False):
    """A learner-style clipped_sgd_step: backward, then `clip(params, max_norm)` before (or after) the step."""

    def solve(params, loss_fn, lr, max_norm):
        loss_fn(*params).backward()
        total = total_of([p.grad for p in params])
        if not clip_after:
            clip(params, max_norm)
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        if clip_after:
            clip(params, max_norm)
        return total

    return solve


def per_tensor(params, max_norm):
    for p in params:
        torch.nn.utils.clip_grad_norm_([p], max_norm)


def always_normalized(params, max_norm):
    total = norms_of([p.grad for p in params]).norm()
    for p in params:
        p.grad.mul_(max_norm / total)


def clip_before_backward(params, loss_fn, lr, max_norm):
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    loss_fn(*params).backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    return total


def norm_after_clipping(params, loss_fn, lr, max_norm):
    loss_fn(*params).backward()
    torch.nn.utils.clip_grad_norm_(params, max_norm)
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    return norms_of([p.grad for p in params]).norm()


def no_clip(params, max_norm):
    return None


clip_grad_norm = torch.nn.utils.clip_grad_norm_

xlogx_gradient_near_misses = rejects(
    test_xlogx_gradient,
    NearMiss("one-where", slope_by_autograd(one_where), "the branch it did not take a zero gradient"),
    NearMiss("safe-input-zero", slope_by_autograd(safe_input_zero), "log and its slope are finite"),
    NearMiss("absolute-value", slope_by_autograd(absolute), "not x ≥ 0 or \\|x\\|"),
    NearMiss("nan-to-num-after", nan_to_num_after, "something later dropped"),
    NearMiss("forward-mode", forward_mode_one_where, "came from forward mode"),
    NearMiss("closed-form-beside-backward", beside_backward(xlogx_slope_by_hand), "autograd did not make it"),
    NearMiss(
        "no-plus-one", slope_by_autograd(lambda x: torch.where(x > 0, x * safe_log(x) - x, 0.0)), "without the \\+ 1"
    ),
)
safe_norm_near_misses = rejects(
    test_safe_norm,
    NearMiss("sqrt-of-sum", sqrt_of_sum, "0 · ∞ = NaN"),
    NearMiss("power-half", lambda v: (v**2).sum(dim=1) ** 0.5, "0 · ∞ = NaN"),
    NearMiss("nan-cleaning-hook", nan_cleaning_hook, "something later dropped"),
    NearMiss("epsilon-inside", lambda v: torch.sqrt((v**2).sum(dim=1) + 1e-8), "an ε added inside √"),
    NearMiss("detached", lambda v: torch.linalg.vector_norm(v, dim=1).detach(), "does not require grad"),
    NearMiss("from-a-copy", lambda v: torch.linalg.vector_norm(v.detach().requires_grad_(), dim=1), "a copy of v"),
    NearMiss("backward-inside", backward_inside, "\\.grad None -> set"),
    NearMiss("squared", lambda v: (v**2).sum(dim=1), "without the √"),
)
inplace_culprit_near_misses = rejects(
    test_inplace_culprit,
    NearMiss("error-message", name_from_error_message, "changed in place, as the error message says"),
    NearMiss("loss-grad-fn", lambda f, x: type(f(x.detach().requires_grad_()).grad_fn).__name__, "loss's own"),
    NearMiss("anomaly-left-on", anomaly_left_on, "changed global torch state"),
    NearMiss("x-without-grad", lambda f, x: anomaly_names(f, x, leaf=False), "no 'Error detected in"),
)
stage_gradient_norms_near_misses = rejects(
    test_stage_gradient_norms,
    NearMiss("pass-per-stage", pass_per_stage, "one backward pass reaches every stage"),
    NearMiss("activation-norms", norms_by(lambda inputs, grads: norms_of(inputs).detach()), "norms of the activations"),
    NearMiss("reversed", norms_by(lambda inputs, grads: norms_of(grads).flip(0)), "reverse order"),
    NearMiss("squared", norms_by(lambda inputs, grads: norms_of(grads) ** 2), "squared norms"),
    NearMiss("with-the-output", with_the_output, "no stage's input"),
)
clipped_sgd_step_near_misses = rejects(
    test_clipped_sgd_step,
    NearMiss("no-clipping", step_by(no_clip), "unclipped gradient"),
    NearMiss("clip-after-step", step_by(clip_grad_norm, clip_after=True), "clip between backward\\(\\) and the step"),
    NearMiss("clip-grad-value", step_by(torch.nn.utils.clip_grad_value_), "clip_grad_value_"),
    NearMiss("per-tensor", step_by(per_tensor), "clipped on its own"),
    NearMiss("always-normalized", step_by(always_normalized), "scaled up"),
    NearMiss("norm-after-clipping", norm_after_clipping, "the norm after clipping"),
    NearMiss("clip-before-backward", clip_before_backward, "before backward"),
    NearMiss("sum-of-norms", step_by(clip_grad_norm, total_of=lambda g: norms_of(g).sum()), "own norms"),
)
