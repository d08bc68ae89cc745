"""Module 4, activations: slopes against closed forms computed here, the by-hand one, the gap, near misses."""

import math

import pytest
import torch
import torch.nn.functional as F

from tests.kata.checks import (
    MEAN,
    NearMiss,
    beside_backward,
    cube,
    expect_call,
    naming,
    random_tensor,
    rejects,
    slope_by_autograd,
    step,
)


def grids() -> list[torch.Tensor]:
    """Classic points (0, both sides of it, the flat tails), seeded-random ones and float64 ones."""
    return [
        torch.tensor([-5.0, -1.0, 0.0, 0.5, 2.0, 4.0]),
        random_tensor(6, seed=41),
        random_tensor(5, seed=42, dtype=torch.float64),
    ]


def in_float64(slope):
    """A closed form evaluated in float64, then in x's dtype: rounding stays far below the tolerance."""
    return lambda x: slope(x.double()).to(x.dtype)


@in_float64
def sech_squared(x):
    return 1 / torch.cosh(x) ** 2


@in_float64
def sigmoid_slope(x):
    return torch.sigmoid(x) * torch.sigmoid(-x)


@in_float64
def gelu_slope(x):
    """Φ(x) + x·φ(x)."""
    cdf = 0.5 * (1 + torch.erf(x / math.sqrt(2)))
    density = torch.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)
    return cdf + x * density


@in_float64
def tanh_gelu_slope(x):
    """The slope of GELU's tanh approximation 0.5·x·(1 + tanh(k·(x + 0.044715·x³))), k = √(2/π)."""
    k = math.sqrt(2 / math.pi)
    t = torch.tanh(k * (x + 0.044715 * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * k * (1 + 3 * 0.044715 * x**2)


@in_float64
def erf_without_root_2_slope(x):
    """The slope of x·(1 + erf(x))/2, a GELU whose Φ forgot to scale x by 1/√2."""
    return 0.5 * (1 + torch.erf(x)) + x * torch.exp(-(x**2)) / math.sqrt(math.pi)


@pytest.mark.exercise("activations.tanh_at")
def test_tanh_at(solution):
    for x in grids():
        expect_call(
            solution,
            (x,),
            sech_squared(x),
            likely={"tanh(x) itself, not its slope": torch.tanh(x), MEAN: sech_squared(x) / len(x)},
        )


OVERFLOW = (
    "log(1 + eˣ) written out overflows where x is large (eˣ is inf in float32 past x ≈ 88) and its slope turns "
    "NaN: differentiate torch.nn.functional.softplus, which stays finite"
)


@pytest.mark.exercise("activations.softplus_at")
def test_softplus_at(solution):
    tails = torch.tensor([-100.0, -30.0, 30.0, 90.0, 100.0])
    for x in (*grids(), tails):
        with naming({"got NaN": OVERFLOW, "got tensor([inf": OVERFLOW}):
            expect_call(
                solution,
                (x,),
                in_float64(torch.sigmoid)(x),
                likely={
                    "softplus(x) itself, not its slope": F.softplus(x),
                    "σ(x)·(1 − σ(x)), the sigmoid's slope: softplus's slope is σ(x) itself": sigmoid_slope(x),
                    MEAN: torch.sigmoid(x) / len(x),
                },
            )


SLOPES = (0.1, 0.01, 0.25)


@pytest.mark.exercise("activations.leaky_relu_at")
def test_leaky_relu_at(solution):
    for negative_slope in SLOPES:
        for x in grids():
            # In x's dtype from the start: a float32 0.1 cast to float64 is not float64's 0.1.
            left, default = torch.tensor(negative_slope, dtype=x.dtype), torch.tensor(0.01, dtype=x.dtype)
            expected = torch.where(x > 0, 1.0, left)
            default_slope = torch.where(x > 0, 1.0, default)
            slope_1_at_0 = torch.where(x >= 0, 1.0, left)
            expect_call(
                solution,
                (x, negative_slope),
                expected,
                likely={
                    "the default slope 0.01: pass negative_slope on to leaky_relu": default_slope,
                    "plain ReLU's slope, 0 left of 0: leaky ReLU lets negative_slope through there": step(x),
                    "slope 1 at 0: leaky_relu takes the left slope, negative_slope, at 0": slope_1_at_0,
                    MEAN: expected / len(x),
                },
            )


@pytest.mark.exercise("activations.gelu_at")
def test_gelu_at(solution):
    # Float32 GELU runs on oneDNN, whose threads cost milliseconds a call on a busy machine: so float32 at the
    # classic points only, and the seeded-random points in float64.
    classic, _, random_float64 = grids()
    for x in (classic, random_float64):
        expect_call(
            solution,
            (x,),
            gelu_slope(x),
            likely={
                "the slope of GELU's tanh approximation; gelu(x) is exact by default": tanh_gelu_slope(x),
                "the slope of x·(1 + erf(x))/2: Φ(x) is (1 + erf(x/√2))/2, mind the √2": (erf_without_root_2_slope(x)),
                "ReLU's slope, not GELU's": step(x),
                "GELU(x) itself, not its slope": in_float64(F.gelu)(x),
            },
        )


@pytest.mark.exercise("activations.sigmoid_closed_form")
def test_sigmoid_closed_form(solution):
    # The tails, where σ(x)·(1 − σ(x)) rounds to 0 in float32 but σ' is not 0: within the tolerance either way.
    for x in (*grids(), torch.tensor([-20.0, -12.0, 12.0, 20.0])):
        expect_call(
            solution,
            (x,),
            sigmoid_slope(x),
            autograd=False,
            likely={
                "σ(x) itself, not its slope": torch.sigmoid(x),
                "1 − σ(x)², not σ(x)·(1 − σ(x))": 1 - torch.sigmoid(x) ** 2,
                "1 − σ(x) alone: multiply it by σ(x)": 1 - torch.sigmoid(x),
            },
        )


# Closed forms offered as f', named so that a failure says which one it was called with.
def sigmoid_times_one_minus(x):
    return torch.sigmoid(x) * (1 - torch.sigmoid(x))


def three_x(x):
    return 3 * x


def one_minus_tanh_squared(x):
    return 1 - torch.tanh(x) ** 2


def one_minus_tanh(x):
    return 1 - torch.tanh(x)


# (f, its slope, a closed form offered as f'): right forms give a gap of 0, wrong ones a gap of either sign.
CANDIDATES = [
    (torch.sigmoid, sigmoid_slope, sigmoid_times_one_minus),
    (cube, lambda x: 3 * x**2, three_x),
    (torch.tanh, sech_squared, one_minus_tanh_squared),
    (torch.tanh, sech_squared, one_minus_tanh),
    (F.softplus, torch.sigmoid, torch.sigmoid),
    (torch.sigmoid, sigmoid_slope, torch.sigmoid),
]
GAP_CAUSES = {
    "got torch.bool": "booleans say whether the slopes agree (isclose, ==); the gap is their signed difference",
    ", got []": "one number for all the points (max, sum, norm?); the gap is pointwise, one value a point",
}


@pytest.mark.exercise("activations.closed_form_gap")
def test_closed_form_gap(solution):
    for f, slope, derivative in CANDIDATES:
        for x in grids():
            wide = x.double()
            gap = (slope(wide) - derivative(wide)).to(x.dtype)
            with naming({**GAP_CAUSES}):
                expect_call(
                    solution,
                    (f, derivative, x),
                    gap,
                    likely={
                        "|gap|: keep its sign, autograd's slope minus derivative(x)": gap.abs(),
                        "autograd's slope alone: subtract derivative(x)": slope(wide).to(x.dtype),
                    },
                )


def leaky_by(f):
    """A learner-style leaky_relu_at: the sum trick on f(x, negative_slope)."""
    return lambda x, negative_slope: slope_by_autograd(lambda t: f(t, negative_slope))(x)


def gap_by(combine):
    """A learner-style closed_form_gap: autograd's slope at the points, then combine(slope, derivative, x)."""

    def solve(f, derivative, x):
        slope = slope_by_autograd(f)(x)
        return combine(slope, derivative, x)

    return solve


def attached_gap(f, derivative, x):
    """Evaluates the closed form at the leaf itself, so the gap joins the graph."""
    x = x.clone().requires_grad_()
    f(x).sum().backward()
    return x.grad - derivative(x)


def central_difference(f, x, h=1e-6):
    wide = x.double()
    return ((f(wide + h) - f(wide - h)) / (2 * h)).to(x.dtype)


def gap_by_differences(f, derivative, x):
    """f' by central differences, beside a backward() of f that it does not use."""
    t = x.clone().requires_grad_()
    f(t).sum().backward()
    return central_difference(f, x) - derivative(x)


def literal_softplus(t):
    return torch.log(1 + torch.exp(t))


tanh_at_near_misses = rejects(
    test_tanh_at,
    NearMiss("by-hand", lambda x: 1 - torch.tanh(x) ** 2, "autograd never ran"),
    NearMiss("closed-form-beside-backward", beside_backward(lambda x: 1 - torch.tanh(x) ** 2), "did not make it"),
    NearMiss("tanh-itself", slope_by_autograd(torch.tanh, lambda x, y: y.detach()), r"tanh\(x\) itself"),
    NearMiss("float32-always", lambda x: slope_by_autograd(torch.tanh)(x.float()), "keeps x's dtype"),
    NearMiss("mean-not-sum", slope_by_autograd(torch.tanh, reduce=torch.mean), "divided by n"),
)
softplus_at_near_misses = rejects(
    test_softplus_at,
    NearMiss("sigmoid-by-hand", torch.sigmoid, "autograd never ran"),
    NearMiss("closed-form-beside-backward", beside_backward(torch.sigmoid), "autograd did not make it"),
    NearMiss("sigmoid-slope", slope_by_autograd(torch.sigmoid), "the sigmoid's slope"),
    NearMiss("mean-not-sum", lambda x: slope_by_autograd(F.softplus)(x) / len(x), "divided by n"),
    NearMiss("literal-log-exp", slope_by_autograd(literal_softplus), "log.*overflows"),
    NearMiss("softplus-itself", slope_by_autograd(F.softplus, lambda x, y: y.detach()), r"softplus\(x\) itself"),
)
leaky_relu_at_near_misses = rejects(
    test_leaky_relu_at,
    NearMiss("default-slope", leaky_by(lambda t, s: F.leaky_relu(t)), "the default slope 0.01"),
    NearMiss("plain-relu", leaky_by(lambda t, s: torch.relu(t)), "plain ReLU's slope"),
    NearMiss("slope-1-at-0", leaky_by(lambda t, s: torch.where(t >= 0, t, s * t)), "slope 1 at 0"),
    NearMiss("by-hand", lambda x, s: torch.where(x > 0, 1.0, s).to(x.dtype), "autograd never ran"),
    NearMiss(
        "closed-form-beside-backward",
        beside_backward(lambda x, s: torch.where(x > 0, 1.0, s).to(x.dtype)),
        "autograd did not make it",
    ),
    NearMiss("float32-always", lambda x, s: leaky_by(F.leaky_relu)(x.float(), s), "keeps x's dtype"),
)
gelu_at_near_misses = rejects(
    test_gelu_at,
    NearMiss("tanh-gelu", slope_by_autograd(lambda t: F.gelu(t, approximate="tanh")), "tanh approximation"),
    NearMiss("erf-without-root-2", slope_by_autograd(lambda t: 0.5 * t * (1 + torch.erf(t))), "mind the √2"),
    NearMiss("relu", slope_by_autograd(torch.relu), "ReLU's slope, not GELU's"),
    NearMiss("gelu-itself", slope_by_autograd(F.gelu, lambda x, y: y.detach()), r"GELU\(x\) itself"),
    NearMiss("closed-form-beside-backward", beside_backward(gelu_slope), "autograd did not make it"),
    NearMiss("float32-always", lambda x: slope_by_autograd(F.gelu)(x).float(), "keeps x's dtype"),
)


def in_place_sigmoid(x):
    s = x.sigmoid_()
    return s * (1 - s)


sigmoid_closed_form_near_misses = rejects(
    test_sigmoid_closed_form,
    NearMiss("autograd", slope_by_autograd(torch.sigmoid), r"autograd ran \(backward\)"),
    NearMiss(
        "forward-mode",
        lambda x: torch.func.jvp(torch.sigmoid, (x,), (torch.ones_like(x),))[1],
        r"autograd ran \(dual number\)",
    ),
    NearMiss("sigmoid-itself", torch.sigmoid, r"σ\(x\) itself"),
    NearMiss("one-minus-square", lambda x: 1 - torch.sigmoid(x) ** 2, r"1 − σ\(x\)², not"),
    NearMiss("one-minus-sigmoid", lambda x: 1 - torch.sigmoid(x), r"1 − σ\(x\) alone"),
    NearMiss("numpy", lambda x: (torch.sigmoid(x) * torch.sigmoid(-x)).numpy(), "expected a torch.Tensor"),
    NearMiss("float32-always", lambda x: sigmoid_slope(x.float()), "keeps x's dtype"),
    NearMiss("in-place-on-x", in_place_sigmoid, "changed the caller's x: its values changed"),
)
closed_form_gap_near_misses = rejects(
    test_closed_form_gap,
    NearMiss("reversed", gap_by(lambda slope, derivative, x: derivative(x) - slope), "sign is flipped"),
    NearMiss("absolute", gap_by(lambda slope, derivative, x: (slope - derivative(x)).abs()), "keep its sign"),
    NearMiss("max-only", gap_by(lambda slope, derivative, x: (slope - derivative(x)).abs().max()), "pointwise"),
    NearMiss("is-close", gap_by(lambda slope, derivative, x: torch.isclose(slope, derivative(x))), "booleans"),
    NearMiss("slope-only", gap_by(lambda slope, derivative, x: slope), "subtract derivative"),
    NearMiss("always-zero", lambda f, derivative, x: torch.zeros_like(x), "autograd never ran"),
    NearMiss("differences-beside-backward", gap_by_differences, "autograd did not make it"),
    NearMiss("form-on-graph", attached_gap, "attached to the graph"),
    NearMiss("float32-always", lambda f, d, x: gap_by(lambda s, d, x: s - d(x))(f, d, x.float()), "keeps x's dtype"),
)
