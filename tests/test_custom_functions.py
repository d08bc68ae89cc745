"""Module 9, custom autograd Functions: forward values, that the learner's backward (not autograd's) ran, its
gradients under an upstream gradient that is not all ones, gradcheck in float64, and the near misses."""

import pytest
import torch

from tests.kata.checks import NearMiss, cube, expect_like, fail, random_tensor, rejects
from tests.kata.solution import short_repr

IGNORED_UPSTREAM = "grad_output ignored: the chain rule multiplies by the upstream gradient, which is not always 1"


def as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def expect_function(solution, inputs, forward, backward, *, extra=(), likely=None, forward_likely=None) -> None:
    """Check solution.apply(*inputs, *extra): its value, that its own backward ran, and the gradients it gives.

    forward(*inputs) is the expected output. backward(upstream, *inputs) is the expected gradient of each input
    (a tensor, or a tuple of them) for a random upstream gradient, so that one ignoring grad_output shows.
    likely: {cause: wrong(upstream, *inputs)}, named when an input's gradient matches that wrong one;
    forward_likely: {cause: wrong(*inputs)} likewise for the output.
    """
    leaves = [tensor.clone().requires_grad_() for tensor in inputs]
    out = solution(*leaves, *extra)
    call = solution.call
    if not isinstance(out, torch.Tensor):
        fail(f"{call}: forward returned {type(out).__name__} {short_repr(out)}, expected a torch.Tensor")
    expect_like(
        out.detach(),
        forward(*inputs),
        f"{call} (forward)",
        likely={why: wrong(*inputs) for why, wrong in (forward_likely or {}).items()},
    )
    own, actual = f"{solution.fn.__name__}Backward", type(out.grad_fn).__name__ if out.grad_fn else "None"
    if actual != own:
        fail(
            f"{call}: the output's grad_fn is {actual}, not {own}: backward() would never call your backward; "
            "subclass torch.autograd.Function and call it through .apply"
        )
    upstream = random_tensor(*out.shape, seed=out.numel(), dtype=out.dtype)
    out.backward(upstream)
    wrongs = {why: as_tuple(wrong(upstream, *inputs)) for why, wrong in (likely or {}).items()}
    for index, (leaf, expected) in enumerate(zip(leaves, as_tuple(backward(upstream, *inputs)))):
        where = f"{call}, then backward with grad_output {short_repr(upstream)}: input {index}'s .grad"
        expect_like(leaf.grad, expected, where, likely={why: wrong[index] for why, wrong in wrongs.items()})


def expect_gradcheck(solution, inputs) -> None:
    """torch.autograd.gradcheck on float64 inputs: backward must agree with finite differences of forward."""
    leaves = tuple(tensor.clone().requires_grad_() for tensor in inputs)
    with torch.random.fork_rng():  # fast mode checks along random directions: seeded, and torch's RNG kept
        torch.manual_seed(0)
        passed = torch.autograd.gradcheck(solution, leaves, raise_exception=False, fast_mode=True)
    if not passed:
        fail(
            f"torch.autograd.gradcheck({solution.fn.__name__}) fails at {', '.join(map(short_repr, inputs))}: "
            "backward disagrees with finite differences of forward"
        )


def float64_case(seed: int, scale: float = 3.0) -> torch.Tensor:
    return random_tensor(2, 3, seed=seed, dtype=torch.float64, scale=scale)


def cases(*fixed: float, seed: int, scale: float = 3.0) -> list[torch.Tensor]:
    """The fixed points, seeded-random float32 ones, and a 2-D float64 tensor (shape and dtype must carry)."""
    return [torch.tensor(fixed), random_tensor(5, seed=seed, scale=scale), float64_case(seed + 1, scale)]


@pytest.mark.exercise("custom_functions.Cube")
def test_cube(solution):
    for x in cases(2.0, -1.5, 0.0, 0.5, seed=90):
        expect_function(
            solution,
            (x,),
            cube,
            lambda g, x: g * 3 * x**2,
            likely={
                IGNORED_UPSTREAM: lambda g, x: 3 * x**2,
                "3y² with y = x³: backward used the saved output, but the derivative needs the input x": lambda g, x: (
                    g * 3 * x**6
                ),
            },
        )
    expect_gradcheck(solution, (float64_case(92),))


@pytest.mark.exercise("custom_functions.Multiply")
def test_multiply(solution):
    for x, y in zip(cases(2.0, -1.0, 0.5, seed=93), cases(5.0, 3.0, -2.0, seed=96)):
        expect_function(
            solution,
            (x, y),
            torch.mul,
            lambda g, x, y: (g * y, g * x),
            likely={
                "the gradients are swapped: ∂(x·y)/∂x is y, and ∂(x·y)/∂y is x": lambda g, x, y: (g * x, g * y),
                IGNORED_UPSTREAM: lambda g, x, y: (y, x),
            },
        )
    expect_gradcheck(solution, (float64_case(99), float64_case(100)))


def inside(x):
    return ((x > 0) & (x < 1)).to(x.dtype)


@pytest.mark.exercise("custom_functions.ClippedReLU")
def test_clipped_relu(solution):
    for x in cases(-1.0, 0.0, 0.25, 0.5, 1.0, 1.5, seed=101, scale=1.5):
        expect_function(
            solution,
            (x,),
            lambda x: x.clamp(0, 1),
            lambda g, x: g * inside(x),
            likely={
                "slope 1 at a kink: the task asks for slope 0 at exactly x = 0 and x = 1, "
                "as torch.relu has at 0": lambda g, x: g * ((x >= 0) & (x <= 1)),
                IGNORED_UPSTREAM: lambda g, x: inside(x),
            },
        )
    # Away from the kinks, where finite differences straddle no corner.
    expect_gradcheck(solution, (torch.tensor([-0.7, 0.3, 0.6, 1.4], dtype=torch.float64),))


@pytest.mark.exercise("custom_functions.StraightThroughRound")
def test_straight_through_round(solution):
    # No gradcheck: this backward is deliberately not round's derivative.
    for x in cases(0.4, 0.5, 1.5, 2.5, -2.5, -0.6, seed=103):
        expect_function(
            solution,
            (x,),
            torch.round,
            lambda g, x: g,
            likely={
                "round's true gradient, 0: a straight-through backward passes grad_output on unchanged": lambda g, x: (
                    torch.zeros_like(x)
                ),
                IGNORED_UPSTREAM: lambda g, x: torch.ones_like(x),
            },
            forward_likely={
                "halves rounded up: torch.round sends a half to the nearest even integer (2.5 -> 2.)": lambda x: (
                    torch.floor(x + 0.5)
                ),
            },
        )


def clipped_to(bound):
    return lambda g, x: g.clamp(-bound, bound)


@pytest.mark.exercise("custom_functions.ClipGradient")
def test_clip_gradient(solution):
    for x, bound in zip(cases(2.0, -1.0, 0.0, seed=105), (1.0, 0.5, 2.0)):
        expect_function(
            solution,
            (x,),
            lambda x: x,
            clipped_to(bound),
            extra=(bound,),
            likely={
                "the upstream gradient, unclipped": lambda g, x: g,
                "clipped to [-1, 1]: backward must clip to the bound forward was given": lambda g, x: g.clamp(-1, 1),
            },
        )


def function_of(name, forward, backward, save_output=False):
    """A learner-style autograd.Function: backward(grad_output, *saved), saved being the inputs or the output."""

    def forward_(ctx, *inputs):
        out = forward(*inputs)
        ctx.saved = (out,) if save_output else inputs
        return out

    def backward_(ctx, grad_output):
        return backward(grad_output, *ctx.saved)

    methods = {"forward": staticmethod(forward_), "backward": staticmethod(backward_)}
    return type(name, (torch.autograd.Function,), methods)


def clipper(backward, forward=lambda x, bound: x.clone()):
    return function_of("ClipGradient", forward, backward)


cube_near_misses = rejects(
    test_cube,
    NearMiss("ignores-upstream", function_of("Cube", cube, lambda g, x: 3 * x**2), "grad_output ignored"),
    NearMiss("saves-output", function_of("Cube", cube, lambda g, y: g * 3 * y**2, save_output=True), "saved output"),
    NearMiss("sign-flip", function_of("Cube", cube, lambda g, x: -g * 3 * x**2), "sign is flipped"),
    NearMiss("square-rule", function_of("Cube", cube, lambda g, x: g * 2 * x), "expected"),
    NearMiss("forward-square", function_of("Cube", lambda x: x**2, lambda g, x: g * 3 * x**2), r"\(forward\)"),
    NearMiss("plain-function", cube, "grad_fn is PowBackward0"),
)
multiply_near_misses = rejects(
    test_multiply,
    NearMiss("swapped", function_of("Multiply", torch.mul, lambda g, x, y: (g * x, g * y)), "swapped"),
    NearMiss("ignores-upstream", function_of("Multiply", torch.mul, lambda g, x, y: (y, x)), "grad_output ignored"),
    NearMiss("one-gradient", function_of("Multiply", torch.mul, lambda g, x, y: g * y), "incorrect number of grad"),
)
clipped_relu_near_misses = rejects(
    test_clipped_relu,
    NearMiss(
        "slope-1-at-kinks",
        function_of("ClippedReLU", lambda x: x.clamp(0, 1), lambda g, x: g * ((x >= 0) & (x <= 1))),
        "slope 1 at a kink",
    ),
    NearMiss(
        "ignores-upstream",
        function_of("ClippedReLU", lambda x: x.clamp(0, 1), lambda g, x: inside(x)),
        "grad_output ignored",
    ),
    NearMiss(
        "no-upper-kink", function_of("ClippedReLU", lambda x: x.clamp(0, 1), lambda g, x: g * (x > 0)), "expected"
    ),
    NearMiss("relu-forward", function_of("ClippedReLU", torch.relu, lambda g, x: g * inside(x)), r"\(forward\)"),
    NearMiss("autograd-clamp", lambda x: x.clamp(0, 1), "grad_fn is ClampBackward1"),
)
straight_through_round_near_misses = rejects(
    test_straight_through_round,
    NearMiss("true-gradient", function_of("Round", torch.round, lambda g, x: torch.zeros_like(g)), "true gradient"),
    NearMiss("ignores-upstream", function_of("Round", torch.round, lambda g, x: torch.ones_like(g)), "ignored"),
    NearMiss("halves-up", function_of("Round", lambda x: torch.floor(x + 0.5), lambda g, x: g), "halves rounded up"),
    NearMiss("detach-trick", lambda x: x + (x.round() - x).detach(), "grad_fn is AddBackward0"),
)
clip_gradient_near_misses = rejects(
    test_clip_gradient,
    NearMiss("no-none", clipper(lambda g, x, bound: g.clamp(-bound, bound)), "incorrect number of gradients"),
    NearMiss("unclipped", clipper(lambda g, x, bound: (g, None)), "unclipped"),
    NearMiss("bound-ignored", clipper(lambda g, x, bound: (g.clamp(-1, 1), None)), "clip to the bound"),
    NearMiss(
        "clips-forward",
        clipper(lambda g, x, bound: (g.clamp(-bound, bound), None), lambda x, bound: x.clamp(-bound, bound)),
        r"\(forward\)",
    ),
)
