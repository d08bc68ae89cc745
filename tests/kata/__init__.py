"""The harness behind the kata: the pytest plugin, the learner-code boundary and the teaching checks."""
