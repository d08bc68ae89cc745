"""The door into the kata's pytest plugins, which live in tests/kata/."""

pytest_plugins = ["tests.kata.plugin", "tests.kata.isolation", "tests.kata.plots", "tests.kata.watch"]
