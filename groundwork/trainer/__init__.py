"""Trainer tools: lint, rule scenarios with coverage, and impact analysis between knowledge bases.

They compose the stages (dsl analyses, the engine) for people who write rules; the commands in
groundwork/cli/ only parse options and print.
"""
