"""Alternatives for exercises/gradients_at_work.py."""

import torch
import torch.autograd.forward_ad as fwAD
import torch.nn.functional as F
from torch.func import grad as func_grad


def _f(t: torch.Tensor) -> torch.Tensor:
    return (t - 3) ** 2


def _slope_dual(t: torch.Tensor) -> torch.Tensor:
    """f'(t) by forward mode, for a 0-dim t that does not require grad."""
    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(_f(fwAD.make_dual(t, torch.ones_like(t)))).tangent
    return tangent.clone()


# ---------------------------------------------------------------- descent_step: x − lr·2(x − 3)
def descent_step__autograd_grad(x: float, lr: float) -> torch.Tensor:
    t = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    (g,) = torch.autograd.grad(_f(t), t)
    return (t - lr * g).detach()


def descent_step__forward_dual(x: float, lr: float) -> torch.Tensor:
    t = torch.tensor(x, dtype=torch.float32)
    return t - lr * _slope_dual(t)


def descent_step__sgd_optimizer(x: float, lr: float) -> torch.Tensor:
    # the step done by torch.optim.SGD, after a backward() that fills .grad
    p = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    _f(p).backward()
    opt.step()
    return p.detach().clone()


def descent_step__in_place_no_grad(x: float, lr: float) -> torch.Tensor:
    p = torch.full((), x, dtype=torch.float32, requires_grad=True)
    _f(p).backward()
    with torch.no_grad():
        p -= lr * p.grad
    return p.detach()


# ---------------------------------------------------------------- minimize: descend until |f'| < tol or max_steps
def minimize__autograd_grad_for(
    x0: float, lr: float, tol: float = 1e-4, max_steps: int = 200
) -> tuple[torch.Tensor, int]:
    x = torch.tensor(x0, dtype=torch.float32)
    steps = 0
    for _ in range(max_steps):
        t = x.clone().requires_grad_()
        (g,) = torch.autograd.grad(_f(t), t)
        if g.abs() < tol:
            break
        x = (t - lr * g).detach()
        steps += 1
    return x, steps


def minimize__forward_dual_while(
    x0: float, lr: float, tol: float = 1e-4, max_steps: int = 200
) -> tuple[torch.Tensor, int]:
    x = torch.tensor(x0, dtype=torch.float32)
    steps = 0
    while steps < max_steps:
        g = _slope_dual(x)
        if abs(g.item()) < tol:
            break
        x = x - lr * g
        steps += 1
    return x, steps


def minimize__sgd_optimizer(x0: float, lr: float, tol: float = 1e-4, max_steps: int = 200) -> tuple[torch.Tensor, int]:
    p = torch.tensor(x0, dtype=torch.float32, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    steps = 0
    while True:
        opt.zero_grad()
        _f(p).backward()
        if steps >= max_steps or bool(p.grad.abs() < tol):
            break
        opt.step()
        steps += 1
    return p.detach().clone(), steps


def minimize__func_grad_float64_inside(
    x0: float, lr: float, tol: float = 1e-4, max_steps: int = 200
) -> tuple[torch.Tensor, int]:
    # iterates in float64 and returns the float32 point the docstring asks for; the docstring
    # fixes the return dtype only, not the arithmetic, so this is a correct reading too
    # (it can differ from float32 arithmetic by one step when |f'(x)| lands within rounding of tol)
    df = func_grad(_f)
    x = torch.tensor(x0, dtype=torch.float64)
    steps = 0
    while steps < max_steps:
        g = df(x)
        if g.abs().item() < tol:
            break
        x = x - lr * g
        steps += 1
    return x.to(torch.float32), steps


# --------------------------------------------------------------- mse_gradients: (mean(2r·x), mean(2r)), r = w·x + b − y
def mse_gradients__func_grad_argnums(
    w: float, b: float, x: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    def loss(tw: torch.Tensor, tb: torch.Tensor) -> torch.Tensor:
        return ((tw * x + tb - y) ** 2).mean()

    dw, db = func_grad(loss, argnums=(0, 1))(torch.tensor(w, dtype=x.dtype), torch.tensor(b, dtype=x.dtype))
    return dw, db


def mse_gradients__mse_loss_backward(
    w: float, b: float, x: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    tw = torch.tensor(w, dtype=x.dtype, requires_grad=True)
    tb = torch.tensor(b, dtype=x.dtype, requires_grad=True)
    F.mse_loss(tw * x.detach() + tb, y.detach()).backward()
    return tw.grad, tb.grad


def mse_gradients__forward_two_jvps(
    w: float, b: float, x: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    xs, ys = x.detach(), y.detach()
    pw = torch.tensor(w, dtype=x.dtype)
    pb = torch.tensor(b, dtype=x.dtype)
    one, zero = torch.ones((), dtype=x.dtype), torch.zeros((), dtype=x.dtype)

    def loss(tw: torch.Tensor, tb: torch.Tensor) -> torch.Tensor:
        return torch.mean(torch.square(tw * xs + tb - ys))

    _, dw = torch.func.jvp(loss, (pw, pb), (one, zero))
    _, db = torch.func.jvp(loss, (pw, pb), (zero, one))
    # torch.func.jvp can promote a 0-dim tangent to float64 (0-dim tensor × Python float): pin the dtype
    return dw.to(x.dtype), db.to(x.dtype)


def mse_gradients__one_param_vector(
    w: float, b: float, x: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    # θ = (w, b) and the design matrix [x, 1]: L = mean((Xθ − y)²)
    theta = torch.tensor([w, b], dtype=x.dtype, requires_grad=True)
    design = torch.stack([x.detach(), torch.ones_like(x)], dim=1)
    (g,) = torch.autograd.grad(((design @ theta - y.detach()) ** 2).mean(), theta)
    return g[0].clone(), g[1].clone()


# ---------------------------------------------------------------- sgd_step: p ← p − lr·p.grad in place
def sgd_step__no_grad_add_alpha(params: list[torch.Tensor], lr: float) -> None:
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p.add_(p.grad, alpha=-lr)


def sgd_step__data_sub(params: list[torch.Tensor], lr: float) -> None:
    # .data is the same storage without autograd tracking
    for p in params:
        if p.grad is None:
            continue
        p.data.sub_(lr * p.grad.data)


def sgd_step__torch_optim_sgd(params: list[torch.Tensor], lr: float) -> None:
    # "what optimizer.step() does": let the optimizer itself do it (no momentum, no weight decay)
    params = list(params)
    if params:  # torch.optim raises on an empty parameter list
        torch.optim.SGD(params, lr=lr).step()


def sgd_step__no_grad_copy(params: list[torch.Tensor], lr: float) -> None:
    for p in params:
        if p.grad is not None:
            with torch.no_grad():
                p.copy_(p - lr * p.grad)


# ------------------------------------------------ fit_line: torch.optim.SGD (named), zero_grad / loss / backward / step
def fit_line__param_vector(
    x: torch.Tensor, y: torch.Tensor, lr: float, steps: int
) -> tuple[torch.Tensor, torch.Tensor]:
    theta = torch.zeros(2, dtype=x.dtype, requires_grad=True)  # (w, b)
    opt = torch.optim.SGD([theta], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((theta[0] * x + theta[1] - y) ** 2).mean()
        loss.backward()
        opt.step()
    w, b = theta.detach().clone()
    return w, b


def fit_line__mse_loss_set_to_none_false(
    x: torch.Tensor, y: torch.Tensor, lr: float, steps: int
) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.zeros((), dtype=x.dtype).requires_grad_()
    b = torch.zeros((), dtype=x.dtype).requires_grad_()
    opt = torch.optim.SGD([w, b], lr=lr, foreach=False)
    for _ in range(steps):
        opt.zero_grad(set_to_none=False)
        F.mse_loss(w * x + b, y).backward()
        opt.step()
    return w.detach(), b.detach()


def fit_line__nn_linear(x: torch.Tensor, y: torch.Tensor, lr: float, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    model = torch.nn.Linear(1, 1, dtype=x.dtype)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.zero_()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    inputs, targets = x.detach().unsqueeze(1), y.detach().unsqueeze(1)
    for _ in range(steps):
        model.zero_grad()
        loss = torch.nn.MSELoss()(model(inputs), targets)
        loss.backward()
        opt.step()
    return model.weight.detach().reshape(()).clone(), model.bias.detach().reshape(()).clone()


ALTERNATIVES = {
    "descent_step": [
        ("autograd-grad", descent_step__autograd_grad),
        ("forward-dual", descent_step__forward_dual),
        ("sgd-optimizer-step", descent_step__sgd_optimizer),
        ("backward-in-place-no-grad", descent_step__in_place_no_grad),
    ],
    "minimize": [
        ("autograd-grad-for-break", minimize__autograd_grad_for),
        ("forward-dual-while", minimize__forward_dual_while),
        ("sgd-optimizer", minimize__sgd_optimizer),
        ("func-grad-float64-inside", minimize__func_grad_float64_inside),
    ],
    "mse_gradients": [
        ("func-grad-argnums", mse_gradients__func_grad_argnums),
        ("mse-loss-backward", mse_gradients__mse_loss_backward),
        ("forward-two-jvps", mse_gradients__forward_two_jvps),
        ("param-vector-design-matrix", mse_gradients__one_param_vector),
    ],
    "sgd_step": [
        ("no-grad-add-alpha", sgd_step__no_grad_add_alpha),
        ("data-sub", sgd_step__data_sub),
        ("torch-optim-sgd", sgd_step__torch_optim_sgd),
        ("no-grad-copy", sgd_step__no_grad_copy),
    ],
    "fit_line": [
        ("param-vector", fit_line__param_vector),
        ("mse-loss-zero-not-none-foreach-off", fit_line__mse_loss_set_to_none_false),
        ("nn-linear-mse-module", fit_line__nn_linear),
    ],
}
