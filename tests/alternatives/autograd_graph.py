"""Alternative solutions for exercises/autograd_graph.py, written from the docstrings alone."""

import collections
import contextlib
import copy

import torch

# --------------------------------------------------------------------------------------------------------------------
# graph_nodes: depth first (pre-order) from y.grad_fn, next_functions in order, each node (by `is`) once.
# --------------------------------------------------------------------------------------------------------------------


def graph_nodes__node_stack(y: torch.Tensor) -> list[str]:
    """Explicit stack of nodes; a node is marked when popped, children pushed in reverse so the first pops first."""
    names: list[str] = []
    seen: dict[int, object] = {}  # id -> node; holding the node keeps its Python wrapper (and so its id) alive
    stack = [y.grad_fn]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen[id(node)] = node
        names.append(type(node).__name__)
        children = [child for child, _ in node.next_functions if child is not None]
        stack.extend(reversed(children))
    return names


def graph_nodes__iterator_stack(y: torch.Tensor) -> list[str]:
    """A stack of iterators over next_functions: the recursion's call stack made explicit; marked when first reached."""
    root = y.grad_fn
    names = [type(root).__name__]
    visited = [root]  # compared with `is`, never with ==
    stack = [iter(root.next_functions)]
    while stack:
        for child, _ in stack[-1]:
            if child is None or any(child is node for node in visited):
                continue
            visited.append(child)
            names.append(type(child).__name__)
            stack.append(iter(child.next_functions))
            break
        else:
            stack.pop()
    return names


def graph_nodes__recursive_generator(y: torch.Tensor) -> list[str]:
    """A recursive generator yielding nodes in pre-order; a set of ids (nodes held in a list) marks the visited."""
    keep: list[object] = []
    ids: set[int] = set()

    def walk(node):
        if node is None or id(node) in ids:
            return
        ids.add(id(node))
        keep.append(node)
        yield node
        for child, _ in node.next_functions:
            yield from walk(child)

    return [type(node).__name__ for node in walk(y.grad_fn)]


# --------------------------------------------------------------------------------------------------------------------
# fills_grad: which tensors are the .variable of an AccumulateGrad node of y's graph, without any autograd call.
# --------------------------------------------------------------------------------------------------------------------


def _all_nodes_bfs(root) -> list:
    """Every node reachable from root through next_functions, each once (breadth first, by identity)."""
    nodes = [root]
    ids = {id(root)}
    queue = collections.deque([root])
    while queue:
        node = queue.popleft()
        for child, _ in node.next_functions:
            if child is not None and id(child) not in ids:
                ids.add(id(child))
                nodes.append(child)
                queue.append(child)
    return nodes


def fills_grad__bfs_variables(y: torch.Tensor, tensors: list[torch.Tensor]) -> list[bool]:
    """Breadth-first walk; collect the .variable of each node that has one (AccumulateGrad); compare with `is`."""
    variables = [node.variable for node in _all_nodes_bfs(y.grad_fn) if hasattr(node, "variable")]
    return [any(v is t for v in variables) for t in tensors]


def fills_grad__accumulator_identity(y: torch.Tensor, tensors: list[torch.Tensor]) -> list[bool]:
    """Find each leaf's own AccumulateGrad node (through a throwaway view, no backward) and look for it in the graph.

    A leaf that requires grad has one AccumulateGrad node while anything holds it; y's graph holds it if it uses the
    leaf, so the view's next_functions reach that very node. Nothing is run backward, so no .grad changes.
    """
    graph = _all_nodes_bfs(y.grad_fn)
    result = []
    for t in tensors:
        if not (t.is_leaf and t.requires_grad):
            result.append(False)
            continue
        with torch.enable_grad():
            accumulator = t.view_as(t).grad_fn.next_functions[0][0]
        result.append(any(node is accumulator for node in graph))
    return result


def fills_grad__dfs_by_name(y: torch.Tensor, tensors: list[torch.Tensor]) -> list[bool]:
    """Depth-first walk with a stack; AccumulateGrad nodes recognised by class name; leaves' ids in a set."""
    leaf_ids: set[int] = set()
    held = []
    seen: set[int] = set()
    stack = [y.grad_fn]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        held.append(node)
        if type(node).__name__ == "AccumulateGrad":
            leaf_ids.add(id(node.variable))
        stack.extend(child for child, _ in node.next_functions if child is not None)
    return [id(t) in leaf_ids for t in tensors]


# --------------------------------------------------------------------------------------------------------------------
# version_bumps: t._version after f(t) less before, t a copy of x.
# --------------------------------------------------------------------------------------------------------------------


def version_bumps__empty_like_copy(f, x: torch.Tensor) -> int:
    """Copy into fresh storage with copy_ (which itself bumps the new tensor once), then measure around f."""
    t = torch.empty_like(x).copy_(x)
    before = t._version
    f(t)
    return t._version - before


def version_bumps__from_list(f, x: torch.Tensor) -> int:
    """Rebuild the copy from Python numbers: a new tensor with a counter of its own."""
    t = torch.tensor(x.tolist(), dtype=x.dtype, device=x.device)
    before = t._version
    f(t)
    return int(t._version - before)


def version_bumps__deepcopy(f, x: torch.Tensor) -> int:
    """copy.deepcopy of x; its counter may start above 0, hence the difference."""
    t = copy.deepcopy(x)
    before = t._version
    f(t)
    return t._version - before


# --------------------------------------------------------------------------------------------------------------------
# saved_by: does an in-place change of the input / the output after the forward make backward raise?
# --------------------------------------------------------------------------------------------------------------------


def saved_by__leaf_no_grad(op, x: torch.Tensor) -> tuple[bool, bool]:
    """Leaf copies that require grad; the in-place changes made under torch.no_grad(); then backward()."""

    def raises(change_output: bool) -> bool:
        leaf = x.detach().clone().requires_grad_(True)
        out = op(leaf)
        with torch.no_grad():
            (out if change_output else leaf).add_(1)
        try:
            out.sum().backward()
        except RuntimeError:
            return True
        return False

    return raises(False), raises(True)


def saved_by__clone_autograd_grad(op, x: torch.Tensor) -> tuple[bool, bool]:
    """A non-leaf clone as op's input, changed in place in grad mode; torch.autograd.grad to the leaf behind it."""
    answers = []
    for change_output in (False, True):
        leaf = torch.tensor(x.tolist(), dtype=x.dtype, device=x.device, requires_grad=True)
        t = leaf.clone()
        out = op(t)
        (out if change_output else t).mul_(1.5)
        try:
            torch.autograd.grad(out.sum(), leaf)
            answers.append(False)
        except RuntimeError:
            answers.append(True)
    return answers[0], answers[1]


def saved_by__pack_hook_versions(op, x: torch.Tensor) -> tuple[bool, bool]:
    """Record every tensor autograd saves (and its version) with saved_tensors_hooks; change t or out in place;
    a saved tensor whose version moved is what backward's check would refuse. No backward is run."""

    def moved(change_output: bool) -> bool:
        records = []

        def pack(tensor):
            records.append((tensor, tensor._version))
            return tensor

        leaf = x.clone().requires_grad_(True)
        t = leaf * 1.0  # a non-leaf that requires grad, so it may change in place
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
            out = op(t)
        with torch.no_grad():
            (out if change_output else t).add_(1)
        return any(tensor._version != version for tensor, version in records)

    return moved(False), moved(True)


# --------------------------------------------------------------------------------------------------------------------
# second_pass: two backward passes through one graph; t.grad afterwards and whether the second raised.
# --------------------------------------------------------------------------------------------------------------------


def second_pass__functional_backward(f, x: torch.Tensor, retain_graph: bool) -> tuple[torch.Tensor, bool]:
    """torch.autograd.backward(y, ...) instead of the method; the leaf made by detach().clone()."""
    t = x.detach().clone().requires_grad_(True)
    y = f(t).sum()
    torch.autograd.backward(y, retain_graph=retain_graph)
    raised = False
    try:
        torch.autograd.backward(y)
    except RuntimeError:
        raised = True
    return t.grad, raised


def second_pass__explicit_gradient(f, x: torch.Tensor, retain_graph: bool) -> tuple[torch.Tensor, bool]:
    """y.backward(gradient=1) spelled out; the leaf built from Python numbers with requires_grad=True."""
    t = torch.tensor(x.tolist(), dtype=x.dtype, device=x.device, requires_grad=True)
    y = f(t).sum()
    one = torch.ones_like(y)
    y.backward(gradient=one, retain_graph=retain_graph)
    try:
        y.backward(gradient=one)
    except RuntimeError:
        return t.grad, True
    return t.grad, False


def second_pass__suppress_flag(f, x: torch.Tensor, retain_graph: bool) -> tuple[torch.Tensor, bool]:
    """contextlib.suppress around the second pass, a flag set only if it finished; leaf from empty_like + copy_."""
    t = torch.empty_like(x).copy_(x).requires_grad_(True)
    y = f(t).sum()
    y.backward(retain_graph=retain_graph)
    finished = False
    with contextlib.suppress(RuntimeError):
        y.backward()
        finished = True
    return t.grad, not finished


ALTERNATIVES = {
    "graph_nodes": [
        ("node-stack", graph_nodes__node_stack),
        ("iterator-stack", graph_nodes__iterator_stack),
        ("recursive-generator", graph_nodes__recursive_generator),
    ],
    "fills_grad": [
        ("bfs-variables", fills_grad__bfs_variables),
        ("accumulator-identity", fills_grad__accumulator_identity),
        ("dfs-by-name", fills_grad__dfs_by_name),
    ],
    "version_bumps": [
        ("empty-like-copy", version_bumps__empty_like_copy),
        ("from-list", version_bumps__from_list),
        ("deepcopy", version_bumps__deepcopy),
    ],
    "saved_by": [
        ("leaf-no-grad", saved_by__leaf_no_grad),
        ("clone-autograd-grad", saved_by__clone_autograd_grad),
        ("pack-hook-versions", saved_by__pack_hook_versions),
    ],
    "second_pass": [
        ("functional-backward", second_pass__functional_backward),
        ("explicit-gradient", second_pass__explicit_gradient),
        ("suppress-flag", second_pass__suppress_flag),
    ],
}
