"""The course, in order: each module of exercises/ (mirrored by reference/), its exercises and their hints.

`pytest` runs the exercises in this order and `pytest --hint ID` prints the hints; a stub never shows them.
An entry is its hint, or {"hint": ..., "uses": [...]} for an exercise whose solution calls earlier ones:
while one of those is not solved, the later one's failure says so.
"""

COURSE: dict[str, dict[str, str | dict]] = {
    "derivatives": {
        "square": (
            "Make x a tensor that tracks gradients: torch.tensor(x, requires_grad=True). Build y = x ** 2, "
            "call y.backward(), and return x.grad."
        ),
        "quadratic": (
            "Same recipe as square: a leaf tensor with requires_grad=True, y built from it, y.backward(), "
            "then x.grad. Autograd differentiates every term of the sum for you."
        ),
        "cubic": "y = 2 * x ** 3 + x. After y.backward(), x.grad holds 6x² + 1.",
    },
    "partial_derivatives": {
        "lab_partials": (
            "Make both u and v leaf tensors with requires_grad=True. One f.backward() fills u.grad and v.grad; "
            "return them as a tuple (u.grad, v.grad)."
        ),
        "practice_du": (
            "Build f = u * v + (u * v) ** 2 from two tensors that require grad, call f.backward(), return u.grad."
        ),
        "practice_dv": "Same graph as practice_du; this time return v.grad.",
    },
    "many_values": {
        "square_at": (
            "backward() needs a scalar. y = x ** 2 has one value per point, so differentiate y.sum(): "
            "each point's term depends only on that point, so x.grad holds 2x everywhere. "
            "Clone the points first: x = x.clone().requires_grad_()."
        ),
        "relu_at": ("The same sum trick with torch.relu(x). Autograd defines ReLU's slope at exactly 0 as 0."),
        "mean_square_gradient": (
            "Differentiate torch.mean(x ** 2), not the sum: every point's share is divided by the number "
            "of points, so the gradient is 2x / n."
        ),
        "curve": (
            "Use the sum trick on f(x), then convert for plotting: .detach().numpy() turns each of x, "
            "f(x) and x.grad into a numpy array."
        ),
    },
    "activations": {
        "tanh_at": (
            "The sum trick from many_values, with torch.tanh in place of the square: clone the points, "
            "requires_grad_(), torch.tanh(x).sum().backward(), return x.grad."
        ),
        "softplus_at": (
            "The same recipe with torch.nn.functional.softplus. Autograd's answer should match torch.sigmoid(x): "
            "print both to see it."
        ),
        "leaky_relu_at": (
            "F.leaky_relu(x, negative_slope) takes the slope as its second argument; without it the default 0.01 "
            "is used. Then the sum trick as before."
        ),
        "gelu_at": (
            "torch.nn.functional.gelu(x) is the exact GELU; leave approximate at its default. Then the sum trick."
        ),
        "sigmoid_closed_form": ("No backward() here: compute s = torch.sigmoid(x) and return s * (1 - s)."),
        "closed_form_gap": (
            "Get f's slope at every point by the sum trick, then subtract derivative(...) evaluated at points "
            "that are not attached to the graph (x.detach(), or the x you were given)."
        ),
    },
    "chain_rule": {
        "sin_of_square_at": (
            "Write the composition as torch code, torch.sin(x ** 2), and use the sum trick: autograd applies the "
            "chain rule for you."
        ),
        "gaussian_at": "The sum trick on torch.exp(-x ** 2 / 2). Mind that the whole -x²/2 is the exponent.",
        "log_one_plus_exp_at": (
            "The sum trick on torch.log(1 + torch.exp(x)); autograd's answer equals torch.sigmoid(x)."
        ),
        "sin_of_square_parts": (
            "Keep u = x ** 2 in a variable and call u.retain_grad() before backward(): autograd then keeps "
            "u.grad (dy/du) besides x.grad (dy/dx)."
        ),
        "chain_parts": (
            "dy/du and dy/dx come from one backward() through outer(u) with u.retain_grad(), as before. du/dx "
            "needs its own pass: inner on a fresh copy of the points, its sum, backward()."
        ),
    },
    "gradient_mechanics": {
        "grad_after_k_backwards": (
            "Make the leaf once, then loop k times: build y = x ** 3 inside the loop and call y.backward(). "
            "Do not touch x.grad in between: autograd adds into it."
        ),
        "grads_per_step": (
            "In the loop over targets: first w.grad = None (or w.grad.zero_() once it exists), then backward() "
            "on (w - target) ** 2, then keep w.grad.clone(). torch.stack turns the list into one tensor."
        ),
        "backward_twice": (
            "The first y.backward(retain_graph=True) keeps the graph's saved values; the second y.backward() "
            "can then run and adds into x.grad."
        ),
        "no_grad_square": (
            "Compute x ** 2 inside a `with torch.no_grad():` block and return it; do not detach afterwards, "
            "and do not change x."
        ),
        "detached_product_grad": ("The sum trick on x * x.detach(): autograd treats the detached copy as a constant."),
        "leaf_parameter": (
            "A tensor made by an operation on a tensor that requires grad is no leaf. So compute values * scale "
            "while nothing requires grad yet, and only then switch tracking on with .requires_grad_()."
        ),
    },
    "higher_order": {
        "first_derivative": (
            "torch.autograd.grad(f(x).sum(), x) returns a tuple with one gradient per input; unpack it. "
            "Unlike backward(), it leaves every .grad alone."
        ),
        "second_derivative": (
            "The first grad call needs create_graph=True: only then is f'(x) itself built from x, so that "
            "a second torch.autograd.grad of f'(x).sum() can differentiate it."
        ),
        "nth_derivative": (
            "Build p(x) from the coefficients and differentiate in a loop with create_graph=True. Once a derivative "
            "no longer requires grad it is a constant, and every later derivative is torch.zeros_like(x)."
        ),
        "mixed_partial": (
            "Take ∂f/∂u with create_graph=True, then differentiate it with respect to v. When ∂f/∂u does not "
            "involve v, grad raises unless allow_unused=True, and then returns None for v: the answer is 0."
        ),
        "hessian_matrix": (
            "Row i of the Hessian is the gradient of ∂f/∂pᵢ: take the gradient with create_graph=True, then one "
            "grad per entry (retain_graph=True) and torch.stack the rows. Or call torch.autograd.functional.hessian."
        ),
    },
    "jacobians": {
        "gradient": (
            "f(x) is already a scalar, so no sum trick: a copy of x with requires_grad, f(x).backward(), "
            "then the copy's .grad."
        ),
        "vector_jacobian_product": (
            "backward() on a non-scalar y needs a weight per output: y.backward(gradient=v). "
            "The sum trick is the special case v = torch.ones_like(y)."
        ),
        "elementwise_jacobian": (
            "The sum trick gives f'(xᵢ) at every point in one pass; torch.diag turns that vector into "
            "the diagonal matrix."
        ),
        "jacobian_matrix": (
            "torch.autograd.functional.jacobian(f, x) returns the (m, n) matrix, one row per output. "
            "By hand: one torch.autograd.grad per output, with retain_graph=True, then torch.stack."
        ),
        "per_sample_gradients": (
            "Write the loss of ONE sample as a function of (w, x, y). torch.func.grad of it differentiates "
            "with respect to w; torch.func.vmap with in_dims=(None, 0, 0) shares w and maps over the rows."
        ),
    },
    "custom_functions": {
        "Cube": (
            "In forward, ctx.save_for_backward(x) and return x ** 3. In backward, (x,) = ctx.saved_tensors and "
            "return grad_output times the derivative: the chain rule, so never forget grad_output."
        ),
        "Multiply": (
            "Save both x and y. backward returns a tuple with one gradient per forward input, in order: "
            "each factor's gradient is grad_output times the other factor."
        ),
        "ClippedReLU": (
            "Save x, not the output. In backward, a mask such as (x > 0) & (x < 1) is True exactly where "
            "the slope is 1; multiplying grad_output by it zeroes the rest."
        ),
        "StraightThroughRound": (
            "forward is just torch.round(x); backward returns grad_output as it came, so nothing needs saving."
        ),
        "ClipGradient": (
            "A float is not a tensor: keep it as ctx.bound = bound. forward returns x.clone(); backward returns "
            "grad_output.clamp(-ctx.bound, ctx.bound) and None, the 'gradient' of bound."
        ),
    },
    "numerical": {
        "central_difference": (
            "No autograd here: call f twice, at x + h and at x - h, and divide the difference by 2 * h. "
            "Tensor arithmetic works on all the points at once."
        ),
        "numerical_gradient": (
            "Move one coordinate at a time: the rows of h * torch.eye(len(x), dtype=x.dtype) are the steps h·eᵢ. "
            "Each gives one central difference; torch.stack collects them. Never change x itself."
        ),
        "relative_error": {
            "hint": (
                "Get num from your central_difference and auto with the sum trick of many_values. Divide "
                "|num - auto| by |auto|.clamp(min=torch.finfo(x.dtype).tiny)."
            ),
            "uses": ["numerical.central_difference"],
        },
        "step_size": "torch.finfo(dtype).eps is the machine epsilon; raise it to the power 1 / 3.",
        "gradcheck_passes": (
            "torch.autograd.gradcheck(f, (x_that_requires_grad,), raise_exception=False) returns the verdict "
            "instead of raising. Its inputs go in a tuple, and at least one must require grad."
        ),
    },
    "gradients_at_work": {
        "descent_step": (
            "Get f'(x) as in derivatives.square, from ((x - 3) ** 2).backward(). Compute x - lr * x.grad "
            "inside torch.no_grad(), so that the new point is not part of the graph."
        ),
        "minimize": (
            "Keep one leaf x. In a loop: clear x.grad (x.grad = None), backward, return if |x.grad| < tol or "
            "max_steps steps are done, else update x in place under torch.no_grad() (x -= lr * x.grad)."
        ),
        "mse_gradients": (
            "Make w and b leaf tensors with dtype=x.dtype and requires_grad=True, build "
            "torch.mean((w * x + b - y) ** 2), call backward(), and return (w.grad, b.grad)."
        ),
        "sgd_step": (
            "Inside torch.no_grad(), p -= lr * p.grad changes the parameter itself; p = p - lr * p.grad would "
            "only rebind a name. Skip parameters whose .grad is None, and leave .grad alone."
        ),
        "fit_line": (
            "w and b start as torch.zeros((), dtype=x.dtype, requires_grad=True); torch.optim.SGD([w, b], lr=lr). "
            "Each step: optimizer.zero_grad(), loss, loss.backward(), optimizer.step(). zero_grad must not "
            "come between backward and step."
        ),
    },
    "autograd_graph": {
        "graph_nodes": (
            "A recursive visit(node): append type(node).__name__, then for each (child, _) in node.next_functions "
            "visit child, unless it is None or already in a `seen` set of nodes. Start with visit(y.grad_fn)."
        ),
        "fills_grad": (
            "Walk the graph as in graph_nodes and collect node.variable from the nodes that have one (the "
            "AccumulateGrad nodes). Then any(t is v for v in collected) per tensor: `in` would compare values."
        ),
        "version_bumps": "t = x.clone(); before = t._version; f(t); the answer is t._version - before.",
        "saved_by": (
            "For each question a new graph: leaf = x.clone().requires_grad_(), t = leaf.clone(), out = op(t). "
            "Then t.add_(1) (or out.add_(1)), and try out.sum().backward(); a RuntimeError means it was saved."
        ),
        "second_pass": (
            "t = x.clone().requires_grad_(), y = f(t).sum(), y.backward(retain_graph=retain_graph); then the "
            "second y.backward() inside try/except RuntimeError. Return t.grad and whether it raised."
        ),
    },
    "broadcasting": {
        "broadcast_grads": (
            "Make the leaves from a and b themselves (a.clone().requires_grad_()), not from expanded copies; "
            "backward() on (weights * (a * b)).sum(). Autograd sums each gradient back to its leaf's shape."
        ),
        "unbroadcast": (
            "lead = grad.dim() - len(shape): sum dims 0 … lead - 1 away, then sum (keepdim=True) the dims i "
            "where shape[i] == 1. Mind that x.sum(dim=()) sums everything: skip a sum with no dims."
        ),
        "gather_grad": (
            "torch.zeros_like(x).scatter_add(1, index, weights): each weight goes back to the entry it was "
            "gathered from, and scatter_add adds where an index repeats (scatter would overwrite)."
        ),
        "cumsum_grad": (
            "Sum the weights from each place to the end: weights.flip(dim).cumsum(dim).flip(dim). "
            "Check with weights [1, 2, 3]: x₀ feeds all three outputs, x₂ only the last."
        ),
        "matmul_grads": (
            "g @ b.mT for ∂L/∂A, a.mT @ g for ∂L/∂B (.mT transposes the last two dims). With a batch of A, "
            "a.mT @ g has a batch dim too: sum it away with .sum(dim=0), as B is shared by the whole batch."
        ),
    },
    "modules_and_parameters": {
        "linear_gradients": (
            "layer = torch.nn.Linear(in, out, dtype=weight.dtype), then under torch.no_grad() copy weight and bias in "
            "(layer.weight.copy_(weight)). Call backward() on ((layer(x) - target) ** 2).mean() and return "
            "(layer.weight.grad, layer.bias.grad)."
        ),
        "frozen_body_step": (
            "model.body.requires_grad_(False) comes first. Then optimizer = torch.optim.SGD(model.parameters(), "
            "lr=lr), the loss, loss.backward(), optimizer.step(): SGD skips the body, whose .grad stays None."
        ),
        "zero_grad_steps": (
            "Make one torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9) for both steps. Each step: "
            "optimizer.zero_grad(set_to_none=set_to_none), its loss, backward(), optimizer.step(). Step 2's loss is "
            "(model.body(x) ** 2).mean()."
        ),
        "accumulated_gradients": (
            "Leaf copies of weight and bias (weight.clone().requires_grad_()). Loop over start in range(0, len(x), "
            "micro_batch): rows = x[start:start + micro_batch], its mean loss times len(rows) / len(x), backward(). "
            "Never zero in between; return both .grad."
        ),
        "two_group_sgd": (
            'torch.optim.SGD takes a list of dicts, one per parameter group: [{"params": model.body.parameters(), '
            '"lr": body_lr}, {"params": model.head.parameters(), "lr": head_lr}]. A key a group leaves out '
            "takes the optimizer's default."
        ),
    },
    "hooks": {
        "intermediate_grad": (
            "x = x.clone().requires_grad_(), u = x ** 2, then u.register_hook(saved.append) for a list saved: "
            "autograd hands the hook dy/du. One backward() of (torch.sin(u) + u * x).sum(); return (saved[0], x.grad)."
        ),
        "reversed_gradient": (
            "h = torch.sin(x) and r = h.clone(); r.register_hook(lambda grad: -lam * grad). What a hook returns "
            "replaces the gradient flowing on from r to h. Then backward() on (h ** 2).sum() + r.sum()."
        ),
        "clipped_passes": (
            "handle = w.register_hook(lambda grad: grad.clamp(-bound, bound)), then one backward() per row of xs, "
            "never zeroing in between; handle.remove() before you return w.grad."
        ),
        "sgd_hooks": (
            "Write def step(p): under torch.no_grad(), p -= lr * p.grad; then p.grad = None. Register it on each "
            "parameter with p.register_post_accumulate_grad_hook(step) and return the list of handles it gives."
        ),
        "backward_hook_grads": (
            "The hook is def hook(module, grad_input, grad_output), keeping (grad_input[0], grad_output[0]). "
            "handle = layer.register_full_backward_hook(hook) before layer(x.clone().requires_grad_()); backward(); "
            "handle.remove()."
        ),
    },
    "debugging_gradients": {
        "xlogx_gradient": (
            "Clone x and requires_grad_(). Make the input safe first, safe = torch.where(x > 0, x, 1.0), then "
            "build f = torch.where(x > 0, safe * torch.log(safe), 0.0): log never sees a bad point, so its backward "
            "makes no NaN. Then the sum trick: f.sum().backward(), and return x.grad."
        ),
        "safe_norm": (
            "torch.linalg.vector_norm(v, dim=1) defines the gradient at a zero row as 0. By hand: s = (v ** 2).sum(1), "
            "then a second where gives √ a safe 1 at the zero rows: torch.where(s > 0, torch.sqrt(torch.where(s > 0, "
            "s, 1.0)), 0.0). Return it as it is: no backward(), no detach()."
        ),
        "inplace_culprit": (
            "x = x.detach().requires_grad_(). Inside `with warnings.catch_warnings(record=True) as caught:` call "
            "warnings.simplefilter('always'), and inside `with torch.autograd.detect_anomaly():` run f(x).backward() "
            "in a try / except RuntimeError. Then re.search(r'Error detected in (\\w+)', str(w.message)) for each "
            "w in caught."
        ),
        "stage_gradient_norms": (
            "Keep each stage's input in a list, starting with a copy of x that requires grad; the loss is the sum of "
            "the last stage's output. One torch.autograd.grad(loss, inputs) returns all their gradients (or call "
            "retain_grad() on each, then backward() once); torch.linalg.vector_norm of each, then torch.stack."
        ),
        "clipped_sgd_step": (
            "loss_fn(*params).backward(); total = torch.nn.utils.clip_grad_norm_(params, max_norm); then inside "
            "torch.no_grad(), p -= lr * p.grad for each p; return total."
        ),
    },
    "forward_mode": {
        "value_and_derivative": (
            "with torch.autograd.forward_ad.dual_level(): make dual = make_dual(x, torch.ones_like(x)), call f(dual) "
            "once, and out = unpack_dual(f(dual)) while still inside the block; return (out.primal, out.tangent)."
        ),
        "directional_derivative": (
            "torch.func.jvp(f, (x,), (v,)) returns a pair (f(x), J v): its second item is the answer. Primals and "
            "tangents go in tuples, one item per argument of f."
        ),
        "jacobian_by_columns": (
            "basis = torch.eye(len(x), dtype=x.dtype). For each j, torch.func.jvp(f, (x,), (basis[j],))[1] is "
            "column j. torch.stack(columns, dim=1) sets them side by side into the (m, n) matrix."
        ),
        "cheaper_jacobian": (
            "n = len(x) and m = len(f(x)). If n < m, torch.func.jacfwd(f)(x) (n passes), else "
            "torch.func.jacrev(f)(x) (m passes). Both return the (m, n) Jacobian."
        ),
        "hessian_vector_product": (
            "torch.func.grad(f) is a function returning ∇f; torch.func.jvp of that function at x with tangent v "
            "returns (∇f(x), H v). Take the second item."
        ),
    },
    "autograd_engine": {
        "Value": (
            "Each operation returns a new node, Value(result, (self, other), op), and changes nothing in self. Wrap a "
            "number first: other = other if isinstance(other, Value) else Value(other). math.tanh for tanh; relu is "
            "self.data if self.data > 0 else 0.0; ** passes n on as the exponent."
        ),
        "local_grads": (
            "Branch on node.op and read the children's data. For '*' each operand's derivative is the other one's "
            "data; tanh' is 1 - node.data ** 2, as node.data already is tanh(a); relu' is 1.0 only where a.data > 0; "
            "'**' gives n * a.data ** (n - 1) with n = node.exponent; a leaf gives ()."
        ),
        "topological_order": (
            "Depth-first with a stack of (node, children_done) pairs, starting from [(root, False)]. Pop one: if "
            "children_done, append the node to the order; else, if it is not visited yet, mark it, push "
            "(node, True), then (child, False) for each child. A node is appended only after all its children."
        ),
        "backward": {
            "hint": (
                "order = topological_order(root); set every node's grad to 0.0, then root.grad = 1.0; for node in "
                "reversed(order): for child, local in zip(node.children, local_grads(node)): "
                "child.grad += local * node.grad."
            ),
            "uses": ["autograd_engine.local_grads", "autograd_engine.topological_order"],
        },
        "gradients": {
            "hint": (
                "leaves = [Value(x) for x in xs]; out = f(*leaves); backward(out); then return [leaf.grad for leaf "
                "in leaves]. f runs once, on your Values: the engine does the rest."
            ),
            "uses": [
                "autograd_engine.Value",
                "autograd_engine.local_grads",
                "autograd_engine.topological_order",
                "autograd_engine.backward",
            ],
        },
    },
}
