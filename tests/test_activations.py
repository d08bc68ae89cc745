"""Module 4, activations: slopes against closed forms computed here, the by-hand one, the gap, near misses."""

import math

import pytest
import torch
import torch.nn.functional as F

from tests.kata.checks import NearMiss, cube, expect_call, random_tensor, rejects, slope_by_autograd


def grids() -> list[torch.Tensor]:
    """Classic points (0, both sides of it, the flat tails), seeded-random ones and float64 ones."""
    return [
        torch.tensor([-5.0, -1.0, 0.0, 0.5, 2.0, 4.0]),
        random_tensor(6, seed=41),
        random_tensor(5, seed=42, dtype=torch.float64),
    ]


def sech_squared(x):
    return 1 / torch.cosh(x) ** 2


def gelu_slope(x):
    """Φ(x) + x·φ(x), in float64 and then in x's dtype, so that rounding stays far below the tolerance."""
    wide = x.double()
    cdf = 0.5 * (1 + torch.erf(wide / math.sqrt(2)))
    density = torch.exp(-(wide**2) / 2) / math.sqrt(2 * math.pi)
    return (cdf + wide * density).to(x.dtype)


def tanh_gelu_slope(x):
    """The slope of GELU's tanh approximation 0.5·x·(1 + tanh(k·(x + 0.044715·x³))), k = √(2/π)."""
    k = math.sqrt(2 / math.pi)
    t = torch.tanh(k * (x + 0.044715 * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * k * (1 + 3 * 0.044715 * x**2)


@pytest.mark.exercise("activations.tanh_at")
def test_tanh_at(solution):
    for x in grids():
        expect_call(solution, (x,), sech_squared(x), likely={"tanh(x) itself, not its slope": torch.tanh(x)})


@pytest.mark.exercise("activations.softplus_at")
def test_softplus_at(solution):
    for x in grids():
        expect_call(solution, (x,), torch.sigmoid(x), likely={"softplus(x) itself, not its slope": F.softplus(x)})


SLOPES = (0.1, 0.01, 0.25)


@pytest.mark.exercise("activations.leaky_relu_at")
def test_leaky_relu_at(solution):
    for negative_slope in SLOPES:
        for x in grids():
            default_slope = torch.where(x > 0, 1.0, 0.01).to(x.dtype)
            expect_call(
                solution,
                (x, negative_slope),
                torch.where(x > 0, 1.0, negative_slope).to(x.dtype),
                likely={"the default slope 0.01: pass negative_slope on to leaky_relu": default_slope},
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
            likely={"the slope of GELU's tanh approximation; gelu(x) is exact by default": tanh_gelu_slope(x)},
        )


@pytest.mark.exercise("activations.sigmoid_closed_form")
def test_sigmoid_closed_form(solution):
    for x in grids():
        expect_call(
            solution,
            (x,),
            torch.exp(-x) / (1 + torch.exp(-x)) ** 2,
            autograd=False,
            likely={"σ(x) itself, not its slope": torch.sigmoid(x)},
        )


# (f, a closed form offered as f', autograd's f' minus it): right forms give 0, wrong ones a gap of either sign.
CANDIDATES = [
    (torch.sigmoid, lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x)), torch.zeros_like),
    (cube, lambda x: 3 * x, lambda x: 3 * x**2 - 3 * x),
    (torch.tanh, lambda x: 1 - torch.tanh(x) ** 2, torch.zeros_like),
    (torch.tanh, lambda x: 1 - torch.tanh(x), lambda x: torch.tanh(x) - torch.tanh(x) ** 2),
    (F.softplus, torch.sigmoid, torch.zeros_like),
    (torch.sigmoid, torch.sigmoid, lambda x: -(torch.sigmoid(x) ** 2)),
]


@pytest.mark.exercise("activations.closed_form_gap")
def test_closed_form_gap(solution):
    for f, derivative, gap in CANDIDATES:
        for x in grids():
            expect_call(solution, (f, derivative, x), gap(x))


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


tanh_at_near_misses = rejects(
    test_tanh_at,
    NearMiss("by-hand", lambda x: 1 - torch.tanh(x) ** 2, "autograd never ran"),
    NearMiss("tanh-itself", slope_by_autograd(torch.tanh, lambda x, y: y.detach()), r"tanh\(x\) itself"),
    NearMiss("float32-always", lambda x: slope_by_autograd(torch.tanh)(x.float()), "dtype"),
)
softplus_at_near_misses = rejects(
    test_softplus_at,
    NearMiss("sigmoid-by-hand", torch.sigmoid, "autograd never ran"),
    NearMiss("sigmoid-slope", slope_by_autograd(torch.sigmoid), "expected"),
    NearMiss("mean-not-sum", lambda x: slope_by_autograd(F.softplus)(x) / len(x), "expected"),
)
leaky_relu_at_near_misses = rejects(
    test_leaky_relu_at,
    NearMiss("default-slope", leaky_by(lambda t, s: F.leaky_relu(t)), "the default slope 0.01"),
    NearMiss("plain-relu", leaky_by(lambda t, s: torch.relu(t)), "expected"),
    NearMiss("slope-1-at-0", leaky_by(lambda t, s: torch.where(t >= 0, t, s * t)), "expected"),
    NearMiss("by-hand", lambda x, s: torch.where(x > 0, 1.0, s).to(x.dtype), "autograd never ran"),
)
gelu_at_near_misses = rejects(
    test_gelu_at,
    NearMiss("tanh-gelu", slope_by_autograd(lambda t: F.gelu(t, approximate="tanh")), "tanh approximation"),
    NearMiss("erf-without-root-2", slope_by_autograd(lambda t: 0.5 * t * (1 + torch.erf(t))), "expected"),
    NearMiss("relu", slope_by_autograd(torch.relu), "expected"),
)
sigmoid_closed_form_near_misses = rejects(
    test_sigmoid_closed_form,
    NearMiss("autograd", slope_by_autograd(torch.sigmoid), "autograd ran"),
    NearMiss("sigmoid-itself", torch.sigmoid, r"σ\(x\) itself"),
    NearMiss("one-minus-square", lambda x: 1 - torch.sigmoid(x) ** 2, "expected"),
    NearMiss("numpy", lambda x: (torch.sigmoid(x) * torch.sigmoid(-x)).numpy(), "expected a torch.Tensor"),
)
closed_form_gap_near_misses = rejects(
    test_closed_form_gap,
    NearMiss("reversed", gap_by(lambda slope, derivative, x: derivative(x) - slope), "sign is flipped"),
    NearMiss("absolute", gap_by(lambda slope, derivative, x: (slope - derivative(x)).abs()), "expected"),
    NearMiss("max-only", gap_by(lambda slope, derivative, x: (slope - derivative(x)).abs().max()), "shape"),
    NearMiss("is-close", gap_by(lambda slope, derivative, x: torch.isclose(slope, derivative(x))), "dtype"),
    NearMiss("always-zero", lambda f, derivative, x: torch.zeros_like(x), "autograd never ran"),
    NearMiss("form-on-graph", attached_gap, "attached to the graph"),
)
