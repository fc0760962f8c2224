"""Audit records for a QA reviewer: how a stored plan was reached, from the record alone.

`record_text` answers "how was this plan reached?": the input's hash, the knowledge base and
engine that ran, every fact the rules saw, every firing with its rule version and matched values,
why each intervention sits where it does, the plan exactly as the clinician saw it, and the
clinician's feedback.
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from engine.audit.feedback import OVERRIDE_REASONS
from engine.audit.history import HistoryEntry
from engine.audit.store import Record
from engine.plan import Plan
from explain.html_parts import ENV
from explain.text import render_plan


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "unknown"
    if isinstance(value, list):
        return "{" + ", ".join(map(str, value)) + "}" if value else "{}"
    return str(value)


def feedback_line(item: Record) -> str:
    reason = f" ({item.reason}: {OVERRIDE_REASONS.get(item.reason, '')})" if item.reason else ""
    by = f" by {item.assessor_id}" if item.assessor_id else ""
    return f"record {item.id}, {item.recorded_at}: {item.intervention} {item.outcome}{reason}{by}"


def outcome_description(record: Record) -> str:
    """An outcome event or exposure period in words (its fields are ids and dates only)."""
    event = record.input
    if record.kind == "exposure":
        return (f"exposure in {event.get('setting')}: {event.get('date')} to {event.get('to')}, "
                f"{event.get('days')} days")
    return (f"{event.get('event')} on {event.get('date')} in {event.get('setting')} "
            f"(code {event.get('code')})")


def _header(record: Record) -> list[str]:
    if record.kind in ("outcome", "exposure"):
        title = (f"Audit record {record.id}: {record.kind} of client {record.client_id}"
                 + (f" recorded by {record.assessor_id}" if record.assessor_id else ""))
    elif record.kind == "feedback":
        title = f"Audit record {record.id}: feedback on record {record.target_id} (client {record.client_id})"
    else:
        title = (f"Audit record {record.id}: assessment of client {record.client_id} "
                 f"by assessor {record.assessor_id}")
    follows = f"record {record.id - 1}" if record.id > 1 else "the start of the chain"
    return [title, f"  recorded     {record.recorded_at} (UTC)",
            f"  record hash  {record.record_hash}",
            f"  follows      {follows} ({record.prev_hash})", ""]


def _firing_lines(trace: dict) -> list[str]:
    firings = trace.get("firings", [])
    out = [f"  Rule firings, in canonical order ({len(firings)}):"]
    for number, firing in enumerate(firings, 1):
        out.append(f"    {number}. {firing['rule_id']} v{firing['rule_version']} "
                   f"(rule set {firing['ruleset']}, stratum {firing['stratum']})")
        matched = ", ".join(f"{m['fact']} = {_value(m['value'])}" for m in firing["matched"])
        out.append(f"       matched: {matched or 'no client values'}")
        for joined in firing.get("derived_from", []):
            out.append(f"       joined:  {joined['fact']} (derived by {joined['rule']})")
        if firing.get("asserted"):
            out.append(f"       derived: {', '.join(firing['asserted'])}")
    if not firings:
        out.append("    (no rule fired)")
    derived = trace.get("derived", {})
    if derived:
        out.append("  Derived facts:")
        out += [f"    {fact} <- {', '.join(rules)}" for fact, rules in derived.items()]
    return out


def _because_lines(plan: dict) -> list[str]:
    out = ["  Why each intervention is where it is:"]
    for phase in plan.get("phases", []):
        for rec in phase.get("recommendations", []):
            out.append(f"    {rec['intervention']}: recommended in {phase['name']}, "
                       f"priority {rec.get('priority', '?')}")
            for reason in rec.get("because", []):
                out.append(f"      {reason.get('rule')} v{reason.get('version')} \"{reason.get('title')}\":")
                out += [f"        {c.get('condition')}: {c.get('actual')} "
                        f"({'holds' if c.get('holds') else 'does not hold'})"
                        for c in reason.get("conditions", [])]
    for item in plan.get("deferred", []):
        out.append(f"    {item['intervention']}: deferred, {item.get('gate')} "
                   f"(now: {item.get('holding_value')}) [{', '.join(item.get('rules', []))}]")
    for item in plan.get("avoided", []):
        proposed = f"; proposed by {', '.join(item['proposed_by'])}" if item.get("proposed_by") else ""
        out.append(f"    {item['intervention']}: avoided, {item.get('reason')} "
                   f"[{', '.join(item.get('rules', []))}{proposed}]")
    for item in plan.get("not_suitable", []):
        out.append(f"    {item['intervention']}: not suitable, {item.get('reason')} "
                   f"[{', '.join(item.get('rules', []))}]")
    return out if len(out) > 1 else out + ["    (no intervention was proposed)"]


def _reached_lines(record: Record) -> list[str]:
    trace = record.trace
    out = ["HOW THIS PLAN WAS REACHED",
           f"  Input          assessment dated {record.assessment_date}; SHA-256 of its canonical "
           f"JSON {record.input_hash} (stored in full)",
           f"  Knowledge base {record.kb_name} {record.kb_version}; content hash {record.kb_hash} "
           "(its source is stored: `groundwork audit replay` re-runs it)",
           f"  Engine         groundwork-cds {record.engine_version}; draft rules "
           f"{'fired' if record.drafts else 'not fired'}",
           "  Facts the rules saw (scored from the input under the knowledge base's instrument):"]
    out += [f"    {path} = {_value(value)}" for path, value in trace.get("facts", {}).items()]
    return out + _firing_lines(trace) + _because_lines(record.plan) + [""]


def stored_plan(record: Record) -> Plan | None:
    """The stored plan as today's model, or None when the model has changed since it was stored."""
    try:
        return Plan.model_validate(record.plan)
    except ValidationError:
        return None


def _plan_text(record: Record) -> str:
    plan = stored_plan(record)
    if plan is not None:
        return render_plan(plan)
    return ("(stored by an engine whose plan format this version cannot render; the plan as "
            "stored:)\n" + json.dumps(record.plan, indent=2, ensure_ascii=False))


def record_text(record: Record, feedback: list[Record], target: Record | None = None) -> str:
    out = _header(record)
    if record.kind in ("outcome", "exposure"):
        return "\n".join(out + ["  " + outcome_description(record)]) + "\n"
    if record.kind == "feedback":
        out.append("  " + feedback_line(record))
        if record.comment is not None:
            out.append(f"  comment: {record.comment}")
        if target is not None:
            out.append(f"  on the plan of {target.assessment_date} for client {target.client_id}: "
                       f"`groundwork audit show {target.id}`")
        return "\n".join(out) + "\n"
    out += _reached_lines(record)
    out.append("THE PLAN AS GIVEN TO THE CLINICIAN")
    out += ["  " + line if line else "" for line in _plan_text(record).splitlines()]
    out += ["", "CLINICIAN FEEDBACK"]
    for item in feedback:
        out.append("  " + feedback_line(item))
        if item.comment is not None:
            out.append(f"    comment: {item.comment}")
    if not feedback:
        out.append("  none recorded")
    return "\n".join(out) + "\n"


def record_json(record: Record, feedback: list[Record]) -> str:
    data = {k: v for k, v in record.fields().items() if k not in ("input_json", "plan_json", "trace_json")}
    if record.kind == "assessment":
        data.update(input=record.input, plan=record.plan, trace=record.trace)
    elif record.kind in ("outcome", "exposure"):
        data.update(event=record.input)
    data["feedback"] = [{k: v for k, v in f.fields().items() if v is not None} for f in feedback]
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def record_html(record: Record, feedback: list[Record], target: Record | None = None) -> str:
    """The record as a page: its text, escaped. The plan is shown as stored (its text form); the
    full HTML report needs the plan's explanation context, which `groundwork explain` rebuilds."""
    return ENV.get_template("audit_record.html").render(
        title=f"Groundwork audit record {record.id}", text=record_text(record, feedback, target))


def list_line(record: Record) -> str:
    if record.kind in ("outcome", "exposure"):
        what = outcome_description(record)
    elif record.kind == "feedback":
        what = f"feedback on {record.target_id}: {record.intervention} {record.outcome}" + \
            (f" ({record.reason})" if record.reason else "")
    else:
        plan = record.plan
        active = sum(len(p.get("recommendations", [])) for p in plan.get("phases", []))
        what = (f"assessed {record.assessment_date} by {record.assessor_id}: {active} recommended, "
                f"{len(plan.get('deferred', []))} deferred, {len(plan.get('avoided', []))} avoided; "
                f"kb {record.kb_name} {record.kb_version} ({(record.kb_hash or '')[:12]})")
    return f"{record.id:>6}  {record.recorded_at}  {record.client_id:<16} {what}"


def history_text(client: str, entries: list[HistoryEntry]) -> str:
    out = [f"Client {client}: {len(entries)} assessment{'s' if len(entries) != 1 else ''}, "
           "oldest first (band change since the assessment before)"]
    for entry in entries:
        record = entry.record
        phases = ", ".join(f"{name} {count}" for name, count in entry.phases) or "no active phase"
        out += ["", f"{record.assessment_date}  record {record.id} (recorded {record.recorded_at}; "
                    f"kb {record.kb_name} {record.kb_version})"]
        out += [f"  {change.region:<13} {change.describe()}" for change in entry.regions]
        out.append(f"  plan: {phases}; {entry.deferred} deferred, {entry.avoided} avoided")
        out += [f"  feedback: {item.intervention} {item.outcome}" +
                (f" ({item.reason})" if item.reason else "") for item in entry.feedback]
    return "\n".join(out) + "\n"


def history_json(client: str, entries: list[HistoryEntry]) -> str:
    data = {"client_id": client, "assessments": [{
        "record": e.record.id, "assessment_date": e.record.assessment_date,
        "recorded_at": e.record.recorded_at, "kb_version": e.record.kb_version,
        "regions": [{"region": c.region, "band": c.after, "score": c.score, "previous_band": c.before,
                     "band_steps": c.steps} for c in e.regions],
        "phases": [{"name": n, "recommendations": k} for n, k in e.phases],
        "deferred": e.deferred, "avoided": e.avoided,
        "feedback": [{"record": f.id, "intervention": f.intervention, "outcome": f.outcome,
                      "reason": f.reason} for f in e.feedback]} for e in entries]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
