"""Alternative solutions for exercises/autograd_engine.py, written from the docstrings alone.

Plain Python numbers and the math module only: no torch anywhere in this module. Nodes are told apart by id(), never by
== or hashing, so that any object with Value's attributes works (a types.SimpleNamespace, say, is unhashable and
compares by value).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

# --------------------------------------------------------------------------------------------------------------------
# Value: three whole classes with the docstring's interface, each named Value (made in a factory).
# --------------------------------------------------------------------------------------------------------------------


def _make_value_slots():
    class Value:
        """__slots__ class; numbers recognised with isinstance(other, Value) and wrapped; one private node maker."""

        __slots__ = ("children", "data", "exponent", "grad", "op")

        def __init__(self, data, children=(), op="", exponent=None):
            self.data = data
            self.grad = 0.0
            self.children = tuple(children)
            self.op = op
            self.exponent = exponent

        def __repr__(self):
            return f"Value(data={self.data!r}, grad={self.grad!r}, op={self.op!r})"

        @staticmethod
        def _wrap(other):
            return other if isinstance(other, Value) else Value(other)

        def __add__(self, other):
            other = Value._wrap(other)
            return Value(self.data + other.data, (self, other), "+")

        def __mul__(self, other):
            other = Value._wrap(other)
            return Value(self.data * other.data, (self, other), "*")

        def __pow__(self, n):
            return Value(self.data**n, (self,), "**", n)

        def tanh(self):
            return Value(math.tanh(self.data), (self,), "tanh")

        def relu(self):
            return Value(max(self.data, 0), (self,), "relu")

    return Value


def _make_value_dataclass():
    @dataclass(eq=False, repr=False)  # eq=False: identity equality and hashing, as a graph node needs
    class Value:
        """A dataclass: fields data, children, op, exponent in __init__'s order; grad a field outside __init__."""

        data: float
        children: tuple = ()
        op: str = ""
        exponent: float | None = None
        grad: float = field(default=0.0, init=False)

        def __post_init__(self):
            self.children = tuple(self.children)

        def __repr__(self):
            return f"Value({self.data!r}, op={self.op!r}, grad={self.grad!r})"

        def __add__(self, other):
            if isinstance(other, (int, float)):
                other = Value(other)
            return Value(data=self.data + other.data, children=(self, other), op="+")

        def __mul__(self, other):
            if isinstance(other, (int, float)):
                other = Value(other)
            return Value(data=self.data * other.data, children=(self, other), op="*")

        def __pow__(self, n):
            return Value(data=pow(self.data, n), children=(self,), op="**", exponent=n)

        def tanh(self):
            e = math.exp(-2.0 * abs(self.data))  # tanh(|a|) = (1 - e^{-2|a|}) / (1 + e^{-2|a|}), no overflow
            return Value(data=math.copysign((1.0 - e) / (1.0 + e), self.data), children=(self,), op="tanh")

        def relu(self):
            return Value(data=self.data if self.data > 0 else 0.0, children=(self,), op="relu")

    return Value


def _make_value_duck():
    class Value:
        """Duck typing: anything with .data is an operand already; every operation goes through one _apply."""

        def __init__(self, data: float, children: tuple = (), op: str = "", exponent: float | None = None):
            self.data, self.children, self.op, self.exponent = data, tuple(children), op, exponent
            self.grad = 0.0

        def __repr__(self):
            return f"<Value {self.op or 'leaf'} data={self.data!r} grad={self.grad!r}>"

        def _apply(self, op, fn, *operands, exponent=None):
            operands = tuple(o if hasattr(o, "data") else Value(o) for o in operands)
            data = fn(*(o.data for o in (self, *operands)))
            return Value(data, (self, *operands), op, exponent)

        def __add__(self, other):
            return self._apply("+", lambda u, v: u + v, other)

        def __mul__(self, other):
            return self._apply("*", lambda u, v: u * v, other)

        def __pow__(self, n):
            return self._apply("**", lambda u: math.pow(u, n), exponent=n)

        def tanh(self):
            return self._apply("tanh", math.tanh)

        def relu(self):
            return self._apply("relu", lambda u: max(u, 0))

    return Value


Value__slots = _make_value_slots()
Value__dataclass = _make_value_dataclass()
Value__duck = _make_value_duck()

# --------------------------------------------------------------------------------------------------------------------
# local_grads: d node / d child, one Python float per child.
# --------------------------------------------------------------------------------------------------------------------

_RULES: dict[str, Callable] = {
    "": lambda node: (),
    "+": lambda node: (1.0, 1.0),
    "*": lambda node: (float(node.children[1].data), float(node.children[0].data)),
    "**": lambda node: (float(node.exponent * node.children[0].data ** (node.exponent - 1)),),
    "tanh": lambda node: (1.0 - float(node.data) ** 2,),
    "relu": lambda node: (1.0 if node.children[0].data > 0 else 0.0,),
}


def local_grads__dict_dispatch(node) -> tuple[float, ...]:
    """A table from op to rule."""
    try:
        rule = _RULES[node.op]
    except KeyError:
        raise ValueError(f"unknown op {node.op!r}") from None
    return rule(node)


def local_grads__match(node) -> tuple[float, ...]:
    """A match statement, the operands unpacked by pattern."""
    match node.op, tuple(child.data for child in node.children):
        case "", ():
            return ()
        case "+", (_, _):
            return (1.0, 1.0)
        case "*", (a, b):
            return (float(b), float(a))
        case "**", (a,):
            n = node.exponent
            return (float(n) * float(a) ** (n - 1),)
        case "tanh", (_,):
            return (1.0 - node.data * node.data,)
        case "relu", (a,):
            return (float(a > 0),)
    raise ValueError(f"unknown op {node.op!r} with {len(node.children)} children")


def local_grads__from_output(node) -> list[float]:
    """Rules read off the node's own data where they can: tanh and relu from the output, * as the reversed operands.

    relu's output is positive exactly where its input is, so 1 if node.data > 0 is 1 if a > 0.
    """
    op, kids = node.op, node.children
    if op == "":
        return []
    if op == "+":
        return [1.0] * len(kids)
    if op == "*":
        return [float(kid.data) for kid in reversed(kids)]
    if op == "**":
        n = node.exponent
        return [n * math.pow(kids[0].data, n - 1) if n != 1 else 1.0]
    if op == "tanh":
        return [1.0 - math.pow(node.data, 2)]
    if op == "relu":
        return [1.0 if node.data > 0 else 0.0]
    raise ValueError(f"unknown op {op!r}")


# --------------------------------------------------------------------------------------------------------------------
# topological_order: every node once, after its children; iterative, a stack of our own.
# --------------------------------------------------------------------------------------------------------------------


def topological_order__flag_stack(root) -> list:
    """Post-order DFS with (node, expanded) pairs on the stack: a node is emitted when its second entry pops."""
    order = []
    visited: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for child in reversed(node.children):
            if id(child) not in visited:
                stack.append((child, False))
    return order


def topological_order__iterator_stack(root) -> list:
    """A stack of (node, iterator over its children): descend into the first unvisited child, emit when exhausted."""
    order = []
    visited = {id(root)}
    stack = [(root, iter(root.children))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if id(child) not in visited:
                visited.add(id(child))
                stack.append((child, iter(child.children)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _users_count(root) -> tuple[dict[int, int], list]:
    """Every node of root's graph (found with a stack) and, per id, how many uses (edges) point at it."""
    users = {id(root): 0}
    nodes = [root]
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node.children:
            if id(child) not in users:
                users[id(child)] = 0
                nodes.append(child)
                stack.append(child)
            users[id(child)] += 1
    return users, nodes


def topological_order__kahn(root) -> list:
    """Kahn's algorithm from the root: a node is ready once every use of it is done; the ready nodes kept on a stack.

    That gives each node before its children (users first); reversed, each node after its children.
    """
    users, _ = _users_count(root)
    ready = [root]
    users_first = []
    while ready:
        node = ready.pop()
        users_first.append(node)
        for child in node.children:
            users[id(child)] -= 1
            if users[id(child)] == 0:
                ready.append(child)
    users_first.reverse()
    return users_first


# --------------------------------------------------------------------------------------------------------------------
# backward: zero every grad, root.grad = 1, then the chain rule in reverse topological order; iterative.
# --------------------------------------------------------------------------------------------------------------------


def backward__kahn_walk(root) -> None:
    """Kahn's order from the root is itself a reverse topological order: a node passes its grad on when popped,
    which happens only after every user has added its share."""
    users, nodes = _users_count(root)
    for node in nodes:
        node.grad = 0.0
    root.grad = 1.0
    ready = [root]
    while ready:
        node = ready.pop()
        for child, local in zip(node.children, local_grads__dict_dispatch(node)):
            child.grad += node.grad * local
            users[id(child)] -= 1
            if users[id(child)] == 0:
                ready.append(child)


def backward__dict_accumulate(root) -> None:
    """The shares summed in a dict keyed by id over the reversed topological order, then written to every .grad."""
    order = topological_order__iterator_stack(root)
    for node in order:
        node.grad = 0.0
    grads = {id(node): 0.0 for node in order}
    grads[id(root)] = 1.0
    for node in reversed(order):
        upstream = grads[id(node)]
        for child, local in zip(node.children, local_grads__match(node)):
            grads[id(child)] += upstream * local
    for node in order:
        node.grad = grads[id(node)]


def backward__flag_stack_order(root) -> None:
    """The flag-stack topological order walked from its end; the rules read off each node's output."""
    order = topological_order__flag_stack(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for index in range(len(order) - 1, -1, -1):
        node = order[index]
        locals_ = local_grads__from_output(node)
        for position, child in enumerate(node.children):
            child.grad = child.grad + locals_[position] * node.grad


# --------------------------------------------------------------------------------------------------------------------
# gradients: leaves, one forward call of f, one backward, the leaves' grads.
# --------------------------------------------------------------------------------------------------------------------


def gradients__slots_kahn(f: Callable, xs: list[float]) -> list[float]:
    """Leaves of the __slots__ Value; backward by Kahn's walk."""
    leaves = [Value__slots(float(x)) for x in xs]
    out = f(*leaves)
    backward__kahn_walk(out)
    return [float(leaf.grad) for leaf in leaves]


def gradients__dataclass_dict(f: Callable, xs: list[float]) -> list[float]:
    """Leaves of the dataclass Value; backward through the dict of shares."""
    leaves = list(map(Value__dataclass, xs))
    backward__dict_accumulate(f(*leaves))
    return [leaf.grad for leaf in leaves]


def gradients__duck_flag_stack(f: Callable, xs: list[float]) -> list[float]:
    """Leaves of the duck-typed Value; backward along the flag-stack order."""
    leaves = {index: Value__duck(x) for index, x in enumerate(xs)}
    out = f(*leaves.values())
    backward__flag_stack_order(out)
    return [leaves[index].grad for index in range(len(xs))]


ALTERNATIVES = {
    "Value": [
        ("slots-class", Value__slots),
        ("dataclass", Value__dataclass),
        ("duck-typed-apply", Value__duck),
    ],
    "local_grads": [
        ("dict-dispatch", local_grads__dict_dispatch),
        ("match-statement", local_grads__match),
        ("from-output", local_grads__from_output),
    ],
    "topological_order": [
        ("flag-stack", topological_order__flag_stack),
        ("iterator-stack", topological_order__iterator_stack),
        ("kahn", topological_order__kahn),
    ],
    "backward": [
        ("kahn-walk", backward__kahn_walk),
        ("dict-accumulate", backward__dict_accumulate),
        ("flag-stack-order", backward__flag_stack_order),
    ],
    "gradients": [
        ("slots-kahn", gradients__slots_kahn),
        ("dataclass-dict", gradients__dataclass_dict),
        ("duck-flag-stack", gradients__duck_flag_stack),
    ],
}
