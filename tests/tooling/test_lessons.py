"""Lessons and the truths of the learner's loop, in a fresh process: a lesson the first time a module is reached,
`--lesson`, progress out of the whole course, the task of a file that does not parse, warnings at the learner's line.
"""

from tests.kata.course import BY_ID, EXERCISES, lesson

FIRST_LESSON_LINE = lesson("derivatives", "exercises").splitlines()[0]


def test_next_shows_the_first_lesson_once_then_only_the_task(kata_copy):
    first = kata_copy.pytest("--next").stdout
    assert "Lesson: derivatives (exercises/derivatives.py)" in first
    assert first.index(FIRST_LESSON_LINE) < first.index("Next: derivatives.square (todo)")
    assert "By hand" in first and "Traps the tests catch" in first
    second = kata_copy.pytest("--next").stdout
    assert "Lesson:" not in second and FIRST_LESSON_LINE not in second
    assert "Next: derivatives.square (todo)" in second


def test_a_new_module_shows_its_lesson_when_it_is_reached(kata_copy):
    kata_copy.pytest("--next")
    for exercise in (e for e in EXERCISES if e.module == "derivatives"):
        kata_copy.solve(exercise.id)
    reached = kata_copy.pytest("--next").stdout
    assert "Lesson: partial_derivatives" in reached and "Lesson: derivatives" not in reached
    assert "Next: partial_derivatives.lab_partials (todo)" in reached


def test_a_plain_run_points_at_the_lesson_without_printing_it(kata_copy):
    out = kata_copy.pytest().stdout
    assert "New module: `pytest --lesson derivatives` teaches what it needs" in out
    assert FIRST_LESSON_LINE not in out


def test_lesson_prints_a_module_alone_and_defaults_to_the_one_in_focus(kata_copy):
    named = kata_copy.pytest("--lesson", "jacobians")
    assert named.returncode == 0
    assert named.stdout.startswith("Lesson: jacobians (exercises/jacobians.py)\n")
    assert "collected" not in named.stdout and "passed" not in named.stdout
    assert kata_copy.pytest("--lesson").stdout.startswith("Lesson: derivatives")
    for exercise in (e for e in EXERCISES if e.module == "derivatives"):
        kata_copy.solve(exercise.id)
    kata_copy.pytest()
    assert kata_copy.pytest("--lesson").stdout.startswith("Lesson: partial_derivatives")
    unknown = kata_copy.pytest("--lesson", "nope")
    assert unknown.returncode == 4 and "No module 'nope'. The modules are: derivatives," in unknown.stdout


def test_next_counts_the_whole_course_from_the_last_full_run(kata_copy):
    kata_copy.solve("derivatives.square")
    kata_copy.solve("many_values.square_at")  # solved, but after the exercise in focus
    kata_copy.pytest()
    focused = kata_copy.pytest("--next").stdout
    assert f"autograd-kata: 2/{len(EXERCISES)} solved" in focused, focused
    assert "not run this time kept the status of an earlier run; `pytest` runs them all" in focused


def test_the_task_shows_though_the_file_does_not_parse(kata_copy):
    kata_copy.replace_body("derivatives.square", "return (")
    out = kata_copy.pytest("--next").stdout
    assert "Next: derivatives.square (error)" in out
    assert BY_ID["derivatives.square"].docstring("exercises").splitlines()[0] in out
    assert "SyntaxError" in out


def test_a_warning_from_learner_code_points_at_the_learners_line(kata_copy):
    kata_copy.solve("derivatives.square")
    kata_copy.prepend_to_body("derivatives.square", 'import warnings\nwarnings.warn("careful", stacklevel=3)')
    line = BY_ID["derivatives.square"].line("exercises")
    for mode in ([], ["-p", "no:tests.kata.isolation"]):
        out = kata_copy.pytest("tests/test_derivatives.py", *mode).stdout
        warning = next(text for text in out.splitlines() if "UserWarning: careful" in text)
        assert "exercises/derivatives.py:" in warning and "tests/kata" not in warning, warning
        assert int(warning.split("derivatives.py:")[1].split(":")[0]) > line
