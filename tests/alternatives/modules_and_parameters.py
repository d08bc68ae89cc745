"""Alternatives for modules_and_parameters: correct solutions written differently from the obvious one."""

import torch
import torch.nn.functional as F

# ---------------------------------------------------------------- linear_gradients


def linear_gradients__autograd_grad(
    weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor, target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Leaf copies, F.linear + F.mse_loss, and torch.autograd.grad instead of backward()."""
    w = weight.detach().clone().requires_grad_(True)
    b = bias.detach().clone().requires_grad_(True)
    loss = F.mse_loss(F.linear(x, w, b), target)
    grad_w, grad_b = torch.autograd.grad(loss, (w, b))
    return grad_w, grad_b


def linear_gradients__func_grad(
    weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor, target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """torch.func.grad of a pure loss function, with argnums for both parameters; no leaves, no .grad."""

    def loss(w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        residual = torch.addmm(b, x, w.t()) - target
        return residual.square().sum() / residual.numel()

    grad_w, grad_b = torch.func.grad(loss, argnums=(0, 1))(weight, bias)
    return grad_w.detach(), grad_b.detach()


def linear_gradients__forward_mode(
    weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor, target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """torch.func.jacfwd: forward mode, one pass per entry of W and b; a scalar loss's Jacobian is its gradient."""

    def loss(w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(F.linear(x, w, b), target)

    return torch.func.jacfwd(loss, argnums=(0, 1))(weight, bias)


def linear_gradients__module_copy(
    weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor, target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """An nn.Linear of the data's dtype loaded by load_state_dict (copies), nn.MSELoss, backward(), .grad read."""
    out_features, in_features = weight.shape
    layer = torch.nn.Linear(in_features, out_features, dtype=weight.dtype)
    layer.load_state_dict({"weight": weight, "bias": bias})
    torch.nn.MSELoss()(layer(x), target).backward()
    return layer.weight.grad.detach().clone(), layer.bias.grad.detach().clone()


# ---------------------------------------------------------------- frozen_body_step


def frozen_body_step__head_only_optimizer(
    model: torch.nn.Module, x: torch.Tensor, target: torch.Tensor, lr: float
) -> None:
    """Freeze each body parameter by its attribute, then an SGD that holds only what still requires grad."""
    for p in model.body.parameters():
        p.requires_grad = False
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr)
    loss = F.mse_loss(model(x), target)
    optimizer.zero_grad()
    torch.autograd.backward(loss)
    optimizer.step()


def frozen_body_step__named_parameters(
    model: torch.nn.Module, x: torch.Tensor, target: torch.Tensor, lr: float
) -> None:
    """Freeze by name prefix over model.named_parameters(); SGD over all parameters; the loss written out by hand."""
    for name, p in model.named_parameters():
        if name.startswith("body."):
            p.requires_grad_(False)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    h = model.act(model.body(x))
    y = model.head(h)
    ((y - target) ** 2).mean().backward()
    optimizer.step()


def frozen_body_step__autograd_grad(model: torch.nn.Module, x: torch.Tensor, target: torch.Tensor, lr: float) -> None:
    """model.body.requires_grad_(False) first; the gradients by torch.autograd.grad set as .grad; SGD steps."""
    model.body.requires_grad_(False)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD([{"params": trainable}], lr=lr)
    loss = (model(x) - target).pow(2).mean()
    grads = torch.autograd.grad(loss, trainable)
    for p, g in zip(trainable, grads):
        p.grad = g
    optimizer.step()


# ---------------------------------------------------------------- zero_grad_steps


def zero_grad_steps__loss_loop(
    model: torch.nn.Module, x: torch.Tensor, target: torch.Tensor, lr: float, set_to_none: bool
) -> None:
    """One SGD; a loop over the two losses as functions; torch.autograd.backward; F.mse_loss for L1."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = (
        lambda: F.mse_loss(model(x), target),
        lambda: model.body(x).square().mean(),
    )
    for make_loss in losses:
        optimizer.zero_grad(set_to_none=set_to_none)
        torch.autograd.backward(make_loss())
        optimizer.step()


def zero_grad_steps__indexed_modules(
    model: torch.nn.Module, x: torch.Tensor, target: torch.Tensor, lr: float, set_to_none: bool
) -> None:
    """One SGD from a list of the parameters; the submodules by index; the losses written out; unrolled steps."""
    optimizer = torch.optim.SGD(list(model.parameters()), lr=lr, momentum=0.9)
    body, act, head = model[0], model[1], model[2]

    optimizer.zero_grad(set_to_none)
    out = head(act(body(x)))
    loss1 = ((out - target) * (out - target)).sum() / out.numel()
    loss1.backward()
    optimizer.step()

    optimizer.zero_grad(set_to_none)
    z = body(x)
    loss2 = (z * z).sum() / z.numel()
    loss2.backward()
    optimizer.step()


def zero_grad_steps__step_closure(
    model: torch.nn.Module, x: torch.Tensor, target: torch.Tensor, lr: float, set_to_none: bool
) -> None:
    """optimizer.step(closure): each closure zeroes (zero_grad first), differentiates its loss and returns it."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    def closure_for(loss_fn):
        def closure() -> torch.Tensor:
            optimizer.zero_grad(set_to_none=set_to_none)
            loss = loss_fn()
            loss.backward()
            return loss

        return closure

    optimizer.step(closure_for(lambda: torch.mean((model(x) - target) ** 2)))
    optimizer.step(closure_for(lambda: torch.mean(model.body(x) ** 2)))


# ---------------------------------------------------------------- accumulated_gradients


def accumulated_gradients__split_module(
    weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor, target: torch.Tensor, micro_batch: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """An nn.Linear copy; torch.split into micro-batches; F.mse_loss (mean) times n_i/N; one backward() each."""
    out_features, in_features = weight.shape
    layer = torch.nn.Linear(in_features, out_features, dtype=weight.dtype)
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    n_total = x.shape[0]
    for xb, tb in zip(torch.split(x, micro_batch), torch.split(target, micro_batch)):
        share = xb.shape[0] / n_total
        (F.mse_loss(layer(xb), tb) * share).backward()
    return layer.weight.grad.detach().clone(), layer.bias.grad.detach().clone()


def accumulated_gradients__while_sum_over_total(
    weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor, target: torch.Tensor, micro_batch: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Leaf copies; a while loop over start indices; each pass's loss as its squared-error sum / (N·out).

    sum_i / (N·out) = mean_i · n_i/N, the same scaled micro-batch loss written the other way.
    """
    w = weight.clone().requires_grad_()
    b = bias.clone().requires_grad_()
    n_total, out_features = target.shape
    start = 0
    while start < n_total:
        stop = min(start + micro_batch, n_total)
        y = x[start:stop] @ w.T + b
        loss = ((y - target[start:stop]) ** 2).sum() / (n_total * out_features)
        loss.backward(inputs=[w, b])
        start = stop
    return w.grad.detach(), b.grad.detach()


def accumulated_gradients__range_step_functional(
    weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor, target: torch.Tensor, micro_batch: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Leaf copies via torch.empty_like + copy_; range(0, N, m) slices; F.linear; mean() * (n_i / N)."""
    w = torch.empty_like(weight).copy_(weight).requires_grad_()
    b = torch.empty_like(bias).copy_(bias).requires_grad_()
    n_total = len(x)
    for start in range(0, n_total, micro_batch):
        xb = x[start : start + micro_batch]
        tb = target[start : start + micro_batch]
        mean_loss = (F.linear(xb, w, b) - tb).square().mean()
        torch.autograd.backward(mean_loss * (len(xb) / n_total))
    return w.grad.clone(), b.grad.clone()


# ---------------------------------------------------------------- two_group_sgd


def two_group_sgd__add_param_group(model: torch.nn.Module, body_lr: float, head_lr: float) -> torch.optim.SGD:
    """Construct with the body's group only, then add the head's with add_param_group."""
    optimizer = torch.optim.SGD(model.body.parameters(), lr=body_lr)
    optimizer.add_param_group({"params": model.head.parameters(), "lr": head_lr})
    return optimizer


def two_group_sgd__default_lr(model: torch.nn.Module, body_lr: float, head_lr: float) -> torch.optim.SGD:
    """The head's group sets its lr; the body's takes the constructor's default lr; params as explicit lists."""
    return torch.optim.SGD(
        [
            {"params": [model.body.weight, model.body.bias]},
            {"params": [model.head.weight, model.head.bias], "lr": head_lr},
        ],
        lr=body_lr,
    )


def two_group_sgd__head_first(model: torch.nn.Module, body_lr: float, head_lr: float) -> torch.optim.SGD:
    """The groups in the other order: the head's group first, the body's second (the docstring fixes no order)."""
    by_name = dict(model.named_parameters())
    head = [p for name, p in by_name.items() if name.startswith("head.")]
    body = [p for name, p in by_name.items() if name.startswith("body.")]
    return torch.optim.SGD([{"params": head, "lr": head_lr}, {"params": body, "lr": body_lr}])


ALTERNATIVES = {
    "linear_gradients": [
        ("autograd-grad-functional", linear_gradients__autograd_grad),
        ("forward-mode-jacfwd", linear_gradients__forward_mode),
        ("func-grad-argnums", linear_gradients__func_grad),
        ("module-load-state-dict", linear_gradients__module_copy),
    ],
    "frozen_body_step": [
        ("head-only-optimizer", frozen_body_step__head_only_optimizer),
        ("freeze-by-name", frozen_body_step__named_parameters),
        ("autograd-grad-then-step", frozen_body_step__autograd_grad),
    ],
    "zero_grad_steps": [
        ("loss-loop", zero_grad_steps__loss_loop),
        ("indexed-unrolled", zero_grad_steps__indexed_modules),
        ("step-closure", zero_grad_steps__step_closure),
    ],
    "accumulated_gradients": [
        ("split-module", accumulated_gradients__split_module),
        ("while-sum-over-total", accumulated_gradients__while_sum_over_total),
        ("range-functional", accumulated_gradients__range_step_functional),
    ],
    "two_group_sgd": [
        ("add-param-group", two_group_sgd__add_param_group),
        ("default-lr", two_group_sgd__default_lr),
        ("head-first", two_group_sgd__head_first),
    ],
}
