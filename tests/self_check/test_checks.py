"""The checks themselves: every kind of bad return fails with its one-line cause, never a crash in the checker."""

import numpy as np
import pytest
import torch

from tests.kata.checks import expect_like
from tests.kata.solution import Solution

EXPECTED = torch.tensor([1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("got", "cause"),
    [
        (None, "got None: .grad stays None until backward"),
        (2.0, "got float 2.0, expected a torch.Tensor"),
        ([1.0, 2.0, 3.0], "got list"),
        (np.array([1.0, 2.0, 3.0], dtype=np.float32), "got ndarray"),
        (EXPECTED.unsqueeze(1), r"expected shape \[3\], got \[3, 1\]"),
        (EXPECTED.double(), "expected dtype torch.float32, got torch.float64"),
        (torch.tensor([1.0, float("nan"), 3.0]), "got NaN"),
        (EXPECTED.clone().requires_grad_(), "still attached to the graph"),
        (2 * EXPECTED, "twice the answer"),
        (-EXPECTED, "sign is flipped"),
        (EXPECTED + 1, r"expected tensor\(\[1.0, 2.0, 3.0\]\), got tensor\(\[2.0, 3.0, 4.0\]\)"),
    ],
    ids=[
        "none",
        "float",
        "list",
        "numpy",
        "broadcastable-shape",
        "dtype",
        "nan",
        "attached",
        "doubled",
        "negated",
        "off",
    ],
)
def test_bad_returns_fail_with_their_cause(got, cause):
    with pytest.raises(pytest.fail.Exception, match=cause):
        expect_like(got, EXPECTED, "f(x)")


def test_tuples_and_numpy_results_are_checked_item_by_item():
    with pytest.raises(pytest.fail.Exception, match="expected a tuple of 2 values"):
        expect_like(EXPECTED, (EXPECTED, EXPECTED), "f(x)")
    with pytest.raises(pytest.fail.Exception, match=r"f\(x\)\[1\]: got a torch.Tensor, expected a numpy array"):
        expect_like((EXPECTED.numpy(), EXPECTED), (EXPECTED.numpy(), EXPECTED.numpy()), "f(x)")
    expect_like((EXPECTED.numpy(), EXPECTED.clone()), (EXPECTED.numpy(), EXPECTED), "f(x)")


def test_solution_notices_autograd_and_restores_global_state():
    def by_autograd(x):
        x = torch.tensor(x, requires_grad=True)
        (x**2).backward()
        return x.grad

    def leaves_grad_off(x):
        torch.set_grad_enabled(False)
        return torch.tensor(2 * x)

    solution = Solution(by_autograd)
    solution(1.0)
    assert [call.api for call in solution.autograd] == ["backward"] and solution.call == "by_autograd(1.0)"
    with pytest.raises(pytest.fail.Exception, match=r"changed global torch state .*grad mode True -> False"):
        Solution(leaves_grad_off)(1.0)
    assert torch.is_grad_enabled()
