"""Groundwork engine: validate an assessment, run the rules, sequence the plan, audit it."""

__version__ = "0.1.0"
