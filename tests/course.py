"""The course, in order: each module of exercises/ (mirrored by reference/), its exercises and their hints.

`pytest` runs the exercises in this order and `pytest --hint ID` prints the hints; a stub never shows them.
"""

COURSE: dict[str, dict[str, str]] = {
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
            "Build f = u * v + (u * v) ** 2 from two tensors that require grad, call f.backward(), "
            "return u.grad."
        ),
        "practice_dv": "Same graph as practice_du; this time return v.grad.",
    },
    "many_values": {
        "square_at": (
            "backward() needs a scalar. y = x ** 2 has one value per point, so differentiate y.sum(): "
            "each point's term depends only on that point, so x.grad holds 2x everywhere. "
            "Clone the points first: x = x.clone().requires_grad_()."
        ),
        "relu_at": (
            "The same sum trick with torch.relu(x). Autograd defines ReLU's slope at exactly 0 as 0."
        ),
        "mean_square_gradient": (
            "Differentiate torch.mean(x ** 2), not the sum: every point's share is divided by the number "
            "of points, so the gradient is 2x / n."
        ),
        "curve": (
            "Use the sum trick on f(x), then convert for plotting: .detach().numpy() turns each of x, "
            "f(x) and x.grad into a numpy array."
        ),
    },
    "activations": {},  # PLACEHOLDER: replaced by this module's exercises
    "chain_rule": {},  # PLACEHOLDER: replaced by this module's exercises
    "gradient_mechanics": {},  # PLACEHOLDER: replaced by this module's exercises
    "higher_order": {},  # PLACEHOLDER: replaced by this module's exercises
    "jacobians": {},  # PLACEHOLDER: replaced by this module's exercises
    "custom_functions": {},  # PLACEHOLDER: replaced by this module's exercises
    "numerical": {},  # PLACEHOLDER: replaced by this module's exercises
    "gradients_at_work": {},  # PLACEHOLDER: replaced by this module's exercises
}
