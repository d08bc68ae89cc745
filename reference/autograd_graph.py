"""Autograd graph: grad_fn and next_functions, leaves, the version counter, and what backward() frees.

Each operation on a tensor that requires grad records a node: y.grad_fn made y (ExpBackward0 for torch.exp), and
node.next_functions holds a (node, index) pair per input: None for an input that needs no gradient, an
AccumulateGrad node for a leaf that requires grad (its .variable is that leaf, whose .grad backward() fills). A
result requires grad when any input does, and is then no leaf.

A node saves what its backward formula needs: sin its input, exp its output. Every tensor counts its in-place
changes in t._version; if a saved tensor's version has moved on, backward() raises. backward() then frees what
was saved: a second pass that needs it raises, unless the first passed retain_graph=True.

By hand
-------
y = exp(a · c), a a leaf that requires grad, c a constant. The nodes: ExpBackward0, whose input a · c comes from
MulBackward0, whose inputs are a (AccumulateGrad) and c (None). ExpBackward0 saved y at version 0; after
y.add_(1) it is at version 1, and y.backward() raises: exp's derivative needs y as it was.

In torch
--------
>>> import torch
>>> a = torch.tensor(2.0, requires_grad=True)
>>> y = torch.exp(a * torch.tensor(3.0))
>>> mul = y.grad_fn.next_functions[0][0]
>>> type(y.grad_fn).__name__, [None if n is None else type(n).__name__ for n, _ in mul.next_functions]
('ExpBackward0', ['AccumulateGrad', None])
>>> mul.next_functions[0][0].variable is a, y.is_leaf
(True, False)
>>> u = a * 3
>>> v = u**2
>>> u.add_(1)._version
1
>>> try:
...     v.backward()
... except RuntimeError as error:
...     print("modified by an inplace operation" in str(error))
True
>>> z = torch.exp(a)
>>> z.backward()
>>> try:
...     z.backward()
... except RuntimeError as error:
...     print("a second time" in str(error))
True

Traps the tests catch
---------------------
- graph_nodes: node.name() says 'torch::autograd::AccumulateGrad'; None is no node; a node two paths reach is
  listed once, yet two leaves' nodes are two; depth first, next_functions in order.
- fills_grad: requires_grad alone (a tensor unused, used detached, or no leaf); one level of next_functions; a
  backward() to find out fills the caller's .grad.
- version_bumps: equal values prove nothing (add_(0)); .detach() and views share the counter, .data does not.
- saved_by: a leaf that requires grad refuses in-place changes; a copy has a counter of its own; one graph per
  question.
- second_pass: a caught error leaves the first pass's .grad; a graph that saved nothing runs twice.

Read more
---------
https://pytorch.org/docs/stable/notes/autograd.html
https://pytorch.org/docs/stable/autograd.html#in-place-correctness-checks
https://pytorch.org/docs/stable/generated/torch.Tensor.backward.html
"""

import torch


def graph_nodes(y: torch.Tensor) -> list[str]:
    """The class names of the nodes of y's graph, depth first from y.grad_fn, each node once.

    Visit a node: list type(node).__name__, then visit each node of node.next_functions in order (a tuple of
    (node, index) pairs; skip the pairs (None, 0), inputs that need no gradient), unless it was listed already: a
    node that two paths reach (the very same object, `is`) is listed where it is first reached. Two leaves have two
    AccumulateGrad nodes, both listed.
    y: a tensor with a grad_fn (not a leaf), built by the caller; it stays as it is.
    Returns: a list of str, y.grad_fn's class name first.

    Example: with a = torch.tensor(1.0, requires_grad=True) and b = torch.tensor(2.0, requires_grad=True),
      graph_nodes(torch.sin(a * b) + torch.exp(a))
      -> ['AddBackward0', 'SinBackward0', 'MulBackward0', 'AccumulateGrad', 'AccumulateGrad', 'ExpBackward0']
    """
    names: list[str] = []
    seen = set()  # the nodes themselves: their ids could be reused once a node's Python object is gone

    def visit(node) -> None:
        seen.add(node)
        names.append(type(node).__name__)
        for child, _ in node.next_functions:
            if child is not None and child not in seen:
                visit(child)

    visit(y.grad_fn)
    return names


def fills_grad(y: torch.Tensor, tensors: list[torch.Tensor]) -> list[bool]:
    """Which of tensors y.backward() would fill the .grad of, found by reading y's graph, without running backward().

    backward() fills the .grad of the leaves that require grad and that y's graph reaches: each has an
    AccumulateGrad node in the graph, whose .variable is that very tensor. A tensor that y does not use, or uses
    only detached, is not in the graph; one made by an operation (no leaf) gets no .grad, even where the graph
    goes through it.
    y: a 0-dim tensor with a grad_fn, built by the caller from some of tensors.
    tensors: a list of float tensors, leaves or not, requiring grad or not; none had retain_grad() called.
    Returns: a list of bool, one per tensor, True where y.backward() would fill its .grad. No autograd call may
      run: every .grad stays as it is.

    Example: with a = torch.ones(2, requires_grad=True), b = torch.ones(2, requires_grad=True), c = torch.ones(2)
      and m = a * 2: fills_grad((m * c).sum(), [a, b, c, m]) -> [True, False, False, False]
    """
    reached: list[torch.Tensor] = []
    seen = set()
    stack = [y.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if hasattr(node, "variable"):
            reached.append(node.variable)
        stack.extend(child for child, _ in node.next_functions)
    return [any(t is leaf for leaf in reached) for t in tensors]


def version_bumps(f, x: torch.Tensor) -> int:
    """How many times f bumps the version counter of the tensor it is given: t._version after f(t), less before.

    Every in-place operation (add_, t[i] = …, out=t, or one through a view or a .detach() of t, which share t's
    counter) adds 1 to t._version, whether or not the values change. An out-of-place one (t = t + 1 inside f)
    makes a new tensor and leaves t's counter alone, and so does a change through t.data, which autograd does not
    see. Call f on a copy of x: x stays unchanged.
    f: a function of one tensor that may change it in place; what it returns does not matter.
    x: a 1-D float tensor that does not require grad; its own counter may be above 0.
    Returns: an int >= 0.

    Example: version_bumps(lambda t: t.mul_(2).add_(1), torch.ones(3)) -> 2
    """
    t = x.clone()
    before = t._version
    f(t)
    return t._version - before


def saved_by(op, x: torch.Tensor) -> tuple[bool, bool]:
    """Whether op's backward needs its input, and whether it needs its output, kept as autograd saved them.

    For t a leaf copy of x that requires grad and out = op(t): input_saved is whether changing t in place (t.add_(1),
    say) after the forward makes out.sum().backward() raise RuntimeError ("... modified by an inplace
    operation"); output_saved is the same for changing out in place. Each question on a graph of its own. (A leaf
    that requires grad may change in place only inside torch.no_grad(); a non-leaf copy of it, leaf.clone(), may
    anywhere.)
    op: a function of one tensor, built of differentiable torch operations, none of them in place; it returns a new
      tensor (not t or a view of it) of its input's shape.
    x: a 1-D float tensor of positive values that does not require grad; it stays unchanged.
    Returns: a tuple (input_saved, output_saved) of two bools.

    Example: saved_by(torch.sin, torch.tensor([0.5, 1.0])) -> (True, False); sin's derivative is cos of its input.
      saved_by(torch.exp, torch.tensor([0.5, 1.0])) -> (False, True); exp's derivative is its output.
    """

    def raises(change_output: bool) -> bool:
        t = x.clone().requires_grad_().clone()  # no leaf, so that it may change in place
        out = op(t)
        (out if change_output else t).add_(1)
        try:
            out.sum().backward()
        except RuntimeError:
            return True
        return False

    return raises(False), raises(True)


def second_pass(f, x: torch.Tensor, retain_graph: bool) -> tuple[torch.Tensor, bool]:
    """Two backward() passes through one graph of y = f(t).sum(): t.grad afterwards, and whether the second raised.

    t is a leaf copy of x that requires grad, and y is built once.
    The first y.backward(retain_graph=retain_graph) frees the tensors the graph saved unless retain_graph is
    True; a second y.backward() that needs one raises RuntimeError ("Trying to backward through the graph a
    second time"). Catch it: .grad keeps what the first pass put there. A graph that saved no tensor, such as
    that of (t + 1).sum(), can be gone through again, and then .grad holds both passes.
    f: a function from a tensor to one of the same shape, built of differentiable torch operations.
    x: a 1-D float tensor that does not require grad; it stays unchanged.
    retain_graph: what the first pass passes as retain_graph.
    Returns: a tuple (t.grad, raised): t.grad a tensor of x's shape and dtype, 2 · dy/dt where the second pass
      ran and dy/dt where it raised; raised a bool.

    Example: second_pass(torch.square, torch.tensor([1.0, 2.0]), False) -> (tensor([2., 4.]), True)
      second_pass(torch.square, torch.tensor([1.0, 2.0]), True) -> (tensor([4., 8.]), False)
    """
    t = x.clone().requires_grad_()
    y = f(t).sum()
    y.backward(retain_graph=retain_graph)
    try:
        y.backward()
    except RuntimeError:
        return t.grad, True
    return t.grad, False
