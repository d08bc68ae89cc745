"""Alternatives for forward_mode: correct solutions written differently from the obvious one."""

from collections.abc import Callable

import torch
import torch.autograd.forward_ad as fwAD

# ---------------------------------------------------------------- value_and_derivative


def value_and_derivative__func_jvp(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """torch.func.jvp with an all-ones tangent: it returns (f(x), f'(x)) from one forward-mode call of f."""
    value, derivative = torch.func.jvp(f, (x,), (torch.ones_like(x),))
    return value.detach(), derivative.detach()


def value_and_derivative__dual_tuple(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """A dual number whose tangent is torch.full_like(x, 1.0); unpack_dual read as a tuple; clones taken inside."""
    with fwAD.dual_level():
        dual = fwAD.make_dual(x.detach(), torch.full_like(x, 1.0))
        primal, tangent = fwAD.unpack_dual(f(dual))
        value, derivative = primal.clone(), tangent.clone()
    return value, derivative


def value_and_derivative__scalar_direction(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The dual number built as x + ε·1 by hand: a 0-dim dual ε (primal 0, tangent 1) added to x, then f once."""
    with fwAD.dual_level():
        epsilon = fwAD.make_dual(torch.zeros((), dtype=x.dtype), torch.ones((), dtype=x.dtype))
        out = fwAD.unpack_dual(f(x + epsilon))
        return out.primal.detach().clone(), out.tangent.detach().clone()


# ---------------------------------------------------------------- directional_derivative


def directional_derivative__dual(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    """A dual number with tangent v inside dual_level(); the tangent of f's output read by attribute."""
    with fwAD.dual_level():
        out = f(fwAD.make_dual(x, v))
        tangent = fwAD.unpack_dual(out).tangent
        return tangent.clone()


def directional_derivative__line_function(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    """The derivative of s ↦ f(x + s·v) at s = 0 by torch.func.jvp with tangent 1: one pass, x + ε·v inside."""

    def along_line(s: torch.Tensor) -> torch.Tensor:
        return f(x + s * v)

    zero = torch.zeros((), dtype=x.dtype)
    _, jv = torch.func.jvp(along_line, (zero,), (torch.ones_like(zero),))
    return jv.detach()


def directional_derivative__func_jvp_aux(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    """torch.func.jvp with has_aux (the value kept as aux, unused) and keyword arguments."""

    def with_aux(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = f(t)
        return y, y

    _, jv, _ = torch.func.jvp(with_aux, primals=(x,), tangents=(v,), has_aux=True)
    return jv.detach()


# ---------------------------------------------------------------- jacobian_by_columns


def jacobian_by_columns__dual_loop(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """One dual_level around a loop of n dual numbers, tangent eⱼ = eye's row j; torch.stack(dim=1)."""
    n = x.shape[0]
    basis = torch.eye(n, dtype=x.dtype)
    columns = []
    with fwAD.dual_level():
        for j in range(n):
            out = f(fwAD.make_dual(x, basis[j]))
            columns.append(fwAD.unpack_dual(out).tangent.clone())
    return torch.stack(columns, dim=1)


def jacobian_by_columns__prealloc(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """torch.func.jvp per column over eye's unbound rows; each column written into a preallocated (m, n) tensor."""
    n = x.numel()
    jacobian = None
    for j, e_j in enumerate(torch.eye(n, dtype=x.dtype).unbind(0)):
        _, column = torch.func.jvp(f, (x,), (e_j,))
        if jacobian is None:
            jacobian = torch.empty(column.shape[0], n, dtype=x.dtype)
        jacobian[:, j] = column.detach()
    return jacobian


def jacobian_by_columns__one_hot_column_stack(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> torch.Tensor:
    """Each eⱼ built by zeros + index_fill_; torch.func.jvp; the columns set side by side by torch.column_stack."""
    n = len(x)
    columns = []
    for j in range(n):
        e_j = torch.zeros(n, dtype=x.dtype).index_fill_(0, torch.tensor([j]), 1.0)
        columns.append(torch.func.jvp(f, (x,), (e_j,))[1].detach())
    return torch.column_stack(columns)


# ---------------------------------------------------------------- cheaper_jacobian


def cheaper_jacobian__functional_strategy(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """torch.autograd.functional.jacobian with vectorize=True and strategy forward-mode (n < m) or reverse-mode."""
    with torch.no_grad():
        m = f(x).numel()
    strategy = "forward-mode" if x.numel() < m else "reverse-mode"
    return torch.autograd.functional.jacobian(f, x, vectorize=True, strategy=strategy).detach()


def cheaper_jacobian__loops(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Explicit passes in the cheaper mode: n jvps for the columns when n ≤ m, else one vjp and m rows of its vjp_fn.

    For a square f it takes forward mode.
    """
    n = x.shape[0]
    with torch.no_grad():
        m = f(x).shape[0]
    if n <= m:
        columns = [torch.func.jvp(f, (x,), (e,))[1] for e in torch.eye(n, dtype=x.dtype)]
        return torch.stack(columns, dim=1).detach()
    _, vjp_fn = torch.func.vjp(f, x)
    rows = [vjp_fn(e)[0] for e in torch.eye(m, dtype=x.dtype)]
    return torch.stack(rows, dim=0).detach()


def cheaper_jacobian__vjp_first(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """m from the output of torch.func.vjp itself; reverse mode reuses that vjp_fn, vmapped over eye(m) rows;
    forward mode (m ≥ n, square included: either is allowed) by torch.func.jacfwd."""
    out, vjp_fn = torch.func.vjp(f, x)
    m = out.shape[0]
    if m < x.shape[0]:
        (rows,) = torch.func.vmap(vjp_fn)(torch.eye(m, dtype=x.dtype))
        return rows.detach()
    return torch.func.jacfwd(f)(x).detach()


# ---------------------------------------------------------------- hessian_vector_product


def hessian_vector_product__dual_func_grad(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    """Forward mode by a forward_ad dual number x + εv outside, torch.func.grad of f taken on it inside."""
    with fwAD.dual_level():
        gradient = torch.func.grad(f)(fwAD.make_dual(x, v))
        return fwAD.unpack_dual(gradient).tangent.detach().clone()


def hessian_vector_product__dual_autograd_grad(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    """A dual number of a leaf that requires grad; torch.autograd.grad (reverse) on the duals; its tangent is H v."""
    leaf = x.detach().clone().requires_grad_(True)
    with fwAD.dual_level():
        dual = fwAD.make_dual(leaf, v)
        (gradient,) = torch.autograd.grad(f(dual), leaf)
        hv = fwAD.unpack_dual(gradient).tangent
        return hv.detach().clone()


def hessian_vector_product__jvp_of_vjp(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    """torch.func.jvp over a gradient written as torch.func.vjp with cotangent 1 (reverse mode) instead of grad."""

    def gradient(t: torch.Tensor) -> torch.Tensor:
        value, vjp_fn = torch.func.vjp(f, t)
        return vjp_fn(torch.ones_like(value))[0]

    _, hv = torch.func.jvp(gradient, (x,), (v,))
    return hv.detach()


ALTERNATIVES = {
    "value_and_derivative": [
        ("func-jvp", value_and_derivative__func_jvp),
        ("dual-full-like-tuple", value_and_derivative__dual_tuple),
        ("dual-epsilon-added", value_and_derivative__scalar_direction),
    ],
    "directional_derivative": [
        ("dual-number", directional_derivative__dual),
        ("line-function-jvp", directional_derivative__line_function),
        ("func-jvp-has-aux", directional_derivative__func_jvp_aux),
    ],
    "jacobian_by_columns": [
        ("dual-loop-stack", jacobian_by_columns__dual_loop),
        ("jvp-preallocated", jacobian_by_columns__prealloc),
        ("one-hot-column-stack", jacobian_by_columns__one_hot_column_stack),
    ],
    "cheaper_jacobian": [
        ("functional-strategy", cheaper_jacobian__functional_strategy),
        ("explicit-passes", cheaper_jacobian__loops),
        ("vjp-first", cheaper_jacobian__vjp_first),
    ],
    "hessian_vector_product": [
        ("dual-func-grad", hessian_vector_product__dual_func_grad),
        ("dual-autograd-grad", hessian_vector_product__dual_autograd_grad),
        ("jvp-of-vjp", hessian_vector_product__jvp_of_vjp),
    ],
}
