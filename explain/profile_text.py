"""The parts of the text plan about the ratings themselves: items that matter, the functional
profile (an estimate, with its basis), and borderline bands."""

from __future__ import annotations

import textwrap

from engine.plan import DomainSummary, Plan, RegionSummary


def months(value: int) -> str:
    years, rest = divmod(value, 12)
    return f"{years}y {rest}m"


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, width=96, initial_indent=indent, subsequent_indent=indent + "  ")


def item_flag_lines(plan: Plan) -> list[str]:
    if not plan.item_flags:
        return []
    out = ["ITEMS RATED SEVERELY BELOW TYPICAL (whatever their region's band)"]
    for flag in plan.item_flags:
        referral = f"; consider: {flag.referral_name}" if flag.referral_name else ""
        out += _wrap(f"- {flag.item} ({flag.region}, {flag.domain.replace('_', ' ')}): "
                     f"{flag.text} - rated {flag.value}{referral}", "  ")
    return out + [""]


def borderline_lines(plan: Plan) -> list[str]:
    summaries: list[RegionSummary | DomainSummary] = [*plan.regions, *plan.domains]
    notes = [s.borderline_note for s in summaries if s.borderline and s.borderline_note]
    return [line for note in notes for line in _wrap(f"Borderline: {note}.", "  ")]


def profile_lines(plan: Plan) -> list[str]:
    profile = plan.profile
    if profile is None:
        return []
    out = ["FUNCTIONAL PROFILE (an estimate: the functional stage each kind of function suggests;",
           "  no rule withholds work for the adults on it)"]
    for stage in (*profile.domains, *profile.regions):
        name = stage.name.replace("_", " ")
        if stage.estimate_months is None:
            out += _wrap(f"{name:<20} no estimate: {stage.reason}", "  ")
            continue
        out += _wrap(f"{name:<20} about {months(stage.estimate_months)} (from "
                     f"{len(stage.known_items)} of {len(stage.basis_items)} due items: "
                     f"{', '.join(stage.known_items)})", "  ")
    if plan.not_due_items:
        out += _wrap("Not due at this age (neither known nor missing): "
                     + ", ".join(plan.not_due_items), "  ")
    return out + [""]
