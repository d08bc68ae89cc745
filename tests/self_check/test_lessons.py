"""Every module opens with a lesson that has its parts, and the lesson's torch snippet runs as it says.

A lesson is the module docstring of exercises/<module>.py (the same in reference/): a first line that says what the
module teaches, the idea in plain words, then the headed parts By hand, In torch (a doctest), Traps the tests catch
and Read more (links to the PyTorch docs). The README's "Adding an exercise" shows the format.
"""

import doctest
import re
import warnings

import pytest

from tests.course import COURSE
from tests.kata.course import LESSON_PARTS, lesson, parts
from tests.kata.plugin import KATA
from tests.kata.solution import TORCH_OWN

DOCS = re.compile(r"https://(?:docs\.)?pytorch\.org/docs/\S+")


@pytest.mark.parametrize("module", COURSE)
def test_each_lesson_has_its_parts_in_order(module: str, request) -> None:
    package = request.config.stash[KATA].package
    text = lesson(module, package)
    found = parts(text)
    where = f"{package}/{module}.py's module docstring"
    assert list(found)[1:] == list(LESSON_PARTS), (
        f"{where}: its headings are {list(found)[1:]}; a lesson has {list(LESSON_PARTS)}, in that order, each "
        "underlined with dashes"
    )
    first, _, idea = found[""].partition("\n")
    assert first.strip() and idea.strip(), f"{where}: a first line that says what it teaches, then the idea"
    assert ">>> " in found["In torch"], f"{where}: In torch needs a doctest (>>> lines with their output)"
    assert found["Traps the tests catch"].lstrip().startswith("- "), f"{where}: the traps are a list of '- ' items"
    assert DOCS.search(found["Read more"]), (
        f"{where}: Read more links to the PyTorch docs (https://pytorch.org/docs/...)"
    )


@pytest.mark.parametrize("module", COURSE)
def test_each_lesson_snippet_runs_as_it_says(module: str, request) -> None:
    package = request.config.stash[KATA].package
    test = doctest.DocTestParser().get_doctest(
        lesson(module, package), {}, f"{module} lesson", f"{package}/{module}.py", 0
    )
    output: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    with warnings.catch_warnings():  # torch's word on its own future (forward AD scripts with torch.jit)
        for category in TORCH_OWN:
            warnings.filterwarnings("ignore", category=category, module="torch")
        result = runner.run(test, out=output.append)
    assert result.attempted, f"{package}/{module}.py: the lesson's In torch part has no example to run"
    assert not result.failed, "".join(output)
