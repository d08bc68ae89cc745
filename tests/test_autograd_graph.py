"""Module 12, the autograd graph: node names against walks that go wrong in known ways, which tensors backward()
fills (against a backward() through a twin graph), version counters and saved tensors found by experiment on the
torch that runs (so that no version's choices are baked in), and the near misses."""

import random

import pytest
import torch

from tests.kata.checks import (
    Mechanic,
    NearMiss,
    cube,
    expect_inputs_untouched,
    expect_like,
    expect_made_by_autograd,
    expect_no_autograd,
    fail,
    passes,
    random_tensor,
    rejects,
    running_sum,
)
from tests.kata.solution import short_repr


def call_catching(solution, args, catch_hint: str):
    """The solution's result; a RuntimeError it lets through fails with a cause (NotImplementedError, a stub's, is
    one too: it goes on to mark the exercise todo)."""
    try:
        return solution(*args)
    except NotImplementedError:
        raise
    except RuntimeError as error:
        text = str(error).split("\n")[0][:160]
        if "leaf Variable" in text:
            cause = (
                "a leaf that requires grad may not change in place outside torch.no_grad(): change a non-leaf "
                "copy of it (leaf.clone()), or change it inside torch.no_grad()"
            )
        else:
            cause = catch_hint
        fail(f"{solution.call}: raised RuntimeError ({text}): {cause}")


# ---------------------------------------------------------------- graph_nodes
def class_name(node) -> str:
    return type(node).__name__


def walk(y, *, order="depth", dedup="identity", name=class_name, skip_none=True, leaves=True, reverse=False):
    """y's nodes, listed by a walk that the keywords may make wrong in one known way each."""
    names: list[str] = []
    seen: set = set()

    def key(node):  # the node itself, not id(node): a set of nodes keeps them alive, so ids are not reused
        return name(node) if dedup == "name" else node

    def listed(node) -> bool:
        if node is None:
            return not skip_none
        return leaves or not hasattr(node, "variable")

    def children(node):
        found = [] if node is None else [child for child, _ in node.next_functions]
        return found[::-1] if reverse else found

    def label(node):
        return "NoneType" if node is None else name(node)

    if order == "breadth":
        queue, seen = [y.grad_fn], {key(y.grad_fn)}
        while queue:
            node = queue.pop(0)
            if listed(node):
                names.append(label(node))
            for child in children(node):
                if (child is not None or not skip_none) and (dedup is None or key(child) not in seen):
                    seen.add(key(child))
                    queue.append(child)
        return names

    def visit(node) -> None:
        seen.add(key(node))
        if order == "depth" and listed(node):
            names.append(label(node))
        for child in children(node):
            if (child is not None or not skip_none) and (dedup is None or key(child) not in seen):
                visit(child)
        if order == "post" and listed(node):
            names.append(label(node))

    visit(y.grad_fn)
    return names


WALK_MISTAKES = {
    "breadth first: a node's next_functions come right after it, before its siblings (depth first)": {
        "order": "breadth"
    },
    "children listed before their node: list a node, then visit its next_functions": {"order": "post"},
    "next_functions visited last to first: visit them in order (an explicit stack pops the last one pushed)": {
        "reverse": True
    },
    "a node that two paths reach is listed twice: list each node once (tell them apart with `is`)": {"dedup": None},
    "nodes told apart by their names: two leaves have two AccumulateGrad nodes, both listed; compare nodes with `is`": {
        "dedup": "name"
    },
    "node.name() gives 'torch::autograd::AccumulateGrad' for a leaf's node: list type(node).__name__": {
        "name": lambda node: node.name()
    },
    "'NoneType' listed: a None entry in next_functions is an input that needs no gradient, no node; skip it": {
        "skip_none": False
    },
    "the leaves' AccumulateGrad nodes are missing: they are nodes of the graph too": {"leaves": False},
}


def leaves(*values, dtype=torch.float32, grad=True):
    return [torch.tensor(v, dtype=dtype, requires_grad=grad) for v in values]


def docstring_graph():
    a, b = leaves(1.0, 2.0)
    return "sin(a·b) + exp(a)", torch.sin(a * b) + torch.exp(a)


def constant_graph():
    (a, b), c = leaves([1.0, -2.0], [0.5, 3.0]), torch.tensor([2.0, 1.0])
    return "(tanh(a·c)·b).sum(), c a constant", (torch.tanh(a * c) * b).sum()


def shared_graph():
    (a, b) = leaves([0.5, 1.5, -1.0], [2.0, -1.0, 0.25], dtype=torch.float64)
    m = a * b
    return "(sin(m) + cos(m)·a).sum(), m = a·b", (torch.sin(m) + torch.cos(m) * a).sum()


def unbind_graph():
    (a,) = leaves([1.0, 2.0])
    first, second = torch.exp(a).unbind()
    return "u·v + v with u, v = exp(a).unbind()", first * second + second


def matrix_graph():
    w, b = leaves([[1.0, -1.0, 0.5], [2.0, 0.0, -0.5]], [0.1, -0.2], dtype=torch.float64)
    x = torch.tensor([1.0, 2.0, -1.0], dtype=torch.float64)
    return "relu(w @ x + b).sum(), x a constant", torch.relu(w @ x + b).sum()


def random_graph(seed: int):
    """A seeded expression over two leaves and a constant, drawn from a few unary and binary operations."""
    rng = random.Random(seed)
    a, b = leaves([0.3, -0.7], [1.1, 0.4])
    pool = [a, b, torch.tensor([2.0, -1.0])]
    unary = [torch.sin, torch.exp, torch.tanh, torch.neg, torch.sigmoid]
    binary = [torch.add, torch.mul, torch.sub]
    for _ in range(5):
        if rng.random() < 0.4:
            pool.append(rng.choice(unary)(rng.choice(pool)))
        else:
            pool.append(rng.choice(binary)(rng.choice(pool), rng.choice(pool)))
    tracked = [t for t in pool[3:] if t.requires_grad] or [a * b]
    y = torch.stack(tracked[-2:]).sum()
    return f"a random graph (seed {seed})", y


EXAMPLE_NODES = ["AddBackward0", "SinBackward0", "MulBackward0", "AccumulateGrad", "AccumulateGrad", "ExpBackward0"]
GRAPHS = [docstring_graph, constant_graph, shared_graph, unbind_graph, matrix_graph] + [
    lambda seed=seed: random_graph(seed) for seed in (121, 122, 123)
]


def expect_list_of(kind: type, got, expected, where: str, mistakes: dict[str, list]) -> None:
    """Fail unless got is the list expected, of Python `kind` items; name the mistake it matches, if any."""
    if not isinstance(got, list) or not all(isinstance(item, kind) for item in got):
        fail(f"{where}: got {type(got).__name__} {short_repr(got)}, expected a list of Python {kind.__name__} values")
    if got == expected:
        return
    cause = next((why for why, wrong in mistakes.items() if got == wrong and wrong != expected), None)
    message = f"{where}: expected {expected}, got {got}"
    fail(f"{message}: {cause}" if cause else message)


@pytest.mark.exercise("autograd_graph.graph_nodes")
def test_graph_nodes(solution):
    for make in GRAPHS:
        described, y = make()
        mistakes = {why: walk(y, **changes) for why, changes in WALK_MISTAKES.items()}
        mistakes["only y.grad_fn: visit its next_functions too, and theirs, down to the leaves"] = [
            type(y.grad_fn).__name__
        ]
        mistakes["the docstring example's answer: walk the graph of the y you are given"] = EXAMPLE_NODES
        got = solution(y)
        expect_list_of(str, got, walk(y), f"{solution.call} with y = {described}", mistakes)
        expect_inputs_untouched(solution)


# ---------------------------------------------------------------- fills_grad
def example_case():
    a, b = leaves([1.0, 1.0], [1.0, 1.0])
    c = torch.ones(2)
    m = a * 2
    return "(m·c).sum(), m = a·2; tensors [a, b, c, m]", (m * c).sum(), [a, b, c, m]


def detached_case():
    a, b, d = leaves([1.0, 2.0], [0.5, -1.0], [3.0, 1.0])
    view = b[1:]
    return (
        "(a.detach()·b).sum() + view.sum()·0; tensors [a, b, view, d]",
        (a.detach() * b).sum() + view.sum() * 0,
        [
            a,
            b,
            view,
            d,
        ],
    )


def deep_case():
    a, b = leaves([0.2, -0.4, 0.6], [1.0, 2.0, 3.0], dtype=torch.float64)
    e = torch.exp(a * 2)
    return "sin(exp(a·2) + b).sum(); tensors [b, e, a]", torch.sin(e + b).sum(), [b, e, a]


def no_grad_case():
    a, b = leaves([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]], [0.5, 0.5, 2.0])
    with torch.no_grad():
        k = a * 3
    x = torch.tensor([1.0, -1.0, 2.0])
    h = k @ b
    return (
        "(k @ b).sum(), k = a·3 made under no_grad; tensors [a, k, b, x, h]",
        h.sum() + (x * 0).sum(),
        [
            a,
            k,
            b,
            x,
            h,
        ],
    )


def random_case(seed: int):
    """Five leaves, each requiring grad or not, each used or not (one always is), summed through sin."""
    rng = random.Random(seed)
    tensors = [
        random_tensor(3, seed=seed + i, dtype=torch.float64).requires_grad_(rng.random() < 0.6) for i in range(5)
    ]
    tensors[0].requires_grad_()
    used = [tensors[0]] + [t for t in tensors[1:] if rng.random() < 0.5]
    y = sum(torch.sin(t).sum() for t in used)
    return f"a sum over some of five leaves (seed {seed})", y, tensors


FILL_CASES = [example_case, detached_case, deep_case, no_grad_case] + [
    lambda seed=seed: random_case(seed) for seed in (131, 132)
]


def filled_by_backward(make) -> list[bool]:
    """Which tensors get a .grad from backward() through a twin of the case's graph: what autograd itself does."""
    _, y, tensors = make()
    y.backward()
    return [t.is_leaf and t.grad is not None for t in tensors]


def one_level(y, tensors) -> list[bool]:
    found = [getattr(node, "variable", None) for node, _ in y.grad_fn.next_functions]
    return [any(t is v for v in found) for t in tensors]


@pytest.mark.exercise("autograd_graph.fills_grad")
def test_fills_grad(solution):
    for make in FILL_CASES:
        expected = filled_by_backward(make)
        described, y, tensors = make()
        mistakes = {
            "requires_grad alone: a tensor y does not use (or uses only detached) gets no .grad, nor does a "
            "tensor made by an operation; read y's graph": [t.requires_grad for t in tensors],
            "every leaf that requires grad: y's graph may not reach it; look for its AccumulateGrad node": [
                t.is_leaf and t.requires_grad for t in tensors
            ],
            "only y.grad_fn's own next_functions: walk the whole graph, down to every AccumulateGrad node": one_level(
                y, tensors
            ),
        }
        got = solution(y, list(tensors))
        expect_list_of(bool, got, expected, f"{solution.call} with y = {described}", mistakes)
        expect_inputs_untouched(solution)
        expect_no_autograd(solution)


# ---------------------------------------------------------------- version_bumps
def add_one(t):
    t.add_(1)


def add_zero(t):
    t.add_(0)


def double_then_halve(t):
    t.mul_(2).div_(2)


def set_first(t):
    t[0] = 5.0


def zero_tail_through_a_view(t):
    t.view(-1)[1:].zero_()


def through_detach(t):
    t.detach().add_(1)


def through_data(t):
    t.data.add_(1)


def rebinding(t):
    t = t + 1
    return t


def out_argument(t):
    torch.mul(t, 2, out=t)


def three_times(t):
    for _ in range(3):
        t += 1


def clamp_then_copy(t):
    t.clamp_(-1, 1)
    t.copy_(torch.sort(t).values)


BUMPERS = [
    add_one,
    add_zero,
    double_then_halve,
    set_first,
    zero_tail_through_a_view,
    through_detach,
    through_data,
    rebinding,
    out_argument,
    three_times,
    clamp_then_copy,
]


def versioned(x: torch.Tensor, bumps: int) -> torch.Tensor:
    """x with its version counter at `bumps` (values as they were): the caller's counter need not read 0."""
    for _ in range(bumps):
        x.add_(0)
    return x


def bumps_of(f, x) -> int:
    t = x.clone()
    f(t)
    return t._version


@pytest.mark.exercise("autograd_graph.version_bumps")
def test_version_bumps(solution):
    xs = [
        torch.tensor([1.0, -2.0, 0.0]),
        versioned(random_tensor(4, seed=141), 5),
        versioned(random_tensor(3, seed=142, dtype=torch.float64), 2),
    ]
    for f in BUMPERS:
        for x in xs:
            expected = bumps_of(f, x)
            after = x.clone()
            f(after)
            got = solution(f, x)
            if type(got) is not int:
                fail(f"{solution.call}: got {type(got).__name__} {short_repr(got)}, expected an int")
            if got == expected:
                expect_inputs_untouched(solution)
                continue
            causes = {
                int(not torch.equal(after, x)): "whether the values changed: equal values are no proof (add_(0), "
                "mul_(2) then div_(2) bump the counter), and changes through .data bump nothing; read t._version",
                expected - x._version: "less x's own count: the copy's counter starts on its own; take the copy's "
                "_version after f, less the copy's before",
            }
            cause = causes.get(got, "")
            fail(f"{solution.call}: expected {expected}, got {got}{': ' + cause if cause else ''}")


# ---------------------------------------------------------------- saved_by
def scaled(t):
    return t * 3


def plus_one(t):
    return t + 1


def sin_then_exp(t):
    return torch.exp(torch.sin(t))


def times_itself(t):
    return t * t


SAVERS = [torch.sin, torch.exp, torch.cos, torch.tanh, torch.sqrt, torch.log, torch.relu, torch.sigmoid]
SAVERS += [scaled, plus_one, cube, sin_then_exp, times_itself]


def raises_runtime_error(run) -> bool:
    """Whether run() raises a RuntimeError: how backward() tells a saved tensor changed, or a graph already freed."""
    try:
        run()
    except RuntimeError:
        return True
    return False


def raises_after_change(op, x, change_output: bool) -> bool:
    t = x.clone().requires_grad_().clone()
    out = op(t)
    (out if change_output else t).add_(1)
    return raises_runtime_error(out.sum().backward)


def one_graph_answer(op, x) -> tuple[bool, bool]:
    """Both questions on one graph: the input's change is still there for the second, or the graph is spent."""
    t = x.clone().requires_grad_().clone()
    out = op(t)
    answers = []
    for changed in (t, out):
        changed.add_(1)
        answers.append(raises_runtime_error(out.sum().backward))
    return answers[0], answers[1]


def positive(seed: int, n: int, dtype=torch.float32) -> torch.Tensor:
    return random_tensor(n, seed=seed, dtype=dtype).abs() + 0.5


SAVED_ITEM_CAUSES = {
    (0, True): "changing op's input in place does make backward() raise here: some node of op saved it, maybe not "
    "its last (op may be made of several operations)",
    (0, False): "backward() runs after op's input changes in place: no node of op saved it (a graph of its own for "
    "each question)",
    (1, True): "changing op's output in place does make backward() raise here: op's last node saved its output",
    (1, False): "backward() runs after op's output changes in place: no node saved it (a graph of its own for each "
    "question, and no change to the input left over from the first)",
}


@pytest.mark.exercise("autograd_graph.saved_by")
def test_saved_by(solution):
    xs = [torch.tensor([0.5, 1.0, 2.0]), positive(151, 4), positive(152, 3, torch.float64)]
    for index, op in enumerate(SAVERS):
        for x in xs[index % 3 : index % 3 + 1]:  # one each: what op saves depends on neither values nor dtype
            expected = (raises_after_change(op, x, False), raises_after_change(op, x, True))
            got = call_catching(
                solution,
                (op, x),
                "backward() raised it and your function let it through: catch the RuntimeError; that it raises "
                "is the answer True",
            )
            if not (isinstance(got, tuple) and len(got) == 2 and all(isinstance(v, bool) for v in got)):
                fail(f"{solution.call}: got {type(got).__name__} {short_repr(got)}, expected a tuple of two bools")
            if got != expected:
                whole = [
                    (expected[::-1], "(output_saved, input_saved): the tuple is (input_saved, output_saved)"),
                    (
                        one_graph_answer(op, x),
                        "both questions on one graph: the first change (or the first backward()) is still there "
                        "for the second; build a new graph for each",
                    ),
                    (
                        (False, False),
                        "nothing raised: change in place the very tensor op was given, or the one it returned (a "
                        "copy, or t = t + 1, has a version counter of its own), then run backward()",
                    ),
                ]
                cause = next((why for wrong, why in whole if got == wrong != expected), None)
                if cause is None:
                    index = 0 if got[0] != expected[0] else 1
                    cause = SAVED_ITEM_CAUSES[(index, expected[index])]
                fail(f"{solution.call}: expected {expected}, got {got}: {cause}")
            expect_inputs_untouched(solution)


# ---------------------------------------------------------------- second_pass
PASSES = [  # f, and its gradient summed: the slope of f(t).sum()
    (torch.square, lambda x: 2 * x),
    (torch.sin, torch.cos),
    (plus_one, torch.ones_like),
    (running_sum, lambda x: torch.arange(len(x), 0, -1, dtype=x.dtype)),
    (scaled, lambda x: torch.full_like(x, 3.0)),
    (torch.exp, torch.exp),
]


def second_pass_raises(f, x) -> bool:
    """Whether, on the torch that runs, a second pass through f's graph raises once the first freed it."""
    t = x.clone().requires_grad_()
    y = f(t).sum()
    y.backward()
    return raises_runtime_error(y.backward)


def first_pass_keeps(retain: bool) -> Mechanic:
    def problem(calls) -> str | None:
        first = next((call for call in calls if call.api == "backward"), None)
        if first is None or first.retain_graph == retain:
            return None
        return f"the first backward() ran with retain_graph={first.retain_graph}, not retain_graph={retain}"

    return Mechanic(problem)


@pytest.mark.exercise("autograd_graph.second_pass")
def test_second_pass(solution):
    xs = [torch.tensor([1.0, 2.0, -0.5]), random_tensor(4, seed=161, dtype=torch.float64)]
    for index, (f, slope) in enumerate(PASSES):
        for x in xs[index % 2 : index % 2 + 1]:
            freed = second_pass_raises(f, x)
            for retain in (True, False):
                raised = freed and not retain
                grad = slope(x) * (1 if raised else 2)
                got = call_catching(
                    solution,
                    (f, x, retain),
                    "the second pass raised and your function let it through: catch the RuntimeError and return "
                    "raised=True",
                )
                if not (isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], bool)):
                    fail(f"{solution.call}: got {short_repr(got)}, expected a tuple (t.grad, a Python bool)")
                if got[1] != raised:
                    cause = (
                        "the second pass does raise here: the first freed what the graph saved (retain_graph=False); "
                        "run it through the same graph, after a first pass with the given retain_graph"
                        if raised
                        else "the second pass runs here: retain_graph=True kept the graph, or it saved no tensor "
                        "that the first pass could free; report what happened, not what you expect"
                    )
                    fail(f"{solution.call}: expected raised={raised}, got {got[1]}: {cause}")
                expect_like(
                    got[0],
                    grad,
                    f"{solution.call}: t.grad",
                    likely={
                        ".grad zeroed between the passes: the second pass adds into what the first left": slope(x),
                        "twice the gradient though the second pass raised: a pass that raised added nothing": 2
                        * slope(x),
                    },
                )
                expect_inputs_untouched(solution)
                expect_made_by_autograd(solution, got, (grad, raised))
                for mechanic in (
                    passes(2, "run backward() twice through the one graph, catching the second's error", ("backward",)),
                    first_pass_keeps(retain),
                ):
                    mechanic.expect(solution)


# ---------------------------------------------------------------- near misses
def walker(**changes):
    return lambda y: walk(y, **changes)


def fills_by(decide):
    return lambda y, tensors: [bool(decide(t)) for t in tensors]


def walk_leaves(y) -> list[torch.Tensor]:
    found, stack, seen = [], [y.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if hasattr(node, "variable"):
            found.append(node.variable)
        stack.extend(child for child, _ in node.next_functions)
    return found


def fills_by_backward(y, tensors):
    y.backward(retain_graph=True)
    return [t.is_leaf and t.grad is not None for t in tensors]


def fills_by_grad(y, tensors):
    tracked = [t for t in tensors if t.requires_grad]
    grads = iter(torch.autograd.grad(y, tracked, allow_unused=True))
    return [t.requires_grad and next(grads) is not None and t.is_leaf for t in tensors]


def fills_as_tensor(y, tensors):
    reached = walk_leaves(y)
    return torch.tensor([any(t is v for v in reached) for t in tensors])


def bumps_on_caller(f, x):
    before = x._version
    f(x)
    return x._version - before


def bumps_by_values(f, x):
    t = x.clone()
    f(t)
    return int(not torch.equal(t, x))


def saved_by_experiment(change, one_graph=False, catch=True, swap=False):
    """A learner-style saved_by: `change(t, out)` returns the tensor it changed in place, or a copy it changed."""

    def raises(op, x, which):
        leaf = x.clone().requires_grad_()
        t = leaf.clone()
        out = op(t)
        change(t if which == "input" else out)
        if not catch:
            out.sum().backward()
            return False
        return raises_runtime_error(out.sum().backward)

    def solve(op, x):
        answer = one_graph_answer(op, x) if one_graph else (raises(op, x, "input"), raises(op, x, "output"))
        return answer[::-1] if swap else answer

    return solve


def saved_on_a_leaf(op, x):
    """Changes the leaf itself in place, outside torch.no_grad(): torch refuses before any backward()."""
    answers = []
    for which in ("input", "output"):
        t = x.clone().requires_grad_()
        out = op(t)
        (t if which == "input" else out).add_(1)
        answers.append(raises_runtime_error(out.sum().backward))
    return tuple(answers)


KNOWN_SAVES = {"sin": (True, False), "cos": (True, False), "exp": (False, True), "tanh": (False, True)}


def saved_from_a_table(op, x):
    return KNOWN_SAVES.get(getattr(op, "__name__", ""), (False, False))


def saved_by_last_node(op, x):
    """Reads what op's last node saved: an inner node's saved tensors go unseen."""
    node = op(x.clone().requires_grad_()).grad_fn
    return hasattr(node, "_saved_self"), hasattr(node, "_saved_result")


def passes_by(first_retain=None, zero_between=False, rebuild=False, catch=True, count_grad_if_raised=False):
    """A learner-style second_pass with one thing changed."""

    def solve(f, x, retain_graph):
        t = x.clone().requires_grad_()
        y = f(t).sum()
        y.backward(retain_graph=retain_graph if first_retain is None else first_retain)
        if zero_between:
            t.grad = None
        if rebuild:
            y = f(t).sum()
        if not catch:
            y.backward()
            return t.grad, False
        raised = raises_runtime_error(y.backward)
        return (2 * t.grad if raised and count_grad_if_raised else t.grad), raised

    return solve


def passes_guessed(f, x, retain_graph):
    t = x.clone().requires_grad_()
    y = f(t).sum()
    y.backward(retain_graph=retain_graph)
    if retain_graph:
        y.backward()
        return t.grad, False
    return t.grad, True


def passes_beside(f, x, retain_graph):
    """The right values by another route: one pass for the gradient, an experiment on another graph for raised."""
    t = x.clone().requires_grad_()
    f(t).sum().backward()
    probe = x.clone().requires_grad_()
    twin = f(probe).sum()
    twin.backward(retain_graph=retain_graph)
    raised = raises_runtime_error(twin.backward)
    return (t.grad if raised else 2 * t.grad), raised


def passes_by_grad(f, x, retain_graph):
    t = x.clone().requires_grad_()
    y = f(t).sum()
    torch.autograd.grad(y, t, retain_graph=retain_graph)
    return t.grad, raises_runtime_error(lambda: torch.autograd.grad(y, t))


graph_nodes_near_misses = rejects(
    test_graph_nodes,
    NearMiss("breadth-first", walker(order="breadth"), "breadth first"),
    NearMiss("post-order", walker(order="post"), "children listed before"),
    NearMiss("stack-reversed", walker(reverse=True), "last to first"),
    NearMiss("no-dedup", walker(dedup=None), "listed twice"),
    NearMiss("dedup-by-name", walker(dedup="name"), "told apart by their names"),
    NearMiss("node-name", walker(name=lambda node: node.name()), r"type\(node\).__name__"),
    NearMiss("keeps-none", walker(skip_none=False), "NoneType"),
    NearMiss("no-leaves", walker(leaves=False), "AccumulateGrad nodes are missing"),
    NearMiss("root-only", lambda y: [type(y.grad_fn).__name__], "only y.grad_fn"),
    NearMiss("the-example", lambda y: list(EXAMPLE_NODES), "docstring example's answer"),
    NearMiss("tuple", lambda y: tuple(walk(y)), "expected a list of Python str values"),
)
fills_grad_near_misses = rejects(
    test_fills_grad,
    NearMiss("requires-grad", fills_by(lambda t: t.requires_grad), "requires_grad alone"),
    NearMiss("leaf-and-requires-grad", fills_by(lambda t: t.is_leaf and t.requires_grad), "may not reach it"),
    NearMiss("one-level", one_level, "only y.grad_fn's own next_functions"),
    NearMiss("by-backward", fills_by_backward, r"\.grad None -> set"),
    NearMiss("by-autograd-grad", fills_by_grad, "autograd ran"),
    NearMiss("tensor", fills_as_tensor, "expected a list of Python bool values"),
)
version_bumps_near_misses = rejects(
    test_version_bumps,
    NearMiss("by-values", bumps_by_values, "equal values are no proof"),
    NearMiss("on-the-caller", bumps_on_caller, "changed the caller's x"),
    NearMiss("less-callers", lambda f, x: bumps_of(f, x) - x._version, "less x's own count"),
    NearMiss("tensor", lambda f, x: torch.tensor(bumps_of(f, x)), "expected an int"),
)
saved_by_near_misses = rejects(
    test_saved_by,
    NearMiss("uncaught", saved_by_experiment(lambda t: t.add_(1), catch=False), "catch the RuntimeError"),
    NearMiss("leaf-in-place", saved_on_a_leaf, "leaf that requires grad may not change in place"),
    NearMiss("changes-a-copy", saved_by_experiment(lambda t: t.clone().add_(1)), "nothing raised"),
    NearMiss("out-of-place", saved_by_experiment(lambda t: t + 1), "nothing raised"),
    NearMiss("swapped", saved_by_experiment(lambda t: t.add_(1), swap=True), "the tuple is"),
    NearMiss("one-graph", saved_by_experiment(None, one_graph=True), "one graph"),
    NearMiss("lookup-table", saved_from_a_table, "nothing raised|some node of op saved it"),
    NearMiss("last-node-only", saved_by_last_node, "some node of op saved it|last node saved|no node"),
)
second_pass_near_misses = rejects(
    test_second_pass,
    NearMiss("uncaught", passes_by(catch=False), "catch the RuntimeError"),
    NearMiss("guessed", passes_guessed, "ran 1 backward"),
    NearMiss("always-retained", passes_by(first_retain=True), "second pass does raise here"),
    NearMiss("rebuilt", passes_by(rebuild=True), "second pass does raise here"),
    NearMiss("zeroed-between", passes_by(zero_between=True), "zeroed between the passes"),
    NearMiss("doubled-when-raised", passes_by(count_grad_if_raised=True), "a pass that raised added nothing"),
    NearMiss("beside", passes_beside, "backward\\(\\) passes"),
    NearMiss("autograd-grad", passes_by_grad, "got None"),
)
