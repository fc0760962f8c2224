"""Small knowledge bases for tests: the core model plus rule text written by the test."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.helpers import CORE_KB

HEADER = '''  version "1.0.0"
  title "Test rule"
  status approved
  evidence practice
  source "Test fixture"
  author "Test"
  rationale "For a test."
'''

INTERVENTIONS = '''
intervention walk-and-talk {
  name "Walking side by side"
  region brainstem
  modality motor
  dose 2 per day, 10 minutes, by caregiver or therapist
  settings home, school, clinic
  source "Perry & Dobson (2013)"
}
intervention dyadic-play {
  name "Dyadic play"
  region limbic
  modality relational
  dose 3 per week, 20 minutes, by caregiver or therapist
  settings home, clinic
  source "Perry & Dobson (2013)"
}
intervention talking-therapy {
  name "Talking therapy"
  region cortex
  modality cognitive
  dose 1 per week, 50 minutes, by therapist
  settings clinic
  min_developmental_age 7 years
  source "Practitioner descriptions"
}
'''


def rule(rule_id: str, when: str, then: str, status: str = "approved") -> str:
    header = HEADER.replace("status approved", f"status {status}")
    return f"rule {rule_id} {{\n{header}  when {when}\n  then\n    {then}\n}}\n"


def make_kb(directory: Path, rules_text: str, interventions: str = INTERVENTIONS,
            model: bool = True) -> Path:
    """A knowledge base directory with the core model (declarations and instrument)."""
    directory.mkdir(parents=True, exist_ok=True)
    if model:
        shutil.copy(CORE_KB / "00-model.gw", directory / "00-model.gw")
        shutil.copy(CORE_KB / "instrument.toml", directory / "instrument.toml")
    (directory / "10-test.gw").write_text(interventions + "\n" + rules_text, encoding="utf-8")
    return directory
