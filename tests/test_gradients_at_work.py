"""Module 11, gradients at work: descent on (x − 3)² against its closed form x_k − 3 = (1 − 2·lr)^k (x₀ − 3),
the MSE gradients of a line, an SGD step by hand, a fit with torch.optim.SGD against the closed form of
full-batch descent on a quadratic, and the near misses."""

import pytest
import torch

from tests.kata.checks import (
    NearMiss,
    expect_call,
    expect_like,
    expect_made_by_autograd,
    fail,
    optimizer_steps,
    points,
    random_tensor,
    rejects,
    scalar,
)
from tests.kata.solution import short_repr

F64 = torch.float64


@pytest.mark.exercise("gradients_at_work.descent_step")
def test_descent_step(solution):
    for x, lr in zip(points(5.0, 3.0, -1.0, seed=120), (0.1, 0.5, 0.25, 0.1, 0.5, 1.0, 0.05)):
        slope = 2 * (x - 3)
        expect_call(
            solution,
            (x, lr),
            scalar(x - lr * slope),
            likely={
                "gradient ascent: x + lr·f'(x) climbs; step against the gradient": scalar(x + lr * slope),
                "f'(x) itself: return the new point, x − lr·f'(x)": scalar(slope),
            },
        )


def closed_form_descent(x0: float, lr: float, tol: float, max_steps: int) -> tuple[float, int]:
    """x_k = 3 + (1 − 2·lr)^k (x₀ − 3), and k the first step count where |f'(x_k)| = 2|x_k − 3| < tol."""
    k = 0
    while 2 * abs((1 - 2 * lr) ** k * (x0 - 3)) >= tol and k < max_steps:
        k += 1
    return 3 + (1 - 2 * lr) ** k * (x0 - 3), k


def steps_taken(x0: float, lr: float, tol: float, max_steps: int, *, clear=True, flat=None) -> int:
    """The steps a learner-style descent takes, in Python floats: with `clear` False each slope adds into the last
    (x.grad never cleared); `flat(x, slope)` decides when to stop, |slope| < tol unless given."""
    x, slope = x0, 0.0
    for steps in range(max_steps + 1):
        slope = 2 * (x - 3) + (0.0 if clear else slope)
        if (flat(x, slope) if flat else abs(slope) < tol) or steps == max_steps:
            return steps
        x -= lr * slope
    return max_steps


def step_count_mistakes(x0: float, lr: float, tol: float, max_steps: int, k: int) -> dict[int, str]:
    """{wrong step count: its likely cause}, for the mistakes that count differently from k here."""
    mistakes = {
        k + 1: "one more than the steps taken: count the steps x moved, not the checks of the slope",
        steps_taken(x0, lr, tol, max_steps, clear=False): "x.grad never cleared: backward() adds each slope "
        "into the last; clear it (x.grad = None) before each backward()",
        steps_taken(x0, lr, tol, max_steps, flat=lambda x, slope: abs(x - 3) < tol): "stopped once x was within "
        "tol of 3: stop when the slope is flat, |f'(x)| < tol",
    }
    return {steps: why for steps, why in reversed(mistakes.items()) if steps != k}


def minimize_cases() -> list[tuple]:
    """Argument tuples, the defaults (tol 1e-4, 200 steps) where there are two. Each step count stays 17 % or
    more away from the threshold, far beyond float32's rounding, so the count is exact. Few steps in all:
    every operation in a learner's call costs a little more under the kata's watch."""
    return [
        (4.0, 1.0, 1e-4, 7),  # 1 - 2·lr = -1: bounces between 4 and 2 until the steps run out
        (5.0, 0.5),  # 1 - 2·lr = 0: one step lands on 3
        (3.0, 0.1),  # already flat: no step at all
        (5.0, 0.4),
        (0.0, 0.75, 1e-2, 200),  # overshoots, the sign alternating, and still converges
        (10.0, 0.01, 1e-4, 5),  # too slow for 5 steps
        *((x0, lr, 1e-2, 200) for x0, lr in zip(points(count=2, seed=121), (0.3, 0.4))),
    ]


@pytest.mark.exercise("gradients_at_work.minimize")
def test_minimize(solution):
    for args in minimize_cases():
        x0, lr, tol, max_steps = (*args, 1e-4, 200)[:4]
        x_k, k = closed_form_descent(x0, lr, tol, max_steps)
        got = solution(*args)
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            fail(f"{solution.call}: got {type(got).__name__} {short_repr(got)}, expected a tuple (x, steps)")
        x, steps = got
        if not isinstance(steps, int) or isinstance(steps, bool):
            fail(f"{solution.call}: steps is {type(steps).__name__} {short_repr(steps)}, expected a Python int")
        if steps != k:
            cause = step_count_mistakes(x0, lr, tol, max_steps, k).get(
                steps,
                "check |f'(x)| < tol before each step, count only the steps taken, and clear x.grad between them",
            )
            fail(
                f"{solution.call}: took {steps} step{'' if steps == 1 else 's'}, expected {k} "
                f"(x_k − 3 = (1 − 2·lr)^k (x₀ − 3)): {cause}"
            )
        expect_like(x, scalar(x_k), f"{solution.call}[0]")
        expect_made_by_autograd(solution, got, (scalar(x_k), k))


def line_data(seed: int, n: int = 6, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded points near the line y = 2x − 1."""
    x = random_tensor(n, seed=seed, dtype=dtype)
    return x, 2 * x - 1 + random_tensor(n, seed=seed + 1, dtype=dtype, scale=0.1)


@pytest.mark.exercise("gradients_at_work.mse_gradients")
def test_mse_gradients(solution):
    cases = [(0.0, 0.0, torch.tensor([1.0, 2.0]), torch.tensor([1.0, 3.0]))]
    slopes_and_intercepts = points(count=4, seed=123)
    pairs = [(0.0, 0.0), (2.0, -1.0), *zip(slopes_and_intercepts[::2], slopes_and_intercepts[1::2])]
    cases += [(w, b, *line_data(122)) for w, b in pairs]
    cases += [(0.5, 0.5, *line_data(124, dtype=F64))]
    for w, b, x, y in cases:
        d_dw, d_db = 2 * (w * x + b - y) * x, 2 * (w * x + b - y)  # each point's share of the gradient
        expect_call(
            solution,
            (w, b, x, y),
            (d_dw.mean(), d_db.mean()),
            likely={
                "the gradient of the summed squared error, not of its mean": (d_dw.sum(), d_db.sum()),
                "(∂L/∂b, ∂L/∂w): the order is (∂L/∂w, ∂L/∂b)": (d_db.mean(), d_dw.mean()),
                "the gradient of mean(w·x + b − y), not of its square: square the residuals": (
                    x.mean(),
                    torch.ones((), dtype=x.dtype),
                ),
            },
        )


BY_HAND = "this exercise is the update by hand that step() makes: p -= lr * p.grad under torch.no_grad()"


@pytest.mark.exercise("gradients_at_work.sgd_step")
def test_sgd_step(solution):
    for lr, dtype in ((0.1, torch.float32), (0.5, F64)):
        values = [random_tensor(3, seed=125, dtype=dtype), scalar(0.5, dtype), torch.tensor([1.0, 2.0], dtype=dtype)]
        grads = [random_tensor(3, seed=126, dtype=dtype), scalar(-2.0, dtype), None]  # the last has none yet
        params = [value.clone().requires_grad_() for value in values]
        for param, grad in zip(params, grads):
            param.grad = None if grad is None else grad.clone()
        returned = solution(list(params), lr)
        for index, (param, old, grad) in enumerate(zip(params, values, grads)):
            where = f"sgd_step(params, lr={lr}), then params[{index}]"
            if not (param.is_leaf and param.requires_grad):
                fail(f"{where} is no longer a leaf that requires grad: update it in place under torch.no_grad()")
            expected = old if grad is None else old - lr * grad
            expect_like(
                param.detach(),
                expected,
                where,
                likely={
                    "unchanged: p = p - ... only makes a new tensor; update p itself in place (p -= ...) under "
                    "torch.no_grad()": old,
                    "moved up the gradient: p − lr·grad descends": old if grad is None else old + lr * grad,
                },
            )
            if (param.grad is None) != (grad is None) or (grad is not None and not torch.equal(param.grad, grad)):
                fail(f"{where}.grad changed: step() leaves .grad as it was; clearing it is zero_grad()'s job")
        optimizer_steps(None, BY_HAND).expect(solution)
        if returned is not None:
            fail(
                f"{solution.call}: returned {short_repr(returned)}, expected None: sgd_step changes the "
                "parameters in place and returns nothing"
            )
    returned = solution([], 0.1)  # no parameters: nothing to do
    if returned is not None:
        fail(f"{solution.call}: returned {short_repr(returned)}, expected None")


def mse_quadratic(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The MSE of the line θ = (w, b) is quadratic: its gradient is H·θ − g, with H = 2AᵀA / n, g = 2Aᵀy / n
    and A = [x, 1]. In float64."""
    a = torch.stack([x, torch.ones_like(x)], 1).to(F64)
    return 2 * a.T @ a / len(x), 2 * a.T @ y.to(F64) / len(x)


def sgd_closed_form(x: torch.Tensor, y: torch.Tensor, lr: float, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Full-batch descent from θ₀ = 0 is linear: θ_k = θ* − (I − lr·H)^k θ*, θ* = H⁻¹g the least-squares line."""
    hessian, g = mse_quadratic(x, y)
    best = torch.linalg.solve(hessian, g)
    w, b = (best - torch.linalg.matrix_power(torch.eye(2, dtype=F64) - lr * hessian, steps) @ best).to(x.dtype)
    return w, b


def sgd_never_cleared(x: torch.Tensor, y: torch.Tensor, lr: float, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Where zero_grad() never runs, each step moves by lr times the sum of all the gradients so far."""
    hessian, g = mse_quadratic(x, y)
    theta, gradient_sum = torch.zeros(2, dtype=F64), torch.zeros(2, dtype=F64)
    for _ in range(steps):
        gradient_sum += hessian @ theta - g
        theta -= lr * gradient_sum
    w, b = theta.to(x.dtype)
    return w, b


@pytest.mark.exercise("gradients_at_work.fit_line")
def test_fit_line(solution):
    lab = (torch.tensor([0.0, 1.0]), torch.tensor([-1.0, 1.0]))
    # Few steps: an optimizer's step() costs most of a millisecond.
    cases = [
        (*lab, 0.5, 1),
        (*line_data(127), 0.1, 5),
        (*line_data(127), 0.05, 10),
        (*line_data(129), 0.2, 15),
        (*line_data(131, dtype=F64), 0.1, 8),
    ]
    for x, y, lr, steps in cases:
        zero = torch.zeros((), dtype=x.dtype)
        expect_call(
            solution,
            (x, y, lr, steps),
            sgd_closed_form(x, y, lr, steps),
            mechanics=[optimizer_steps(steps, "this exercise is about torch.optim.SGD: its step() makes every update")],
            rtol=1e-4,
            atol=1e-5,
            likely={
                "the least-squares line itself: `steps` SGD steps from 0 do not reach it yet": sgd_closed_form(
                    x, y, lr, 10_000
                ),
                "the gradient of the summed squared error, not of its mean: steps n times too long": sgd_closed_form(
                    x, y, lr * len(x), steps
                ),
                "still 0: the gradients were cleared after backward(), before step() could use them": (zero, zero),
                "gradients summed over all the steps so far: clear them (zero_grad) in every step": sgd_never_cleared(
                    x, y, lr, steps
                ),
            },
        )


def descend(
    x0,
    lr,
    tol=1e-4,
    max_steps=200,
    clear=True,
    flat=lambda x, grad, tol: abs(grad) < tol,
    finish=lambda x, steps: (x.detach(), steps),
):
    """A learner-style minimize: `clear` the gradient before each backward, stop once `flat`, return `finish`."""
    x = torch.tensor(x0, requires_grad=True)
    steps = 0
    while True:
        if clear:
            x.grad = None
        ((x - 3) ** 2).backward()
        if flat(x, x.grad, tol) or steps == max_steps:
            return finish(x, steps)
        with torch.no_grad():
            x -= lr * x.grad
        steps += 1


def descend_by(**changes):
    return lambda *args: descend(*args, **changes)


def minimize_by_hand(x0, lr, tol=1e-4, max_steps=200):
    """f'(x) = 2(x − 3) written out: the right steps, but no autograd."""
    x, steps = torch.tensor(x0), 0
    while steps < max_steps and abs(2 * (x - 3)) >= tol:
        x, steps = x - lr * 2 * (x - 3), steps + 1
    return x, steps


def step_against_slope(finish):
    """A learner-style descent_step: x − lr·f'(x) as `finish(x, lr)` makes it."""

    def solve(x, lr):
        x = torch.tensor(x, requires_grad=True)
        ((x - 3) ** 2).backward()
        return finish(x, lr)

    return solve


def mse_gradients_of(loss, pick=lambda w, b: (w.grad, b.grad)):
    def solve(w, b, x, y):
        w = torch.tensor(w, dtype=x.dtype, requires_grad=True)
        b = torch.tensor(b, dtype=x.dtype, requires_grad=True)
        loss(w * x + b - y).backward()
        return pick(w, b)

    return solve


def mean_square(residual):
    return (residual**2).mean()


def sgd_step_by(update, clear=False):
    def solve(params, lr):
        with torch.no_grad():
            for p in params:
                update(p, lr)
                if clear and p.grad is not None:
                    p.grad.zero_()

    return solve


def mse_gradients_by_hand(w, b, x, y):
    residual = w * x + b - y
    return torch.mean(2 * residual * x), torch.mean(2 * residual)


def sgd_step_by_torch_optim(params, lr):
    """The step left to torch.optim: right, but the lesson is the update it makes."""
    params = list(params)
    if params:  # torch.optim refuses an empty list
        torch.optim.SGD(params, lr=lr).step()


def returning_params(sgd_step):
    def solve(params, lr):
        sgd_step(params, lr)
        return params

    return solve


def rebinding_sgd_step(params, lr):
    for p in params:
        if p.grad is not None:
            p = p - lr * p.grad  # the near miss: a new tensor, while the parameter stays as it was


def unguarded_sgd_step(params, lr):
    for p in params:
        if p.grad is not None:
            p -= lr * p.grad


def subtract_gradient(p, lr):
    if p.grad is not None:
        p -= lr * p.grad


def add_gradient(p, lr):
    if p.grad is not None:
        p += lr * p.grad


class PlainSGD:
    """torch.optim.SGD's zero_grad() and step() written by hand: the update fit_line leaves to the optimizer."""

    def __init__(self, params: list[torch.Tensor], lr: float) -> None:
        self.params, self.lr = params, lr

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        sgd_step_by(subtract_gradient)(self.params, self.lr)


def fit_line_by(
    order=("zero_grad", "loss", "backward", "step"),
    reduce=torch.mean,
    finish=lambda w, b: (w.detach(), b.detach()),
    optimizer=torch.optim.SGD,
):
    """A learner-style fit_line whose loop body runs `order` ("zero_grad" may be missing or misplaced) with
    `optimizer`: torch.optim.SGD, or PlainSGD for an update by hand."""

    def solve(x, y, lr, steps):
        w = torch.zeros((), dtype=x.dtype, requires_grad=True)
        b = torch.zeros((), dtype=x.dtype, requires_grad=True)
        sgd = optimizer([w, b], lr=lr)
        for _ in range(steps):
            for action in order:
                if action == "loss":
                    loss = reduce((w * x + b - y) ** 2)
                elif action == "backward":
                    loss.backward()
                else:
                    getattr(sgd, action)()
        return finish(w, b)

    return solve


def least_squares(x, y, lr, steps):
    a = torch.stack([x, torch.ones_like(x)], 1)
    w, b = torch.linalg.lstsq(a, y.unsqueeze(1)).solution.squeeze(1)
    return w, b


descent_step_near_misses = rejects(
    test_descent_step,
    NearMiss("ascent", step_against_slope(lambda x, lr: (x + lr * x.grad).detach()), "gradient ascent"),
    NearMiss("attached", step_against_slope(lambda x, lr: x - lr * x.grad), "attached to the graph"),
    NearMiss("returns-slope", step_against_slope(lambda x, lr: x.grad), "f'\\(x\\) itself"),
    NearMiss("by-hand", lambda x, lr: torch.tensor(x - lr * 2 * (x - 3)), "autograd never ran"),
    NearMiss("returns-float", step_against_slope(lambda x, lr: (x - lr * x.grad).item()), "got float"),
)
minimize_near_misses = rejects(
    test_minimize,
    NearMiss("no-clearing", descend_by(clear=False), "took 1 step, expected 7 .*x.grad never cleared"),
    NearMiss(
        "counts-checks",
        descend_by(finish=lambda x, steps: (x.detach(), steps + 1)),
        "took 8 steps, expected 7 .*count the steps x moved",
    ),
    NearMiss(
        "stops-near-3",
        descend_by(flat=lambda x, grad, tol: abs(x - 3) < tol),
        "took 9 steps, expected 10 .*stopped once x was within tol of 3",
    ),
    NearMiss("by-hand", minimize_by_hand, "autograd never ran"),
    NearMiss("attached", descend_by(finish=lambda x, steps: (x, steps)), "attached to the graph"),
    NearMiss("float-x", descend_by(finish=lambda x, steps: (x.item(), steps)), "got float"),
    NearMiss("tensor-steps", descend_by(finish=lambda x, steps: (x.detach(), torch.tensor(steps))), "Python int"),
)
mse_gradients_near_misses = rejects(
    test_mse_gradients,
    NearMiss("sum-not-mean", mse_gradients_of(lambda r: (r**2).sum()), "summed squared error"),
    NearMiss("swapped", mse_gradients_of(mean_square, lambda w, b: (b.grad, w.grad)), "the order is"),
    NearMiss("no-square", mse_gradients_of(torch.mean), "not of its square"),
    NearMiss("by-hand", mse_gradients_by_hand, "autograd never ran"),
    NearMiss("only-w", mse_gradients_of(mean_square, lambda w, b: w.grad), "expected a tuple"),
    NearMiss("float32-always", lambda w, b, x, y: mse_gradients_of(mean_square)(w, b, x.float(), y.float()), "dtype"),
)
sgd_step_near_misses = rejects(
    test_sgd_step,
    NearMiss("rebinds", rebinding_sgd_step, "unchanged"),
    NearMiss("no-no-grad", unguarded_sgd_step, "leaf Variable"),
    NearMiss("clears-grad", sgd_step_by(subtract_gradient, clear=True), "grad changed"),
    NearMiss("ascent", sgd_step_by(add_gradient), "up the gradient"),
    NearMiss("no-none-check", sgd_step_by(lambda p, lr: p.sub_(lr * p.grad)), "NoneType"),
    NearMiss("torch-optim-sgd", sgd_step_by_torch_optim, r"a torch.optim optimizer did the step \(SGD.step\(\)\)"),
    NearMiss("returns-params", returning_params(sgd_step_by(subtract_gradient)), "returns nothing"),
)
fit_line_near_misses = rejects(
    test_fit_line,
    NearMiss("no-zero-grad", fit_line_by(order=("loss", "backward", "step")), "summed over all the steps"),
    NearMiss("zero-grad-before-step", fit_line_by(order=("loss", "backward", "zero_grad", "step")), "still 0"),
    NearMiss("sum-loss", fit_line_by(reduce=torch.sum), "summed squared error"),
    NearMiss("least-squares", least_squares, "least-squares line"),
    NearMiss("attached", fit_line_by(finish=lambda w, b: (w, b)), "attached to the graph"),
    NearMiss(
        "update-by-hand",
        fit_line_by(optimizer=PlainSGD),
        "0 optimizer steps ran, not 1; this exercise is about torch.optim.SGD",
    ),
)
