"""Alternatives for exercises/modules_and_parameters.py, written from its docstrings alone: to come."""

ALTERNATIVES = {}
