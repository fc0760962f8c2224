"""Explanations of a plan: text for clinicians, JSON for QA, graphs and an HTML report."""
