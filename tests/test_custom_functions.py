"""Module 9, custom autograd Functions: forward values, that the learner's backward (not autograd's) ran, its
gradients under an upstream gradient that is not all ones, how forward kept what backward needs (save_for_backward,
a new output, the inputs left as they were), that backward computed by hand, gradcheck in float64, near misses."""

import pytest
import torch

from tests.kata.checks import NearMiss, cube, expect_inputs_untouched, expect_like, fail, random_tensor, rejects
from tests.kata.solution import own_backward_watched, short_repr

IGNORED_UPSTREAM = "grad_output ignored: the chain rule multiplies by the upstream gradient, which is not always 1"


def as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def tensors_kept_on(ctx) -> list[str]:
    """The attributes of a Function's ctx (its grad_fn) that hold tensors, one level into lists, tuples and dicts:
    tensors belong in ctx.save_for_backward, which keeps them out of ctx's attributes."""
    kept = []
    for name, value in vars(ctx).items():
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(item, torch.Tensor) for item in items):
            kept.append(f"ctx.{name}")
    return kept


def shares_memory(out: torch.Tensor, tensor: torch.Tensor) -> bool:
    """Whether forward's output is its input (autograd hands back a returned input as a view of it)."""
    if out._base is tensor or out is tensor:
        return True
    return tensor.numel() > 0 and out.untyped_storage().data_ptr() == tensor.untyped_storage().data_ptr()


def expect_function(
    solution, inputs, forward, backward, *, extra=(), requires=None, likely=None, forward_likely=None
) -> None:
    """Check solution.apply(*inputs, *extra): its value, that its own backward ran, and the gradients it gives.

    forward(*inputs) is the expected output. backward(upstream, *inputs) is the expected gradient of each input
    (a tensor, or a tuple of them) for a random upstream gradient, so that one ignoring grad_output shows.
    requires: whether each input requires grad (all do, unless given); one that does not gets no gradient.
    Also checked: forward leaves its inputs as they were and returns a new tensor, keeps no tensor as a ctx
    attribute (save_for_backward is the way), and backward computes by hand, calling no autograd.
    likely: {cause: wrong(upstream, *inputs)}, named when an input's gradient matches that wrong one;
    forward_likely: {cause: wrong(*inputs)} likewise for the output.
    """
    requires = requires or (True,) * len(inputs)
    leaves = [tensor.clone().requires_grad_(needs) for tensor, needs in zip(inputs, requires)]
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
    expect_inputs_untouched(solution)
    for name, leaf in zip("xy", leaves):  # the inputs as the docstrings name them
        if shares_memory(out, leaf):
            fail(
                f"{call}: forward's value is right, but it returned {name} itself (the output shares its memory, "
                f"so changing one changes the other): return a new tensor, such as {name}.clone()"
            )
    kept = tensors_kept_on(out.grad_fn)
    if kept:
        fail(
            f"{call}: forward's value is right, but it kept tensors as ctx attributes ({', '.join(kept)}): "
            "keep them with ctx.save_for_backward(...) and read them back as ctx.saved_tensors, which checks "
            "that nothing changed them in place before backward and frees them after it"
        )
    upstream = random_tensor(*out.shape, seed=out.numel(), dtype=out.dtype)
    calls = []
    with own_backward_watched(solution.fn, calls):
        out.backward(upstream)
    wrongs = {why: as_tuple(wrong(upstream, *inputs)) for why, wrong in (likely or {}).items()}
    for index, (leaf, expected) in enumerate(zip(leaves, as_tuple(backward(upstream, *inputs)))):
        if leaf.requires_grad:
            where = f"{call}, then backward with grad_output {short_repr(upstream)}: input {index}'s .grad"
            expect_like(leaf.grad, expected, where, likely={why: wrong[index] for why, wrong in wrongs.items()})
    used = sorted({f"torch.{c.api}" if c.api == "autograd.grad" else f"{c.api}()" for c in calls if c.mode})
    if used:
        fail(
            f"{call}: the gradients are right, but your backward called {', '.join(used)}: autograd then "
            "differentiated forward again for you; compute the gradient by hand from grad_output and "
            "ctx.saved_tensors (the chain rule)"
        )


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
                "2x, the square's derivative: the cube's is 3x²": lambda g, x: g * 2 * x,
            },
            forward_likely={"x², the square: forward returns x³": lambda x: x**2},
        )
    expect_gradcheck(solution, (float64_case(92),))


@pytest.mark.exercise("custom_functions.Multiply")
def test_multiply(solution):
    swapped = "the gradients are swapped: ∂(x·y)/∂x is y, and ∂(x·y)/∂y is x"
    for x, y in zip(cases(2.0, -1.0, 0.5, seed=93), cases(5.0, 3.0, -2.0, seed=96)):
        expect_function(
            solution,
            (x, y),
            torch.mul,
            lambda g, x, y: (g * y, g * x),
            likely={swapped: lambda g, x, y: (g * x, g * y), IGNORED_UPSTREAM: lambda g, x, y: (y, x)},
        )
    # Only one factor requires grad: backward may skip the other (ctx.needs_input_grad), but not this one.
    x, y = random_tensor(4, seed=97), random_tensor(4, seed=98)
    expect_function(
        solution,
        (x, y),
        torch.mul,
        lambda g, x, y: (g * y, None),
        requires=(True, False),
        likely={swapped: lambda g, x, y: (g * x, None)},
    )
    expect_function(
        solution,
        (x, y),
        torch.mul,
        lambda g, x, y: (None, g * x),
        requires=(False, True),
        likely={swapped: lambda g, x, y: (None, g * y)},
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
                "slope 1 above 1 too: there is a second kink at x = 1, above which the slope is 0": lambda g, x: (
                    g * (x > 0)
                ),
            },
            forward_likely={"not clamped at 1: forward clamps to [0, 1], torch.relu only at 0": torch.relu},
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


def clamped_to(bound):
    return lambda x: x.clamp(-bound, bound)


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
            forward_likely={
                "x clamped: forward is the identity (a copy of x); only the gradient is clipped": clamped_to(bound),
            },
        )


# ---- Near misses --------------------------------------------------------------------------------------------------


def function_of(name, forward, backward, save_output=False, on_ctx=False):
    """A learner-style autograd.Function: backward(grad_output, *kept), kept being the inputs or the output.

    Tensors are kept with ctx.save_for_backward, other values (a bound) on ctx; with on_ctx, everything is kept
    as a ctx attribute instead, the near miss.
    """

    def forward_(ctx, *inputs):
        out = forward(*inputs)
        kept = (out,) if save_output else inputs
        if on_ctx:
            ctx.kept = kept
        else:
            ctx.save_for_backward(*(value if isinstance(value, torch.Tensor) else None for value in kept))
            ctx.others = [None if isinstance(value, torch.Tensor) else value for value in kept]
        return out

    def backward_(ctx, grad_output):
        kept = ctx.kept if on_ctx else [t if o is None else o for t, o in zip(ctx.saved_tensors, ctx.others)]
        return backward(grad_output, *kept)

    methods = {"forward": staticmethod(forward_), "backward": staticmethod(backward_)}
    return type(name, (torch.autograd.Function,), methods)


def cube_by_autograd(differentiate):
    """A Cube whose backward has autograd differentiate t³ at a fresh leaf t: `differentiate(t³, t, grad_output)`."""

    def backward(g, x):
        with torch.enable_grad():
            t = x.detach().requires_grad_()
            return differentiate(t**3, t, g)

    return function_of("Cube", cube, backward)


def backward_into_grad(y, t, g):
    y.backward(g)
    return t.grad


def clipper(backward, forward=lambda x, bound: x.clone()):
    return function_of("ClipGradient", forward, backward)


def clip_with_hook(x, bound):
    """The gradient clipped by a hook on a plain clone: right gradients, but no backward of one's own."""
    out = x.clone()
    out.register_hook(lambda g: g.clamp(-bound, bound))
    return out


def clamp_in_place(x):
    return x.clamp_(0, 1)


def clamp(x):
    return x.clamp(0, 1)


def slope_inside(g, x):
    return g * inside(x)


cube_near_misses = rejects(
    test_cube,
    NearMiss("ignores-upstream", function_of("Cube", cube, lambda g, x: 3 * x**2), "grad_output ignored"),
    NearMiss("saves-output", function_of("Cube", cube, lambda g, y: g * 3 * y**2, save_output=True), "saved output"),
    NearMiss("sign-flip", function_of("Cube", cube, lambda g, x: -g * 3 * x**2), "sign is flipped"),
    NearMiss("square-rule", function_of("Cube", cube, lambda g, x: g * 2 * x), "the square's derivative"),
    NearMiss("forward-square", function_of("Cube", lambda x: x**2, lambda g, x: g * 3 * x**2), "the square: forward"),
    NearMiss("plain-function", cube, "grad_fn is PowBackward0"),
    NearMiss(
        "x-on-ctx",
        function_of("Cube", cube, lambda g, x: g * 3 * x**2, on_ctx=True),
        r"kept tensors as ctx attributes \(ctx.kept\): keep them with ctx.save_for_backward",
    ),
    NearMiss(
        "autograd-grad-in-backward",
        cube_by_autograd(lambda y, t, g: torch.autograd.grad(y, t, g)[0]),
        r"your backward called torch.autograd.grad",
    ),
    NearMiss("backward-in-backward", cube_by_autograd(backward_into_grad), r"your backward called backward\(\)"),
)
multiply_near_misses = rejects(
    test_multiply,
    NearMiss("swapped", function_of("Multiply", torch.mul, lambda g, x, y: (g * x, g * y)), "swapped"),
    NearMiss("ignores-upstream", function_of("Multiply", torch.mul, lambda g, x, y: (y, x)), "grad_output ignored"),
    NearMiss("one-gradient", function_of("Multiply", torch.mul, lambda g, x, y: g * y), "incorrect number of grad"),
    NearMiss("plain-mul", torch.mul, "grad_fn is MulBackward0"),
    NearMiss(
        "factors-on-ctx",
        function_of("Multiply", torch.mul, lambda g, x, y: (g * y, g * x), on_ctx=True),
        r"kept tensors as ctx attributes",
    ),
)
clipped_relu_near_misses = rejects(
    test_clipped_relu,
    NearMiss(
        "slope-1-at-kinks",
        function_of("ClippedReLU", clamp, lambda g, x: g * ((x >= 0) & (x <= 1))),
        "slope 1 at a kink",
    ),
    NearMiss("ignores-upstream", function_of("ClippedReLU", clamp, lambda g, x: inside(x)), "grad_output ignored"),
    NearMiss("no-upper-kink", function_of("ClippedReLU", clamp, lambda g, x: g * (x > 0)), "second kink at x = 1"),
    NearMiss("relu-forward", function_of("ClippedReLU", torch.relu, slope_inside), "not clamped at 1"),
    NearMiss("autograd-clamp", clamp, "grad_fn is ClampBackward1"),
    NearMiss("x-on-ctx", function_of("ClippedReLU", clamp, slope_inside, on_ctx=True), "ctx attributes"),
    NearMiss(
        "clamps-x-in-place",
        function_of("ClippedReLU", clamp_in_place, slope_inside),
        "changed the caller's .*: its values changed",
    ),
)
straight_through_round_near_misses = rejects(
    test_straight_through_round,
    NearMiss(
        "true-gradient",
        function_of("StraightThroughRound", torch.round, lambda g, x: torch.zeros_like(g)),
        "true gradient",
    ),
    NearMiss(
        "ignores-upstream",
        function_of("StraightThroughRound", torch.round, lambda g, x: torch.ones_like(g)),
        "grad_output ignored",
    ),
    NearMiss(
        "halves-up",
        function_of("StraightThroughRound", lambda x: torch.floor(x + 0.5), lambda g, x: g),
        "halves rounded up",
    ),
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
        r"\(forward\).*x clamped: forward is the identity",
    ),
    NearMiss(
        "returns-x-itself",
        clipper(lambda g, x, bound: (g.clamp(-bound, bound), None), lambda x, bound: x),
        r"returned x itself \(the output shares its memory",
    ),
    NearMiss("hook-on-clone", clip_with_hook, "grad_fn is CloneBackward0"),
)
