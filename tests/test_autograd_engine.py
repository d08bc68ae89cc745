"""Module 12, an autograd engine of your own: Value's forward values and graph against torch's, the local rules
against torch's derivatives of single operations, topological orders checked node by node, backward against torch
autograd on fixed and seeded-random graphs (shared nodes, a second call, stale grads, a chain deeper than the
recursion limit), and the whole engine on seeded-random expressions. Torch calls are counted everywhere: the engine
is plain Python floats.

local_grads, topological_order and backward get graphs of the tests' own nodes (Node, with the attributes Value's
docstring names), so that each is checked on its own, whatever the learner's Value does.
"""

import functools
import math
import random
import sys
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

import pytest
import torch

from tests.kata.checks import NearMiss, distinct_reprs, fail, point_pairs, points, rejects
from tests.kata.solution import AutogradRecorder, Solution, guarded, learner_line, safe_str, short_repr

F64 = torch.float64
CHAIN = 5000  # nodes: past Python's recursion limit, which the tests hold at its default 1000 around the call
NO_TORCH = "the engine is plain Python floats and the math module, no torch: it is the autograd here"
RECURSION = "recursion limit: walk the graph with an explicit stack"


# ---- The tests' own nodes and a correct engine on them -----------------------------------------------------------


class Node:
    """The tests' node: Value's attributes (data, grad, children, op, exponent) and operators, and a name."""

    def __init__(self, data, children=(), op="", exponent=None, name=""):
        self.data = data
        self.grad = 0.0
        self.children = tuple(children)
        self.op = op
        self.exponent = exponent
        self.name = name
        self.constant = False  # a number that an operation wrapped in a leaf

    def __repr__(self) -> str:
        return self.name or f"Value({self.data!r})"

    def wrap(self, other):
        if isinstance(other, Node):
            return other
        leaf = type(self)(other)
        leaf.name, leaf.constant = repr(other), True
        return leaf

    def __add__(self, other):
        other = self.wrap(other)
        return type(self)(self.data + other.data, (self, other), "+")

    def __mul__(self, other):
        other = self.wrap(other)
        return type(self)(self.data * other.data, (self, other), "*")

    def __pow__(self, n):
        return type(self)(self.data**n, (self,), "**", n)

    def tanh(self):
        return type(self)(math.tanh(self.data), (self,), "tanh")

    def relu(self):
        return type(self)(self.data if self.data > 0 else 0.0, (self,), "relu")


def child_data(node) -> list[float]:
    return [child.data for child in node.children]


RULES: dict[str, Callable[[Any], tuple]] = {
    "": lambda node: (),
    "+": lambda node: (1.0, 1.0),
    "*": lambda node: tuple(reversed(child_data(node))),
    "**": lambda node: (node.exponent * child_data(node)[0] ** (node.exponent - 1),),
    "tanh": lambda node: (1 - node.data**2,),
    "relu": lambda node: (1.0 if child_data(node)[0] > 0 else 0.0,),
}
TORCH_OPS: dict[str, Callable[..., torch.Tensor]] = {
    "+": lambda node, a, b: a + b,
    "*": lambda node, a, b: a * b,
    "**": lambda node, a: a**node.exponent,
    "tanh": lambda node, a: a.tanh(),
    "relu": lambda node, a: a.relu(),
}


WALKS: dict[int, list] = {}  # the deep chain's walk, kept as the chain is, for the life of the process


def walk(root) -> list:
    """The tests' own topological order: depth-first, iterative, children first."""
    if id(root) in WALKS:
        return list(WALKS[id(root)])
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.children))
    return order


def breadth_first(root) -> list:
    """Root first, then level by level: what a walk that is not topological visits."""
    order, seen, queue = [], {id(root)}, deque([root])
    while queue:
        node = queue.popleft()
        order.append(node)
        for child in node.children:
            if id(child) not in seen:
                seen.add(id(child))
                queue.append(child)
    return order


def oracle(root, processing=None, accumulate=True, start=None, seed=1.0) -> dict[int, float]:
    """∂root/∂node for every node, by id; or, with other arguments, what a mistaken backward leaves in .grad:
    nodes passed on in another order, shares overwritten, grads that start from `start` instead of 0."""
    order = walk(root)
    grads = {id(node): (start or {}).get(id(node), 0.0) for node in order}
    grads[id(root)] = seed
    for node in reversed(order) if processing is None else processing:
        for child, local in zip(node.children, RULES[node.op](node)):
            share = local * grads[id(node)]
            grads[id(child)] = grads[id(child)] + share if accumulate else share
    return grads


def torch_grads(root) -> dict[int, float]:
    """∂root/∂node for every node, by torch autograd on the same graph in float64."""
    order = walk(root)
    tensors = {}
    for node in order:
        if node.children:
            tensors[id(node)] = TORCH_OPS[node.op](node, *(tensors[id(child)] for child in node.children))
        else:
            tensors[id(node)] = torch.tensor(float(node.data), dtype=F64, requires_grad=True)
    others = [node for node in order if node is not root]
    grads = (
        torch.autograd.grad(tensors[id(root)], [tensors[id(n)] for n in others], allow_unused=True) if others else ()
    )
    found = {id(node): 0.0 if grad is None else grad.item() for node, grad in zip(others, grads)}
    found[id(root)] = 1.0
    return found


def named(root):
    """Name the nodes a test left unnamed, for messages: x0, x1, … for leaves, n2, n3, … inside, out for root."""
    for index, node in enumerate(walk(root)):
        if not node.name:
            node.name = "out" if node is root else f"{'n' if node.children else 'x'}{index}"
    return root


def expression(node) -> str:
    a = [repr(child) for child in node.children]
    return {
        "+": lambda: f"{a[0]} + {a[1]}",
        "*": lambda: f"{a[0]} * {a[1]}",
        "**": lambda: f"{a[0]} ** {node.exponent!r}",
        "tanh": lambda: f"{a[0]}.tanh()",
        "relu": lambda: f"{a[0]}.relu()",
    }[node.op]()


def describe(root) -> str:
    """A graph as the code that builds it: 'x = 2.0, y = 3.0; a = x * y; out = a + x'."""
    order = walk(named(root))
    inputs = ", ".join(f"{node} = {node.data!r}" for node in order if not node.children and not node.constant)
    return "; ".join([inputs] + [f"{node} = {expression(node)}" for node in order if node.children])


# ---- Graphs and expressions --------------------------------------------------------------------------------------


def fixed_graphs() -> list[tuple[Node, str]]:
    """A lone leaf, the docstring's example, x used twice by one node, a node two others use (the diamond whose
    order matters), relu at 0, powers and a wrapped constant."""
    roots = [Node(2.0, name="x")]
    x, y = Node(2.0, name="x"), Node(3.0, name="y")
    a = x * y
    a.name = "a"
    roots.append(a + x)
    x = Node(-1.5, name="x")
    roots.append(x * x)
    x, y = Node(0.5, name="x"), Node(-1.2, name="y")
    m = x * y
    m.name = "m"
    roots.append(m + m.tanh())
    x = Node(0.0, name="x")
    roots.append(x.relu() + x * 2.0)
    x = Node(1.5, name="x")
    roots.append((x**3 + x**0.5) * (x + -2.0).tanh())
    return [(root, describe(root)) for root in roots]


def ladder(rungs: int = 6) -> tuple[Node, str]:
    """n = n.tanh() + n.relu(), again and again: 2^rungs paths lead from out to x."""
    node = Node(0.5, name="x")
    for _ in range(rungs):
        node = node.tanh() + node.relu()
    return named(node), f"a ladder of {rungs} rungs n = n.tanh() + n.relu() from x = 0.5 ({2**rungs} paths to x)"


@functools.cache
def deep_chain() -> tuple[Node, str]:
    """A chain of CHAIN nodes, n = (n * w).tanh() again and again: one w used CHAIN / 2 times. Built once a
    process: topological_order reads it, and backward sets every grad it holds afresh."""
    x, w = Node(0.5, name="x"), Node(1.0, name="w")
    node = x
    for index in range(1, CHAIN // 2 + 1):
        product = Node(node.data * w.data, (node, w), "*", name=f"m{index}")
        node = Node(math.tanh(product.data), (product,), "tanh", name=f"t{index}")
    node.name = "out"
    WALKS[id(node)] = walk(node)
    return node, f"a chain of {CHAIN} nodes, m1 = x * w, t1 = m1.tanh(), m2 = t1 * w, … from x = 0.5, w = 1.0"


@functools.cache
def deep_chain_grads() -> dict[int, float]:
    return oracle(deep_chain()[0])


# Operations of random graphs: (op, the operand it takes beside the last result: an index or a constant).
APPLY: dict[str, Callable[[Any, list, Any], Any]] = {
    "+": lambda a, slots, j: a + slots[j],
    "*": lambda a, slots, j: a * slots[j],
    "+c": lambda a, slots, c: a + c,
    "*c": lambda a, slots, c: a * c,
    "**": lambda a, slots, n: a**n,
    "tanh": lambda a, slots, _: a.tanh(),
    "relu": lambda a, slots, _: a.relu(),
}
FLOAT_APPLY: dict[str, Callable[[float, list, Any], float]] = {
    **APPLY,
    "tanh": lambda a, slots, _: math.tanh(a),
    "relu": lambda a, slots, _: max(a, 0.0),
}


OPS = ["+", "+", "*", "*", "+c", "*c", "**", "tanh", "tanh", "relu"]  # binary ones twice: more shared nodes


def random_steps(seed: int, inputs: int = 3, count: int = 9) -> tuple[list[float], list[tuple[str, int, Any]]]:
    """Seeded inputs and `count` steps, each on the last result and on an input not used yet, an earlier result
    or a constant, so that earlier nodes get used again (shared) further down; values stay moderate, powers real."""
    rng = random.Random(seed)
    values = [round(rng.uniform(-1.5, 1.5), 3) for _ in range(inputs)]
    unused = list(range(inputs))
    rng.shuffle(unused)
    steps: list[tuple[str, int, Any]] = []
    while len(steps) < count:
        i, op = len(values) - 1 if steps else unused[-1], rng.choice(OPS)
        j = unused[-1] if unused and unused[-1] != i and rng.random() < 0.8 else rng.randrange(len(values))
        arg = {
            "+": j,
            "*": j,
            "+c": round(rng.uniform(-2, 2), 1),
            "*c": round(rng.uniform(-2, 2), 1),
            "**": rng.choice([2, 3, -1, 0.5]),
        }.get(op)
        a = values[i]
        if op == "**" and ((arg == -1 and abs(a) < 0.3) or (arg == 0.5 and a <= 0.05)):
            continue
        if op == "relu" and a <= 0 and rng.random() < 0.8:  # a relu at a negative zeroes everything upstream
            continue
        value = FLOAT_APPLY[op](a, values, arg)
        if abs(value) > 20:
            continue
        values.append(value)
        steps.append((op, i, arg))
        for used in (i, arg if op in ("+", "*") else i):
            if used in unused:
                unused.remove(used)
    return values[:inputs], steps


def run_steps(steps: list[tuple[str, int, Any]], args: tuple) -> Any:
    slots = list(args)
    for op, i, arg in steps:
        slots.append(APPLY[op](slots[i], slots, arg))
    return slots[-1]


def random_graph(seed: int) -> Node:
    values, steps = random_steps(seed)
    return named(run_steps(steps, tuple(Node(value, name=f"x{i}") for i, value in enumerate(values))))


class Expression:
    """An f for gradients: runs on Values, the tests' Nodes and torch tensors alike; notes each call's arguments.
    Its __name__ is its code, which failure messages show."""

    def __init__(self, code: str, fn: Callable[..., Any]) -> None:
        self.__name__ = code
        self.fn = fn
        self.calls: list[tuple] = []

    def __call__(self, *args: Any) -> Any:
        self.calls.append(args)
        return self.fn(*args)


def random_expression(seed: int) -> tuple[Expression, list[float]]:
    values, steps = random_steps(seed)
    names = [f"x{i}" for i in range(len(values))] + [f"n{len(values) + k}" for k in range(len(steps))]
    code = {
        "+": lambda a, arg: f"{a} + {names[arg]}",
        "*": lambda a, arg: f"{a} * {names[arg]}",
        "+c": lambda a, arg: f"{a} + {arg!r}",
        "*c": lambda a, arg: f"{a} * {arg!r}",
        "**": lambda a, arg: f"{a} ** {arg!r}",
        "tanh": lambda a, arg: f"{a}.tanh()",
        "relu": lambda a, arg: f"{a}.relu()",
    }
    lines = [f"{names[len(values) + k]} = {code[op](names[i], arg)}" for k, (op, i, arg) in enumerate(steps)]
    text = f"f({', '.join(names[: len(values)])}): {'; '.join(lines)}; return {names[-1]}"
    return Expression(text, lambda *args: run_steps(steps, args)), values


def fixed_expressions() -> list[tuple[Expression, list[float]]]:
    """The docstring's example, a neuron, relu on both sides of 0, an input f does not use, powers and a constant,
    a sum used twice."""
    neuron = Expression(
        "f(x0, x1, w0, w1, b) = (x0 * w0 + x1 * w1 + b).tanh()",
        lambda x0, x1, w0, w1, b: (x0 * w0 + x1 * w1 + b).tanh(),
    )
    relu = Expression("f(x) = (x * x + x).relu()", lambda x: (x * x + x).relu())
    return [
        (Expression("f(x, y) = x * y + x", lambda x, y: x * y + x), [2.0, 3.0]),
        (neuron, points(count=5, seed=150, low=-1.5, high=1.5)),
        (relu, [-0.5]),
        (relu, [1.5]),
        (Expression("f(x, y) = x ** 3", lambda x, y: x**3), [1.5, -2.0]),
        (Expression("f(x) = x ** 0.5 * 2.0 + (x * -1.0).relu()", lambda x: x**0.5 * 2.0 + (x * -1.0).relu()), [4.0]),
        (
            Expression("f(x, y) = ((x + y) * (x + y)).tanh() * x", lambda x, y: ((x + y) * (x + y)).tanh() * x),
            [0.3, -0.7],
        ),
    ]


# ---- Calling and checking ----------------------------------------------------------------------------------------


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def close(got: float, expected: float) -> bool:
    return math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12)


def shown(expected: Any, got: Any) -> str:
    expected_text, got_text = distinct_reprs(expected, got)
    return f"expected {expected_text}, got {got_text}"


def expect_floats(got: Any, expected: Any, where: str, mistakes: Callable[[], dict[str, Any]]) -> None:
    """After the length check: fail unless got (shown as a list or tuple, as expected is) holds Python floats close
    to expected's, naming the first of mistakes() ({cause: wrong floats}, made only on a miss) that it matches."""
    got = type(expected)(got)
    if not all(map(is_number, got)):
        fail(f"{where}: got {short_repr(got)}, expected Python floats: {NO_TORCH}")
    if not all(map(close, got, expected)):
        cause = next((f": {why}" for why, wrong in mistakes().items() if all(map(close, got, wrong))), "")
        fail(f"{where}: {shown(expected, got)}{cause}")


def calls(count: int) -> str:
    return f"{count} call{'' if count == 1 else 's'}"


def expect_plain_python(solution: Solution, where: str = "", call: str = "") -> None:
    """The call ran no torch at all: the engine is plain floats, and any torch inside it is the lesson skipped."""
    if solution.torch_calls:
        apis = sorted({call.api for call in solution.autograd if call.mode})
        among = f", {' and '.join(apis)} among them" if apis else ""
        fail(f"{call or solution.call}{where}: it called torch ({calls(solution.torch_calls)}{among}): {NO_TORCH}")


def operate(what: str, operation: Callable[..., Any], *operands: Any, hint: str = "") -> Any:
    """An operation on the learner's Values, run as a solution's call is: guarded, its torch calls counted."""
    recorder = AutogradRecorder()

    def recorded() -> Any:
        with recorder:
            return operation(*operands)

    try:
        result = guarded(recorded, what)
    except NotImplementedError:  # a method still a stub: the exercise is todo
        raise
    except Exception as error:  # the learner's own error, in one line
        at = learner_line(error.__traceback__)
        fail(f"{what}: raised {type(error).__name__}: {safe_str(error)}{f' at {at}' if at else ''}{hint}")
    if recorder.torch_calls:
        fail(f"{what}: it called torch ({calls(recorder.torch_calls)}): {NO_TORCH}")
    return result


def stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def call_on_deep_graph(solution: Solution, root: Node, what: str) -> Any:
    """solution(root) with Python's default recursion limit (or a little over the stack already in use): a
    recursive walk of CHAIN nodes cannot finish, and one that raises the limit is caught at it."""
    before = sys.getrecursionlimit()
    limit = max(1000, stack_depth() + 200)
    sys.setrecursionlimit(limit)
    try:
        result = solution(root)
        after = sys.getrecursionlimit()
    except RecursionError:
        fail(f"{solution.call} on {what}: RecursionError: {RECURSION}, as a recursive one needs a frame per node")
    finally:
        sys.setrecursionlimit(before)
    if after != limit:
        fail(
            f"{solution.call} on {what}: it raised the recursion limit ({limit} -> {after}), which does not "
            f"count: {RECURSION}"
        )
    return result


# ---- Value --------------------------------------------------------------------------------------------------------


def expect_node(
    node: Any,
    what: str,
    value_class: type,
    data: float,
    op: str,
    children: list,
    exponent=None,
    likely: dict[str, float] | None = None,
    names: dict[int, str] | None = None,
) -> None:
    """node is a new Value: data (torch's value), op, children (the operands themselves, which `names` names; a
    float stands for a leaf Value of that data), exponent, and grad 0.0."""

    def label(operand: Any) -> str:
        return f"Value({operand!r})" if isinstance(operand, float) else (names or {}).get(id(operand), "the operand")

    if not isinstance(node, value_class):
        fail(f"{what}: got {type(node).__name__} {safe_str(node, repr)[:60]}, expected a Value: return a new node")
    missing = [name for name in ("data", "grad", "children", "op", "exponent") if not hasattr(node, name)]
    if missing:
        fail(f"{what}: the node has no .{missing[0]}: a Value keeps data, grad, children, op and exponent")
    got = node.data
    if not is_number(got):
        fail(f"{what}: .data is {type(got).__name__} {short_repr(got)}, expected a Python float: {NO_TORCH}")
    if not close(got, data):
        cause = next((f": {why}" for why, wrong in (likely or {}).items() if close(got, wrong)), "")
        fail(f"{what}: .data {shown(data, got)}{cause}")
    if node.op != op:
        fail(f"{what}: .op expected {op!r}, got {safe_str(node.op, repr)}: local_grads picks its rule by op")
    if not isinstance(node.children, tuple):
        fail(f"{what}: .children is {type(node.children).__name__}, expected a tuple of the operands")
    if len(node.children) != len(children):
        operands = ", ".join(map(label, children)) or "none for a leaf"
        fail(
            f"{what}: .children expected {len(children)} ({operands}), got {len(node.children)}: a node keeps "
            "the operands it was computed from, in order, for backward to walk"
        )
    for index, (child, operand) in enumerate(zip(node.children, children)):
        if isinstance(operand, float):
            if not isinstance(child, value_class):
                fail(
                    f"{what}: .children[{index}] is {type(child).__name__} {safe_str(child, repr)}, expected a "
                    f"leaf Value({operand!r}): wrap a number in a Value first"
                )
            if not (is_number(child.data) and close(child.data, operand)) or child.children != () or child.op:
                fail(f"{what}: .children[{index}] is not a leaf Value({operand!r}): wrap a number in a Value first")
        elif child is not operand:
            fail(f"{what}: .children[{index}] is not {label(operand)} itself: a node keeps its operands, in order")
    if node.exponent != exponent:
        why = "n·xⁿ⁻¹ needs the exponent n" if op == "**" else "None on every node but a ** node"
        fail(f"{what}: .exponent expected {exponent!r}, got {safe_str(node.exponent, repr)}: {why}")
    if node.grad != 0.0:
        fail(f"{what}: .grad expected 0.0 before any backward, got {safe_str(node.grad, repr)}")


def expect_unchanged(operand: Any, name: str, data: float, what: str) -> None:
    if operand.data != data or operand.children != () or operand.op != "" or operand.grad != 0.0:
        fail(
            f"{what} changed {name} ({name}.data {data!r} -> {safe_str(operand.data, repr)}, .op "
            f"{safe_str(operand.op, repr)}): an operation returns a new node and leaves its operands as they were"
        )


# (code, operation, op, the operands it keeps, given a and b): a float operand is a number wrapped in a leaf.
BINARY = [
    ("a + b", lambda a, b: a + b, "+", lambda a, b: [a, b]),
    ("a * b", lambda a, b: a * b, "*", lambda a, b: [a, b]),
    ("a * a", lambda a, b: a * a, "*", lambda a, b: [a, a]),
    ("a + 3.0", lambda a, b: a + 3.0, "+", lambda a, b: [a, 3.0]),
    ("a * -2.5", lambda a, b: a * -2.5, "*", lambda a, b: [a, -2.5]),
]
WRAP = ": wrap a number in a Value first (b may be a Python number)"


def unary(x: float) -> list[tuple[str, Callable[[Any], Any], str, Any]]:
    """(code, operation, op, exponent) at x: powers only where they are real and finite."""
    powers = [2, 3] + ([-1] if x != 0 else []) + ([0.5] if x > 0 else [])
    return [(f"a ** {n!r}", lambda a, n=n: a**n, "**", n) for n in powers] + [
        ("a.tanh()", lambda a: a.tanh(), "tanh", None),
        ("a.relu()", lambda a: a.relu(), "relu", None),
    ]


def torch_value(operation: Callable[..., Any], *xs: float) -> float:
    return operation(*(torch.tensor(x, dtype=F64) for x in xs)).item()


@pytest.mark.exercise("autograd_engine.Value")
def test_value(solution):
    value_class = solution.fn
    for x in points(2.0, -1.5, 0.0, count=2, seed=120):
        leaf = solution(x)
        expect_plain_python(solution)
        expect_node(leaf, solution.call, value_class, x, "", [])
    for x, y in point_pairs((2.0, -3.0), (0.0, 1.5), (-0.5, -0.5), count=2, seed=121):
        a, b = solution(x), solution(y)
        expect_plain_python(solution)
        for code, operation, op, operands in BINARY:
            what = f"{code} with a = Value({x!r}), b = Value({y!r})"
            node = operate(what, operation, a, b, hint=WRAP if "." in code else "")
            expect_unchanged(a, "a", x, what)
            expect_unchanged(b, "b", y, what)
            expected = torch_value(operation, x, y)
            expect_node(node, what, value_class, expected, op, operands(a, b), names={id(a): "a", id(b): "b"})
    for x in points(2.0, -1.5, 0.0, 0.5, count=3, seed=122):
        a = solution(x)
        for code, operation, op, exponent in unary(x):
            what = f"{code} with a = Value({x!r})"
            node = operate(what, operation, a)
            expect_unchanged(a, "a", x, what)
            swapped = "base and exponent swapped: a ** n raises a.data to the constant n"
            likely = {swapped: exponent**x} if exponent and exponent > 0 else {}
            expected = torch_value(operation, x)
            expect_node(node, what, value_class, expected, op, [a], exponent, likely=likely, names={id(a): "a"})
    # Results are Values whose operations work in turn, each node keeping the one before.
    a, b = solution(0.5), solution(1.5)
    what = "((a * b + a).tanh().relu()) ** 2 with a = Value(0.5), b = Value(1.5)"
    node = operate(what, lambda a, b: ((a * b + a).tanh().relu()) ** 2, a, b)
    expected = torch_value(lambda a, b: ((a * b + a).tanh().relu()) ** 2, 0.5, 1.5)
    first = list(getattr(node, "children", ()))[:1] if isinstance(node, value_class) else []
    expect_node(node, what, value_class, expected, "**", first or [None], 2)
    ops = []
    while isinstance(node, value_class) and isinstance(node.children, tuple) and node.children:
        ops.append(node.op)
        node = node.children[0]
    if ops != ["**", "relu", "tanh", "+", "*"] or node is not a:
        fail(
            f"{what}: following children[0] from the result gives ops {ops} and then "
            f"{'a' if node is a else type(node).__name__}, "
            "expected ['**', 'relu', 'tanh', '+', '*'] and then a: each node keeps its operands"
        )


# ---- local_grads ----------------------------------------------------------------------------------------------------


def local_cases() -> list[Node]:
    """One node of each op at fixed and seeded-random points: relu at 0, powers that are real, x * x."""
    cases = [Node(2.0, name="a")]
    for x, y in point_pairs((2.0, -3.0), (0.5, 0.5), count=2, seed=125):
        a, b = Node(x, name="a"), Node(y, name="b")
        cases += [a + b, a * b, a * a, a + 3.0, a * -2.5]
    for x in points(2.0, -1.5, 0.0, 0.5, count=3, seed=126):
        a = Node(x, name="a")
        powers = [2, 3, 1] + ([0, -1] if x != 0 else []) + ([0.5, 1.5] if x > 0 else [])
        cases += [a.tanh(), a.relu()] + [a**n for n in powers]
    return cases


def torch_local(node) -> tuple[float, ...]:
    """∂node/∂child for each child by torch autograd: a leaf tensor for each child position (a * a has two)."""
    if not node.children:
        return ()
    leaves = [torch.tensor(float(data), dtype=F64, requires_grad=True) for data in child_data(node)]
    return tuple(grad.item() for grad in torch.autograd.grad(TORCH_OPS[node.op](node, *leaves), leaves))


def local_mistakes(node) -> dict[str, tuple[float, ...]]:
    """{cause: the local derivatives that mistake gives} for this node's op."""
    data, n = child_data(node), node.exponent
    if node.op == "tanh":
        return {
            "1 − x² with x the child's data: tanh' is 1 − tanh(x)², and node.data already holds tanh(x)": (
                1 - data[0] ** 2,
            ),
            "1 − tanh(x), not squared: tanh' is 1 − tanh(x)²": (1 - node.data,),
        }
    if node.op == "relu":
        return {"relu' at 0 is 1 here but 0 in torch and in this task: 1 only where a > 0, not a >= 0": (1.0,)}
    if node.op == "**":
        return {
            "n·xⁿ: the exponent drops by one, d(xⁿ)/dx = n·xⁿ⁻¹": (n * data[0] ** n,),
            "xⁿ⁻¹ without the factor n: d(xⁿ)/dx = n·xⁿ⁻¹": (data[0] ** (n - 1),),
        }
    if node.op == "*":
        return {"swapped: ∂(a·b)/∂a is b, the other operand's data": tuple(data)}
    return {}


def local_call(node) -> str:
    operands = ", ".join(f"{child} = {child.data!r}" for child in dict.fromkeys(node.children) if not child.constant)
    return f"local_grads({expression(node) if node.children else node}) with {operands or f'{node} = {node.data!r}'}"


@pytest.mark.exercise("autograd_engine.local_grads")
def test_local_grads(solution):
    for node in local_cases():
        expected = torch_local(node)
        got = solution(node)
        call = local_call(node)
        expect_plain_python(solution, call=call)
        if not isinstance(got, (tuple, list)):
            fail(f"{call}: got {type(got).__name__} {safe_str(got, repr)}, expected a tuple of floats, one per child")
        if len(got) != len(expected):
            fail(
                f"{call}: expected {len(expected)} local derivatives (one per child), got {len(got)}: "
                f"{short_repr(tuple(got))}"
            )
        expect_floats(got, expected, call, functools.partial(local_mistakes, node))


# ---- topological_order -------------------------------------------------------------------------------------------


def expect_order(got: Any, root: Node, where: str) -> None:
    """got holds every node of root's graph once, each after all of its children."""
    nodes = walk(root)
    if not isinstance(got, (list, tuple)):
        fail(f"{where}: got {type(got).__name__} {safe_str(got, repr)[:80]}, expected a list of the nodes")
    known = {id(node) for node in nodes}
    stranger = next((item for item in got if id(item) not in known), None)
    if stranger is not None:
        fail(
            f"{where}: {safe_str(stranger, repr)[:80]} is not a node of root's graph: list the nodes themselves, "
            "as reached through .children"
        )
    counts = Counter(id(item) for item in got)
    twice = next((node for node in nodes if counts[id(node)] > 1), None)
    if twice is not None:
        fail(
            f"{where}: {twice} is listed {counts[id(twice)]} times: keep a set of the visited nodes, so that each "
            "comes once however many paths lead to it"
        )
    missing = next((node for node in nodes if not counts[id(node)]), None)
    if missing is not None:
        fail(
            f"{where}: {missing} is missing ({len(got)} of {len(nodes)} nodes listed): every node reachable from "
            "root belongs in the order, leaves too"
        )
    if len(nodes) > 1 and got[0] is root:
        fail(
            f"{where}: root comes first: the order is reversed; children first, root last (backward walks it from "
            "the end)"
        )
    position = {id(item): index for index, item in enumerate(got)}
    for node in got:
        later = next((child for child in node.children if position[id(child)] > position[id(node)]), None)
        if later is not None:
            fail(
                f"{where}: {node} comes before {later}, one of its children: every node comes after all of its "
                "children (a depth-first walk appends a node once its children are done)"
            )


@pytest.mark.exercise("autograd_engine.topological_order")
def test_topological_order(solution):
    graphs = [*fixed_graphs(), ladder(), *((root, describe(root)) for root in map(random_graph, (132, 134, 137)))]
    for root, what in graphs:
        got = solution(root)
        expect_plain_python(solution, f" with {what}")
        expect_order(got, root, f"{solution.call} with {what}")
    root, what = deep_chain()
    got = call_on_deep_graph(solution, root, what)
    expect_order(got, root, f"{solution.call} on {what}")


# ---- backward -----------------------------------------------------------------------------------------------------


def backward_mistakes(root: Node, before: dict[int, float]) -> dict[str, dict[int, float]]:
    """{cause: the grads that mistaken backward leaves}, `before` being what the nodes held before the call."""
    mistakes = {
        "a node used twice kept only its last share: child.grad += local · node.grad, not =": oracle(
            root, accumulate=False
        ),
        "a node passed its grad on before every node that uses it had added its share: walk "
        "reversed(topological_order(root)), not breadth-first from root": oracle(root, breadth_first(root)),
        "leaves first: the chain rule runs from root down, over reversed(topological_order(root))": oracle(
            root, walk(root)
        ),
        "root.grad must start at 1.0 (∂root/∂root); every other grad is a multiple of it": oracle(root, seed=0.0),
    }
    if any(before.values()):
        mistakes[
            "the grads from before this call were not cleared: set every node's grad to 0.0 first, so that a "
            "second backward() does not add onto the first"
        ] = oracle(root, start=before)
    return mistakes


def expect_backward(solution: Solution, root: Node, what: str, *, deep: bool = False) -> None:
    """backward(root) leaves ∂root/∂node in every node's .grad, whatever the nodes held before."""
    expected = deep_chain_grads() if deep else torch_grads(root)
    nodes = walk(root)
    before = {id(node): node.grad for node in nodes}
    returned = call_on_deep_graph(solution, root, what) if deep else solution(root)
    where = f"{solution.call} {'on' if deep else 'with'} {what}"
    expect_plain_python(solution, f" {'on' if deep else 'with'} {what}")
    for node in nodes:
        if not is_number(node.grad):
            fail(
                f"{where}: {node}.grad is {type(node.grad).__name__} {short_repr(node.grad)}, expected a Python "
                f"float: {NO_TORCH}"
            )
    wrong = [node for node in nodes if not close(node.grad, expected[id(node)])]
    if wrong:
        cause = next(
            (
                f": {why}"
                for why, grads in backward_mistakes(root, before).items()
                if all(close(node.grad, grads[id(node)]) for node in nodes)
            ),
            "",
        )
        # The one nearest root, where the mistake began; a number's leaf only if no other node is wrong.
        node = ([node for node in wrong if not node.constant] or wrong)[-1]
        fail(
            f"{where}: {node}.grad {shown(expected[id(node)], node.grad)} ({len(wrong)} of {len(nodes)} nodes "
            f"differ){cause}"
        )
    if returned is not None:
        fail(
            f"{where}: returned {type(returned).__name__} {safe_str(returned, repr)[:60]}, expected None: the "
            "gradients go into the nodes' .grad"
        )


@pytest.mark.exercise("autograd_engine.backward")
def test_backward(solution):
    for root, what in [*fixed_graphs(), ladder()]:
        expect_backward(solution, root, what)
    for seed in (142, 143, 150):
        root = random_graph(seed)
        expect_backward(solution, root, describe(root))
        expect_backward(solution, root, f"{describe(root)}, a second time")
    root = random_graph(151)
    for node in walk(root):
        node.grad = 5.0
    expect_backward(solution, root, f"{describe(root)}, every grad 5.0 from an earlier pass")
    expect_backward(solution, *deep_chain(), deep=True)


# ---- gradients ----------------------------------------------------------------------------------------------------


def torch_gradients(f: Callable[..., Any], xs: list[float]) -> list[float]:
    """∂f/∂x for each x by torch autograd (0.0 where f does not use it); also a near miss, given the Expression."""
    leaves = [torch.tensor(x, dtype=F64, requires_grad=True) for x in xs]
    grads = torch.autograd.grad(f(*leaves), leaves, allow_unused=True)
    return [0.0 if grad is None else grad.item() for grad in grads]


def expect_gradients(solution: Solution, f: Expression, xs: list[float]) -> None:
    expected = torch_gradients(f.fn, xs)
    f.calls.clear()
    got = solution(f, xs)
    if any(isinstance(arg, torch.Tensor) for call in f.calls for arg in call):
        fail(f"{solution.call}: f ran on torch tensors: make a leaf Value per x and let your engine differentiate")
    expect_plain_python(solution)
    if len(f.calls) != 1:
        fail(
            f"{solution.call}: called f {len(f.calls)} times: once, on leaf Values, then backward(out): one "
            "forward pass, one backward pass (finite differences call f again and again)"
        )
    if not all(hasattr(arg, "grad") and hasattr(arg, "children") for arg in f.calls[0]):
        kinds = ", ".join(sorted({type(arg).__name__ for arg in f.calls[0]}))
        fail(f"{solution.call}: f ran on {kinds}: its arguments are leaf Values, Value(x) for each x")
    if not isinstance(got, (list, tuple)) or len(got) != len(xs):
        fail(
            f"{solution.call}: got {type(got).__name__} {safe_str(got, repr)[:80]}, expected a list of "
            f"{len(xs)} floats, one per x"
        )
    if any(hasattr(item, "grad") for item in got):
        fail(f"{solution.call}: got Value objects, expected floats: return each leaf's .grad")
    expect_floats(got, expected, solution.call, functools.partial(gradient_mistakes, f, xs))


def gradient_mistakes(f: Expression, xs: list[float]) -> dict[str, list[float]]:
    """Wrong gradients that engine mistakes give on f at xs, each by its cause: for the failure message."""
    leaves = [Node(x) for x in xs]
    out = f.fn(*leaves)
    return {
        "all 0.0: backward(out) never ran, or the leaves' grads were read before it": [0.0] * len(xs),
        "the xs themselves (the leaves' .data), not their .grad": xs,
        **{
            f"what a backward with this mistake gives: {why}": [grads.get(id(leaf), 0.0) for leaf in leaves]
            for why, grads in backward_mistakes(out, {}).items()
        },
    }


@pytest.mark.exercise("autograd_engine.gradients")
def test_gradients(solution):
    for f, xs in [*fixed_expressions(), *map(random_expression, (167, 176, 177))]:
        expect_gradients(solution, f, xs)


# ---- Near misses ---------------------------------------------------------------------------------------------------


def value_with(**methods: Callable[..., Any]) -> type:
    """A learner-style Value: the tests' Node with some methods written differently."""
    return type("Value", (Node,), methods)


def added_in_place(self, other):
    self.data += self.wrap(other).data
    return self


def kept_in_a_tensor(self, data, children=(), op="", exponent=None, name=""):
    """A Value that lets torch do the work: a tensor that requires grad inside each node."""
    Node.__init__(self, data, children, op, exponent, name)
    self.tensor = torch.tensor(float(data), requires_grad=True)


def rules_with(changed: dict[str, Callable[[Any], tuple]]) -> Callable[[Any], tuple]:
    rules = {**RULES, **changed}
    return lambda node: rules[node.op](node)


def recursive_order(root) -> list:
    """micrograd's build_topo: right, until a graph is deeper than the recursion limit."""
    order, visited = [], set()

    def build(node):
        if node not in visited:
            visited.add(node)
            for child in node.children:
                build(child)
            order.append(node)

    build(root)
    return order


def order_raising_the_limit(root) -> list:
    sys.setrecursionlimit(100_000)
    return recursive_order(root)


def unvisited_order(root) -> list:
    """Depth-first without a visited set: a node comes once per path that leads to it."""
    order, stack = [], [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.children))
    return order


def preorder_reversed(root) -> list:
    """Appended when popped, before the children, then reversed: topological for a tree, not for every graph."""
    order, visited, stack = [], {id(root)}, [root]
    while stack:
        node = stack.pop()
        order.append(node)
        for child in node.children:
            if id(child) not in visited:
                visited.add(id(child))
                stack.append(child)
    return order[::-1]


def backward_with(order=lambda root: walk(root)[::-1], accumulate=True, zero=True, seed=1.0) -> Callable:
    """A learner-style backward on the tests' nodes, with one choice made differently."""

    def backward(root):
        if zero:
            for node in walk(root):
                node.grad = 0.0
        root.grad = seed
        for node in order(root):
            for child, local in zip(node.children, RULES[node.op](node)):
                child.grad = child.grad + local * node.grad if accumulate else local * node.grad

    return backward


def backward_by_torch(root) -> None:
    """Right gradients, by torch's autograd: the lesson skipped."""
    grads = torch_grads(root)
    for node in walk(root):
        node.grad = grads[id(node)]


def gradients_with(finish: Callable[[list, Any], Any], run_backward: bool = True) -> Callable:
    """A learner-style gradients on the tests' nodes: leaves, f once, backward, then finish(leaves, out)."""

    def gradients(f, xs):
        leaves = [Node(x) for x in xs]
        out = f(*leaves)
        if run_backward:
            backward_with()(out)
        return finish(leaves, out)

    return gradients


def gradients_by_differences(f, xs, h=1e-6):
    """Central differences through the engine's forward pass: close, but f runs 2·len(xs) times, never backward."""
    found = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        found.append((f(*map(Node, up)).data - f(*map(Node, down)).data) / (2 * h))
    return found


value_near_misses = rejects(
    test_value,
    NearMiss(
        "children-dropped",
        value_with(__add__=lambda self, other: type(self)(self.data + self.wrap(other).data, (), "+")),
        "keeps the operands",
    ),
    NearMiss(
        "number-not-wrapped",
        value_with(__add__=lambda self, other: type(self)(self.data + other.data, (self, other), "+")),
        "wrap a number in a Value",
    ),
    NearMiss("added-in-place", value_with(__add__=added_in_place), "leaves its operands as they were"),
    NearMiss(
        "power-swapped",
        value_with(__pow__=lambda self, n: type(self)(n**self.data, (self,), "**", n)),
        "base and exponent swapped",
    ),
    NearMiss(
        "exponent-not-kept", value_with(__pow__=lambda self, n: type(self)(self.data**n, (self,), "**")), "n·xⁿ⁻¹"
    ),
    NearMiss(
        "op-named-mul",
        value_with(__mul__=lambda self, other: type(self)(self.data * self.wrap(other).data, (self, other), "mul")),
        "picks its rule by op",
    ),
    NearMiss(
        "torch-tanh",
        value_with(tanh=lambda self: type(self)(torch.tanh(torch.tensor(self.data)).item(), (self,), "tanh")),
        "called torch",
    ),
    NearMiss("tensor-inside", value_with(__init__=kept_in_a_tensor), "called torch"),
)
local_grads_near_misses = rejects(
    test_local_grads,
    NearMiss("tanh-of-child", rules_with({"tanh": lambda node: (1 - child_data(node)[0] ** 2,)}), "1 − x²"),
    NearMiss(
        "relu-slope-1-at-0", rules_with({"relu": lambda node: (1.0 if child_data(node)[0] >= 0 else 0.0,)}), "at 0"
    ),
    NearMiss(
        "power-not-lowered",
        rules_with({"**": lambda node: (node.exponent * child_data(node)[0] ** node.exponent,)}),
        "exponent drops by one",
    ),
    NearMiss("product-swapped", rules_with({"*": lambda node: tuple(child_data(node))}), "swapped"),
    NearMiss("one-for-a-sum", rules_with({"+": lambda node: (1.0,)}), "one per child"),
    NearMiss("torch-autograd", torch_local, "called torch"),
)
topological_order_near_misses = rejects(
    test_topological_order,
    NearMiss("recursive", recursive_order, RECURSION),
    NearMiss("recursion-limit-raised", order_raising_the_limit, "raised the recursion limit"),
    NearMiss("no-visited-set", unvisited_order, "visited"),
    NearMiss("root-first", lambda root: walk(root)[::-1], "reversed"),
    NearMiss("breadth-first-reversed", lambda root: breadth_first(root)[::-1], "comes after all of its children"),
    NearMiss("preorder-reversed", preorder_reversed, "comes after all of its children"),
    NearMiss("leaves-only", lambda root: [node for node in walk(root) if not node.children], "missing"),
)
backward_near_misses = rejects(
    test_backward,
    NearMiss("overwrites", backward_with(accumulate=False), r"\+=.*not ="),
    NearMiss("breadth-first", backward_with(order=breadth_first), "before every node that uses it"),
    NearMiss("not-reversed", backward_with(order=walk), "leaves first"),
    NearMiss("not-zeroed", backward_with(zero=False), "not cleared"),
    NearMiss("root-not-seeded", backward_with(seed=0.0), "must start at 1.0"),
    NearMiss("recursive", backward_with(order=lambda root: recursive_order(root)[::-1]), RECURSION),
    NearMiss("torch-autograd", backward_by_torch, "called torch"),
)
gradients_near_misses = rejects(
    test_gradients,
    NearMiss("torch-autograd", torch_gradients, "torch tensors"),
    NearMiss("finite-differences", gradients_by_differences, "called f"),
    NearMiss("no-backward", gradients_with(lambda leaves, out: [leaf.grad for leaf in leaves], False), "never ran"),
    NearMiss("data-not-grad", gradients_with(lambda leaves, out: [leaf.data for leaf in leaves]), r"\.data"),
    NearMiss("the-leaves", gradients_with(lambda leaves, out: leaves), "return each leaf's .grad"),
)
