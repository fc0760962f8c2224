"""A plan as plain text for a clinician: short sentences, the client's own values."""

from __future__ import annotations

import textwrap

from engine.plan import Plan, Recommendation
from explain.profile_text import borderline_lines, item_flag_lines, profile_lines

DISCLAIMER = ("Decision support for a qualified clinician: it never replaces clinical judgement. "
              "Not affiliated with the Neurosequential Network.")


def _months(months: int) -> str:
    years, rest = divmod(months, 12)
    return f"{years}y {rest}m"


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, width=96, initial_indent=indent, subsequent_indent=indent + "  ")


def because_line(rec: Recommendation) -> str:
    """One line of 'because': the first rule's title and the conditions that held, with values."""
    reason = rec.because[0]
    held = [f"{c.condition.split(' ')[0]} = {c.actual}" for c in reason.conditions if c.holds]
    values = "; ".join(dict.fromkeys(held)) or "its conditions held"
    more = f" (+{len(rec.because) - 1} more rule{'s' if len(rec.because) > 2 else ''})" \
        if len(rec.because) > 1 else ""
    return f"because {reason.title.rstrip('.')} [{reason.rule}]: {values}{more}"


def since_previous_lines(since) -> list[str]:
    """What changed since the previous assessment the input named (engine/reports/progress.py)."""
    from explain.progress import change_lines
    return [f"SINCE THE PREVIOUS ASSESSMENT (record {since.record_id}, {since.assessment_date})",
            *change_lines(since)]


def render_plan(plan: Plan) -> str:
    out = [f"Groundwork plan for client {plan.client_id} (assessed {plan.assessment_date})",
           f"Age {_months(plan.chronological_age_months)}; functional profile by domain below "
           f"(an estimate). Arousal now: {plan.arousal.current} "
           f"(usually {plan.arousal.baseline})"
           + ("; dissociative indicator present." if plan.arousal.dissociative else "."), ""]
    if plan.flags:
        out.append("FLAGS FOR CLINICIAN REVIEW")
        for flag in plan.flags:
            out += _wrap(f"[{flag.severity.upper()}] {flag.code}: {flag.message}", "  ")
        out.append("")
    out += item_flag_lines(plan)
    out.append("REGIONS (lowest first; score 0 = typical for age, 3 = severely below)")
    for region in plan.regions:
        score = "  -  " if region.score is None else f"{region.score:4.2f} "
        band = region.band + (" (borderline)" if region.borderline else "")
        out.append(f"  {region.region:<13} {score} {band:<23} -> {region.phase}")
    out += borderline_lines(plan)
    out.append("")
    out += profile_lines(plan)
    if plan.since_previous is not None:
        out += since_previous_lines(plan.since_previous) + [""]
    if not plan.phases:
        out.append("No activity is active yet; see the deferred and avoided lists below.")
    for number, phase in enumerate(plan.phases, 1):
        out.append(f"PHASE {number}: {phase.name.upper()} ({', '.join(phase.regions)})")
        for index, rec in enumerate(phase.recommendations, 1):
            dose = rec.dose
            out.append(f"  {index}. {rec.name} [{rec.intervention}] - {dose.frequency} per "
                       f"{dose.period}, {dose.minutes} min, by {dose.delivered_by.replace('_', ' ')}"
                       f"; {', '.join(rec.settings)}")
            out += _wrap(because_line(rec), "     ")
        out += _wrap("Move on when: " + "; ".join(phase.move_on_when), "  ")
        out.append("")
    if plan.deferred:
        out.append("DEFERRED (not yet)")
        for item in plan.deferred:
            out += _wrap(f"- {item.name} [{item.intervention}] {item.gate} "
                         f"(now: {item.holding_value})", "  ")
        out.append("")
    if plan.avoided:
        out.append("AVOIDED (not now)")
        for avoided in plan.avoided:
            rules = f" [{', '.join(avoided.rules)}]" if avoided.rules else ""
            out += _wrap(f"- {avoided.name} [{avoided.intervention}]: {avoided.reason}{rules}", "  ")
        out.append("")
    if plan.not_suitable:
        out.append("NOT SUITABLE FOR THIS CLIENT")
        for unsuitable in plan.not_suitable:
            out += _wrap(f"- {unsuitable.name} [{unsuitable.intervention}]: {unsuitable.reason}", "  ")
        out.append("")
    for note in plan.no_action:
        out += _wrap(f"No action needed: {note.reason} [{', '.join(note.rules)}]", "")
    out.append(f"Review in {plan.review.interval_weeks} weeks ({plan.review.reason}).")
    prov = plan.provenance
    instrument = f", instrument {prov.instrument_name} {prov.instrument_version}" \
        if prov.instrument_version else ""
    out.append(f"Knowledge base {prov.kb_name} {prov.kb_version} ({prov.kb_hash[:12]}){instrument}, "
               f"engine {prov.engine_version}. Ask why: groundwork explain CASE INTERVENTION.")
    out.append(DISCLAIMER)
    return "\n".join(out) + "\n"
