"""An autograd engine of your own: scalar Values, local derivative rules, a topological order and backward.

Each operation builds a node that keeps its value and its operands, its children: the nodes form a graph that ends
at the result, the root. The only calculus is each operation's local derivative ∂node/∂child. backward applies the
chain rule from the root down: ∂root/∂child sums ∂root/∂node · ∂node/∂child over every use of the child. A node may
pass its gradient on only once all its users have added theirs, so backward walks a topological order (each node
after its children) in reverse. Yours runs on plain Python floats, micrograd style. Unlike torch, which adds into
.grad across backward() calls, this backward zeroes every grad first: two calls give what one gives.

By hand
-------
x = 2, y = 3, a = x·y = 6, out = a + x = 8; a topological order is x, y, a, out. In reverse, from out.grad = 1:
out = a + x has local derivatives (1, 1), so a.grad += 1 and x.grad += 1. a = x·y has (y, x) = (3, 2):
x.grad += 3·1, making 4, and y.grad += 2·1 = 2. Indeed ∂out/∂x = y + 1 = 4 and ∂out/∂y = x = 2. x is used twice
and its shares add up; with = instead of +=, x.grad would be 3.

In torch
--------
>>> import torch
>>> x = torch.tensor(0.5, requires_grad=True)
>>> m = x * x
>>> y = m + m.tanh()
>>> [type(f).__name__ for f, _ in y.grad_fn.next_functions]
['MulBackward0', 'TanhBackward0']
>>> [type(f).__name__ for f, _ in m.grad_fn.next_functions]
['AccumulateGrad', 'AccumulateGrad']
>>> y.backward()
>>> x.grad
tensor(1.9400)

Traps the tests catch
---------------------
- Overwriting instead of accumulating: a node used twice (x in x·x, or one that two nodes use) gets both shares.
- A wrong local rule: tanh' is 1 − tanh(x)² (node.data squared), not 1 − x²; relu' at 0 is 0; d(xⁿ)/dx is n·xⁿ⁻¹.
- A recursive walk: a chain of 5,000 nodes goes past Python's recursion limit (about 1,000 frames); raising the
  limit does not count.
- A walk out of topological order (breadth-first from the root, say): a node passes its grad on too early.
- torch inside the engine, or finite differences: the tests count torch calls, and calls of f.
- A second backward() that doubles the gradients.

Read more
---------
https://pytorch.org/docs/stable/notes/autograd.html
https://pytorch.org/docs/stable/autograd.html
https://github.com/karpathy/micrograd
"""

from collections.abc import Callable


class Value:
    """A scalar node of an expression graph: its value, its gradient, and the nodes it was computed from.

    Value(data) is a leaf. Each operation returns a new node and changes neither operand:
      a + b     data a.data + b.data,   op "+",    children (a, b)
      a * b     data a.data · b.data,   op "*",    children (a, b)
      a ** n    data a.data ** n,       op "**",   children (a,), exponent n (a Python int or float constant)
      a.tanh()  data tanh(a.data),      op "tanh", children (a,)
      a.relu()  data max(a.data, 0),    op "relu", children (a,)
    In a + b and a * b, b may be a Python number: wrap it in a leaf, Value(b), first. Plain Python numbers and the
    math module only: no torch inside the engine.
    Attributes: data (a Python float or int, never a tensor); grad (0.0 until backward fills it); children (a
    tuple of the operand Values, in order; () for a leaf); op ("" for a leaf); exponent (n for a "**" node, None
    for every other node).

    Example: a, b = Value(2.0), Value(-3.0); c = a * b + a -> c.data is -4.0, c.op is "+", c.children[1] is a
    """

    def __init__(self, data: float, children: tuple["Value", ...] = (), op: str = "", exponent: float | None = None):
        """Keep data, children (as a tuple), op and exponent; grad starts at 0.0."""
        raise NotImplementedError

    def __add__(self, other: "Value | float") -> "Value":
        """A new node self + other: op "+", children (self, other), other wrapped in a Value if it is a number."""
        raise NotImplementedError

    def __mul__(self, other: "Value | float") -> "Value":
        """A new node self · other: op "*", children (self, other), other wrapped in a Value if it is a number."""
        raise NotImplementedError

    def __pow__(self, n: float) -> "Value":
        """A new node selfⁿ for a constant n: op "**", children (self,), exponent n."""
        raise NotImplementedError

    def tanh(self) -> "Value":
        """A new node tanh(self): op "tanh", children (self,)."""
        raise NotImplementedError

    def relu(self) -> "Value":
        """A new node max(self, 0): op "relu", children (self,)."""
        raise NotImplementedError


def local_grads(node: Value) -> tuple[float, ...]:
    """The local derivatives ∂node/∂child of one node, one per child, by node.op:

      ""      a leaf            ()
      "+"     a + b             (1, 1)
      "*"     a · b             (b, a)          each operand's is the other's data
      "**"    aⁿ                (n · aⁿ⁻¹,)     n is node.exponent
      "tanh"  t = tanh(a)       (1 − t²,)       t is node.data, computed already
      "relu"  max(a, 0)         (1 if a > 0 else 0,)   so 0 at a = 0, as torch has it

    node: a Value with its data computed (or any object with Value's attributes: data, children, op, exponent).
    Returns: a tuple (or list) of Python floats, as many as node.children, in their order. No torch.

    Example: a, b = Value(2.0), Value(-3.0); local_grads(a * b) -> (-3.0, 2.0); local_grads(a ** 3) -> (12.0,)
    """
    raise NotImplementedError


def topological_order(root: Value) -> list[Value]:
    """Every node of root's graph exactly once, each after all of its children: leaves first, root last.

    root's graph: root and every node reachable from it through .children, however many paths lead to a node
    (x * x lists x twice among its children; x comes once in the order). Walk it iteratively, with a stack of your
    own: the tests build a chain of 5,000 nodes, deeper than Python's recursion limit (about 1,000 frames), and
    raising that limit does not count. No torch.
    root: a Value (or any object with Value's attributes).
    Returns: a list of the nodes themselves.

    Example: x, y = Value(2.0), Value(3.0); a = x * y; out = a + x
      -> topological_order(out) is [x, y, a, out] (or [y, x, a, out]: both put every node after its children)
    """
    raise NotImplementedError


def backward(root: Value) -> None:
    """Fill the .grad of every node of root's graph with ∂root/∂node, by the chain rule: reverse-mode autograd.

    root.grad is 1.0; any other node's grad is the sum, over each node that uses it (once per use), of that
    node's grad times its local derivative (local_grads). A node may pass its grad on only once every node that
    uses it has added its share: walk the nodes in the reverse of topological_order(root). Every grad is set to
    0.0 first, so a second call gives the same gradients, not twice them (torch, unlike this engine, adds into
    .grad across calls). Iterative, as topological_order is: no recursion. Plain Python floats, no torch: this
    engine is the autograd here.
    root: a Value whose graph's data is computed (or any object with Value's attributes).
    Returns: None; the gradients are in the nodes' .grad.

    Example: x, y = Value(2.0), Value(3.0); out = x * y + x; backward(out)
      -> out.grad is 1.0, x.grad is 4.0 (y + 1: x is used twice), y.grad is 2.0
    """
    raise NotImplementedError


def gradients(f: Callable[..., Value], xs: list[float]) -> list[float]:
    """∂f/∂xᵢ at xs by your engine: a leaf Value per x, out = f(*leaves), backward(out), then the leaves' grads.

    f: a function of len(xs) Values, built from +, *, ** (by a constant), .tanh() and .relu() (numbers may stand
      on the right of + and *), that returns a Value. Call it once: one forward pass, one backward pass; no
      finite differences and no torch. xs: Python floats.
    Returns: a list of Python floats, one per x, in order: 0.0 for an x that f does not use.

    Example: gradients(lambda x, y: x * y + x, [2.0, 3.0]) -> [4.0, 2.0]
    """
    raise NotImplementedError
