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


def _rec_lines(index: int, rec: Recommendation) -> list[str]:
    dose = rec.dose
    often = "once" if rec.once else f"{dose.frequency} per {dose.period}"
    lines = [f"  {index}. {rec.name} [{rec.intervention}] - {often}, {dose.minutes} min, by "
             f"{dose.delivered_by.replace('_', ' ')}; {', '.join(rec.settings)}"]
    if rec.delivery:
        lines += _wrap("who: " + "; ".join(delivery_words(e) for e in rec.delivery)
                       + (f"; within {', '.join(r.replace('_', ' ') for r in rec.routines)}"
                          if rec.routines else ""), "     ")
    lines += _wrap(because_line(rec), "     ")
    if rec.in_place_of:
        lines += _wrap("offered without body contact in place of " + ", ".join(rec.in_place_of)
                       + " (held back by the touch conditions: ask why-not)", "     ")
    return lines


def delivery_words(entry) -> str:
    """'home: caregiver EX-1', 'residential: residential staff (name a key adult)'."""
    who = entry.delivered_by.replace("_", " ")
    named = f" {', '.join(entry.adults)}" if entry.adults else ""
    find = " (name a key adult)" if entry.find_person else ""
    return f"{entry.setting}: {who}{named}{find}"


def load_lines(plan: Plan) -> list[str]:
    load = plan.load
    if load is None:
        return []
    limits = [f"{load.per_deliverer} activities per deliverer" if load.per_deliverer else "",
              f"{load.per_setting} per setting" if load.per_setting else "",
              f"{load.minutes_per_day} minutes a day per deliverer" if load.minutes_per_day else ""]
    out = [f"LOAD (budget for ages {load.ages}: {', '.join(x for x in limits if x) or 'none'}; "
           + ("within budget" if load.within_budget else "OVER BUDGET") + ")"]
    for line in load.deliverers + load.settings:
        budget = f" of {line.budget_activities}" if line.budget_activities else ""
        minutes = f" (budget {line.budget_minutes})" if line.budget_minutes else ""
        out.append(f"  {line.name:<28} {line.activities}{budget} activities, "
                   f"{line.sessions_per_day:g} sessions and {line.minutes_per_day:g} min a day"
                   f"{minutes}")
    return out + [""]


def menu_lines(plan: Plan) -> list[str]:
    if not plan.menu:
        return []
    out = ["MENU (recommended, over the load budget: swap in if it fits the client better)"]
    for item in plan.menu:
        out += _wrap(f"- {item.name} [{item.intervention}] ({item.phase}"
                     f"{', for the adults' if item.track == 'support' else ''}): {item.reason}", "  ")
    return out + [""]


def guidance_lines(plan: Plan) -> list[str]:
    if not plan.state_guidance:
        return []
    out = ["IN EACH STATE (what the adults do; reasoning and processing only when calm or alert)"]
    for g in plan.state_guidance:
        lead = " <- lead with this today" if g.lead else ""
        out.append(f"  {g.state.upper()} ({', '.join(g.arousal_states) or 'shut down'}){lead}")
        out += [line for text in g.do for line in _wrap(f"do: {text}", "    ")]
        out += [line for text in g.avoid for line in _wrap(f"avoid: {text}", "    ")]
        if g.activities:
            out += _wrap("fits: " + ", ".join(g.activities), "    ")
    return out + [""]


def since_previous_lines(since) -> list[str]:
    """What changed since the previous assessment the input named (engine/reports/progress.py)."""
    from explain.progress import change_lines
    return [f"SINCE THE PREVIOUS ASSESSMENT (record {since.record_id}, {since.assessment_date})",
            *change_lines(since)]


def nothing_active(plan: Plan) -> str:
    """Says so when no client activity is active, pointing only at lists the plan shows."""
    shown = [name for name, items in (("deferred", plan.deferred), ("avoided", plan.avoided),
                                      ("not suitable", plan.not_suitable)) if items]
    if not shown:
        return "No activity for the client is active."
    names = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    return (f"No activity for the client is active yet; see the {names} "
            f"list{'s' if len(shown) > 1 else ''} below.")


def render_plan(plan: Plan) -> str:
    out = [f"Groundwork plan for client {plan.client_id} (assessed {plan.assessment_date})",
           f"Age {_months(plan.chronological_age_months)}; functional profile by domain below "
           f"(an estimate). Arousal now: {plan.arousal.current} "
           f"(usually {plan.arousal.baseline})"
           + ("; dissociative indicator present." if plan.arousal.dissociative else "."), ""]
    if plan.flags:
        out.append("FLAGS FOR CLINICIAN REVIEW")
        for flag in plan.flags:
            brings = f" Action in the plan: {', '.join(flag.actions)}." if flag.actions else ""
            out += _wrap(f"[{flag.severity.upper()}] {flag.code}: {flag.message}{brings}", "  ")
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
    support = [rec for phase in plan.phases for rec in phase.recommendations if rec.track == "support"]
    if support:
        out.append("FOR THE ADULTS AROUND THE CLIENT (starts now, whatever the client's scores or state)")
        for index, rec in enumerate(support, 1):
            out += _rec_lines(index, rec)
        out.append("")
    phases = [phase for phase in plan.phases if any(r.track == "client" for r in phase.recommendations)]
    if not phases:
        out.append(nothing_active(plan))
    for number, phase in enumerate(phases, 1):
        out.append(f"PHASE {number}: {phase.name.upper()} ({', '.join(phase.regions)})")
        client = [rec for rec in phase.recommendations if rec.track == "client"]
        for index, rec in enumerate(client, 1):
            out += _rec_lines(index, rec)
        out += _wrap("Move on when: " + "; ".join(phase.move_on_when), "  ")
        out.append("")
    out += guidance_lines(plan) + load_lines(plan) + menu_lines(plan)
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
