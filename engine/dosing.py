"""Dose, setting and deliverer of one recommendation, from the catalog and the rules."""

from __future__ import annotations

import math
from typing import cast

from dsl import ast
from engine.models import Assessment
from engine.plan import Dose, Period

# Which caregiver roles can deliver as which deliverer; the treating therapist always can.
ROLES_FOR = {
    "caregiver": {"parent", "foster_carer", "kinship_carer"},
    "teacher": {"teacher"},
    "residential_staff": {"residential_staff"},
    "mentor": {"mentor"},
}
MIN_MINUTES = 2


# A school has teachers and a residential setting has staff, named or not (engine/carry.py).
SETTING_STAFF = {"school": "teacher", "residential": "residential_staff"}


def available_deliverers(assessment: Assessment) -> set[str]:
    roles = {c.role for c in assessment.caregivers}
    staff = {SETTING_STAFF[s] for s in assessment.settings if s in SETTING_STAFF}
    return {"therapist", "self"} | staff | {who for who, fits in ROLES_FOR.items() if roles & fits}


def choose_dose(base: ast.Dose, available: set[str],
                scales: list[tuple[str, ast.ScaleDose]]) -> tuple[Dose, tuple[str, ...]]:
    """The dose to give, with a note for each change made to the catalog's default.
    `available`: the client's available_deliverers (worked out once per plan)."""
    notes = []
    who = next((w for w in base.delivered_by if w in available), "therapist")
    if who != base.delivered_by[0]:
        notes.append(f"delivered by {who.replace('_', ' ')}: the client has no "
                     f"{base.delivered_by[0].replace('_', ' ')} available")
    minutes, frequency = base.minutes, base.frequency
    # Brief, frequent dosing reshapes daily activity; a weekly session keeps its shape.
    for rule_id, scale in (scales if base.period == "day" else []):
        before = f"{frequency} per day, {minutes} minutes"  # a multiplier says little without its base
        minutes = max(MIN_MINUTES, round(minutes * scale.minutes_factor))
        frequency = max(1, math.ceil(frequency * scale.frequency_factor))
        notes.append(f"{rule_id}: minutes x{scale.minutes_factor:g}, frequency "
                     f"x{scale.frequency_factor:g} (from {before} to {frequency} per day, "
                     f"{minutes} minutes)")
    period = cast(Period, base.period)  # the checker allows only day and week
    return Dose(frequency=frequency, period=period, minutes=minutes, delivered_by=who), tuple(notes)
