"""The semantic passes, one concern each; dsl/check.py lists them in order."""
