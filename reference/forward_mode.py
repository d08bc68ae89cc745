"""Forward mode: dual numbers carry a tangent through f; a jvp gives J v in one pass, a Jacobian column by column.

Reverse mode runs f, then goes back from its output: a pass gives vᵀJ, a mix of J's rows. Forward mode goes along
with f: each input carries a tangent, a dual number x + εt with ε² = 0, and each op updates both:
f(x + εt) = f(x) + ε·J t. A pass gives J t, a mix of J's columns, and f(x). torch.autograd.forward_ad makes dual
numbers (make_dual inside `with dual_level():`, unpack_dual reads them); torch.func.jvp(f, (x,), (t,)) returns
(f(x), J t).

J of f from n values to m takes n jvps (column j is J eⱼ) or m vjps (row i is eᵢᵀJ): forward mode wins for a
tall f (n < m), reverse for a wide one, such as a loss. jacfwd batches the jvps, jacrev the vjps. The jvp of the
gradient (forward-over-reverse) is the Hessian-vector product H v = d/dε ∇f(x + εv): two gradients' cost, no
n × n matrix.

By hand
-------
x³ at 2, tangent 1: (2 + ε)³ = 8 + 12ε + 6ε² + ε³ = 8 + 12ε: value 8, derivative 12. f(x₀, x₁) =
(x₀x₁, x₀ + x₁, x₁²) at (2, 3), tangent e₀ = (1, 0): (2 + ε)·3 = 6 + 3ε, 5 + ε, 9 + 0ε, so J e₀ = (3, 1, 0),
J's first column. Two jvps give J; reverse mode needs three vjps.

In torch
--------
>>> import torch
>>> import torch.autograd.forward_ad as fwAD
>>> x = torch.tensor([2.0, 3.0])
>>> with fwAD.dual_level():
...     dual = fwAD.make_dual(x, torch.tensor([1.0, 0.0]))
...     out = fwAD.unpack_dual(dual**3)
>>> out.primal, out.tangent
(tensor([ 8., 27.]), tensor([12.,  0.]))
>>> def f(t):
...     return torch.stack([t[0] * t[1], t[0] + t[1], t[1] ** 2])
>>> torch.func.jvp(f, (x,), (torch.tensor([1.0, 0.0]),))
(tensor([6., 5., 9.]), tensor([3., 1., 0.]))
>>> torch.func.jacfwd(f)(x)
tensor([[3., 2.],
        [1., 1.],
        [0., 6.]])

Traps the tests catch
---------------------
- Reverse mode (backward(), torch.autograd.grad, torch.func.grad, vjp, jacrev) where a task names forward mode.
- value_and_derivative: unpack_dual outside dual_level() (no tangent there); f called twice.
- directional_derivative: vᵀJ; torch.autograd.functional.jvp (reverse mode); the whole Jacobian, or n jvps.
- jacobian_by_columns: jacfwd's one batched call (the tests count jvps); columns stacked as rows.
- cheaper_jacobian: the mode that needs more passes for f's shape.
- hessian_vector_product: reverse over reverse, reverse over forward, the whole Hessian.

Read more
---------
https://pytorch.org/docs/stable/autograd.html#forward-mode-automatic-differentiation
https://pytorch.org/docs/stable/generated/torch.func.jvp.html
https://pytorch.org/docs/stable/generated/torch.func.jacfwd.html
https://pytorch.org/docs/stable/generated/torch.func.jacrev.html
"""

from collections.abc import Callable

import torch
import torch.autograd.forward_ad as fwAD


def value_and_derivative(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(f(x), f'(x)) at every point of x from one forward-mode pass: f of the dual number x + ε·1.

    Inside `with torch.autograd.forward_ad.dual_level():`, make_dual(x, torch.ones_like(x)) gives every point the
    tangent 1; f of it carries value and derivative together, and unpack_dual(f(dual)) reads them: primal f(x),
    tangent f'(x). Forward mode, not backward(), and f is called once, on the dual number (torch.func.jvp, which
    makes dual numbers too, will do).
    f: an elementwise function, such as torch.sin or t ↦ t ** 3.
    x: a 1-D float tensor of points; it does not require grad.
    Returns: a tuple (f(x), f'(x)) of two tensors of x's shape and dtype, not attached to the graph.

    Example: value_and_derivative(lambda t: t ** 2 + t, torch.tensor([1.0, -2.0]))
      -> (tensor([2., 2.]), tensor([ 3., -3.]))
    """
    with fwAD.dual_level():
        out = fwAD.unpack_dual(f(fwAD.make_dual(x, torch.ones_like(x))))
        return out.primal, out.tangent


def directional_derivative(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """J v, f's derivative at x in direction v, from one forward-mode pass: (J v)ᵢ = Σⱼ ∂fᵢ/∂xⱼ · vⱼ.

    torch.func.jvp(f, (x,), (v,)) returns (f(x), J v); a dual number with tangent v does the same. One pass
    whatever n and m: not the Jacobian first (that is n passes), and not reverse mode, whose pass gives vᵀJ
    (torch.autograd.functional.jvp is reverse mode inside, a double backward).
    f: a function from a 1-D tensor of n values to a 1-D tensor of m values.
    x: a 1-D float tensor of n values; it does not require grad.
    v: a 1-D tensor of n values of x's dtype, the direction.
    Returns: a tensor of m values of x's dtype, not attached to the graph.

    Example: directional_derivative(lambda t: t * t.sum(), torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0]))
      -> tensor([4., 2.])   (J = diag(t₀ + t₁) + t 1ᵀ = [[4, 1], [2, 5]])
    """
    return torch.func.jvp(f, (x,), (v,))[1]


def jacobian_by_columns(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The Jacobian J[i, j] = ∂fᵢ/∂xⱼ of f at x, column by column: column j is J eⱼ, one jvp each.

    eⱼ is the j-th unit vector, row j of torch.eye(n, dtype=x.dtype). A Python loop over j makes n forward-mode
    passes, a torch.func.jvp (or a dual number) with tangent eⱼ each, and torch.stack(columns, dim=1) sets them
    side by side. The tests count the passes: n, all forward mode; not jacfwd, which batches them into one call,
    and not reverse mode, row by row.
    f: a function from a 1-D tensor of n values to a 1-D tensor of m values.
    x: a 1-D float tensor of n values; it does not require grad.
    Returns: an (m, n) tensor of x's dtype, not attached to the graph.

    Example: jacobian_by_columns(lambda t: torch.stack([t[0] * t[1], t[0] - t[1], t[1] ** 2]),
      torch.tensor([2.0, 5.0])) -> tensor([[ 5.,  2.], [ 1., -1.], [ 0., 10.]])
    """
    basis = torch.eye(len(x), dtype=x.dtype)
    return torch.stack([torch.func.jvp(f, (x,), (basis[j],))[1] for j in range(len(x))], dim=1)


def cheaper_jacobian(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The Jacobian of f at x, in the mode that needs fewer passes: forward mode when n < m, reverse when m < n.

    For f from n values to m, forward mode finds J a column per pass (n passes), reverse mode a row per pass
    (m passes). So a tall f (n < m) takes forward mode (torch.func.jacfwd), a wide one (m < n) reverse mode
    (torch.func.jacrev), and a square one (n = m) either; len(f(x)) tells m. The tests check the mode.
    f: a function from a 1-D tensor of n values to a 1-D tensor of m values.
    x: a 1-D float tensor of n values; it does not require grad.
    Returns: an (m, n) tensor of x's dtype, not attached to the graph.

    Example: cheaper_jacobian(lambda t: (t ** 2).sum().reshape(1), torch.tensor([1.0, 2.0, 3.0]))
      -> tensor([[2., 4., 6.]])   (m = 1 < n = 3: reverse mode, one pass)
    """
    if len(x) < len(f(x)):
        return torch.func.jacfwd(f)(x)
    return torch.func.jacrev(f)(x)


def hessian_vector_product(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """H v, the Hessian of a scalar f at x times v, forward-over-reverse: the jvp of f's gradient in direction v.

    H[i, j] = ∂²f/∂xᵢ∂xⱼ, and H v = d/dε ∇f(x + εv) at ε = 0, the derivative of the gradient in direction v.
    torch.func.jvp(torch.func.grad(f), (x,), (v,)) computes it: a forward-mode pass over the reverse-mode
    gradient, with no n × n matrix. The tests check all three: forward mode outside, the gradient (reverse mode)
    taken on its dual numbers, and no (n, n) tensor built.
    f: a function from a 1-D tensor of n values to a 0-dim tensor.
    x: a 1-D float tensor of n values; it does not require grad.
    v: a 1-D tensor of n values of x's dtype.
    Returns: a tensor of n values of x's dtype, not attached to the graph.

    Example: hessian_vector_product(lambda t: t[0] ** 2 * t[1], torch.tensor([1.0, 3.0]), torch.tensor([1.0, 0.0]))
      -> tensor([6., 2.])   (H = [[2t₁, 2t₀], [2t₀, 0]] = [[6, 2], [2, 0]])
    """
    return torch.func.jvp(torch.func.grad(f), (x,), (v,))[1]
