"""A client's progress as text and as a self-contained HTML page: the region map over time (bands
per assessment), score charts, what changed between assessments and the rules behind it, goals,
feedback and outcome events."""

from __future__ import annotations

from html import escape

from engine.plan import PlanChange
from engine.reports.progress import Change, Point, Progress
from explain.charts import line_chart

BAND_COLOURS = {"typical": "#d9f0d3", "mild": "#fee8a0", "moderate": "#fdb863",
                "severe": "#e66101", "insufficient": "#e0e0e0"}


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _steps(steps: int | None) -> str:
    if steps is None:
        return "not comparable"
    word = "better" if steps < 0 else "worse"
    return f"{abs(steps)} band{'s' if abs(steps) != 1 else ''} {word}"


def change_lines(change: PlanChange) -> list[str]:
    out = [f"  {b.name}: {b.before} -> {b.after} ({_steps(b.steps)})"
           for b in change.regions + change.domains]
    out += [f"  flag raised: {c}" for c in change.flags_raised]
    out += [f"  flag dropped: {c}" for c in change.flags_dropped]
    for word, items in (("started", change.started), ("released from its gate", change.released),
                        ("stopped", change.stopped)):
        out += [f"  {word}: {i.intervention}: {i.before} -> {i.after} [{', '.join(i.rules) or 'engine'}]"
                for i in items]
    if isinstance(change, Change) and change.events:  # a progress view's change has events
        out.append("  outcome events in between: " +
                   ", ".join(f"{k} {v}" for k, v in change.events.items()))
    out.append(f"  rules responsible: {', '.join(change.rules) or 'none'}")
    return out


def _point_lines(point: Point) -> list[str]:
    regions = ", ".join(f"{s.name} {s.band} ({_score(s.score)})" for s in point.regions)
    out = [f"{point.assessment_date}  record {point.record_id} ({point.kb})", f"  regions: {regions}",
           "  plan: " + ", ".join(f"{k} {v}" for k, v in point.phases.items())
           + f"; {point.deferred} deferred, {point.avoided} avoided; arousal {point.arousal}"]
    for goal in point.goals:
        state = "met" if goal.met else "not yet"
        why = "; ".join(goal.criteria) + (f"; held by {'; '.join(goal.holding)}" if goal.holding else "")
        out.append(f"  goal {goal.phase} -> {goal.next_phase}: {state} ({why})")
    for item in point.feedback:
        out.append(f"  feedback: {item.intervention} {item.outcome}"
                   + (f" ({item.reason})" if item.reason else ""))
    return out


def render_text(progress: Progress) -> str:
    out = [f"Progress of client {progress.client_id}: {len(progress.assessments)} assessment"
           f"{'s' if len(progress.assessments) != 1 else ''}"]
    changes = {c.to_record: c for c in progress.changes}
    for point in progress.assessments:
        out.append("")
        if point.record_id in changes:
            out.append(f"changed since record {changes[point.record_id].from_record}:")
            out += change_lines(changes[point.record_id])
        out += _point_lines(point)
    events = ", ".join(f"{k} {v}" for k, v in progress.events.items()) or "none"
    out += ["", f"outcome events: {events}; exposure recorded: {progress.exposure_days} days"]
    return "\n".join(out) + "\n"


def region_map(progress: Progress, key: str = "regions") -> str:
    """Bands per assessment: one row per region (lowest at the bottom), one column per assessment."""
    names = [s.name for s in getattr(progress.assessments[-1], key)]
    head = "".join(f"<th scope=\"col\">{escape(p.assessment_date)}<br><small>record {p.record_id}"
                   "</small></th>" for p in progress.assessments)
    rows = []
    for name in (reversed(names) if key == "regions" else names):
        cells = []
        for point in progress.assessments:
            score = next((s for s in getattr(point, key) if s.name == name), None)
            band = score.band if score else "insufficient"
            cells.append(f"<td class=\"band band-{escape(band)}\">{escape(band)}<br>"
                         f"<small>{_score(score.score if score else None)}</small></td>")
        rows.append(f"<tr><th scope=\"row\">{escape(name)}</th>{''.join(cells)}</tr>")
    return (f"<table class=\"region-map\" data-kind=\"{key}\"><thead><tr><th></th>{head}</tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>")


def score_chart(progress: Progress) -> str:
    labels = [p.assessment_date for p in progress.assessments]
    names = [s.name for s in progress.assessments[-1].regions]
    series = {n: [next((s.score for s in p.regions if s.name == n), None) for p in progress.assessments]
              for n in names}
    return line_chart("Region scores over time (0 typical, higher is more compromised)", labels,
                      series, "score")


def _change_html(change: Change) -> str:
    items = "".join(f"<li>{escape(line.strip())}</li>" for line in change_lines(change))
    return (f"<section class=\"change\"><h3>From record {change.from_record} to record "
            f"{change.to_record}</h3><ul>{items}</ul></section>")


def _goals_html(progress: Progress) -> str:
    rows = []
    for point in progress.assessments:
        for goal in point.goals:
            state = "met" if goal.met else "not yet"
            rows.append(f"<tr><td>{escape(point.assessment_date)}</td><td>{escape(goal.phase)} → "
                        f"{escape(goal.next_phase)}</td><td class=\"goal-{state.replace(' ', '-')}\">"
                        f"{state}</td><td>{escape('; '.join(goal.criteria + goal.holding))}</td></tr>")
    return ("<table class=\"goals\"><thead><tr><th>Assessment</th><th>Goal</th><th>Status</th>"
            f"<th>Values</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def progress_body(progress: Progress) -> str:
    events = ", ".join(f"{k} {v}" for k, v in progress.events.items()) or "none recorded"
    return (f"<p>{len(progress.assessments)} assessments; outcome events: {escape(events)}; "
            f"exposure recorded: {progress.exposure_days} days.</p>"
            f"<h2>Region map over time</h2>{region_map(progress)}"
            f"<figure>{score_chart(progress)}</figure>"
            f"<h2>Domains over time</h2>{region_map(progress, 'domains')}"
            f"<h2>Goals (move on when)</h2>{_goals_html(progress)}"
            "<h2>What changed</h2>"
            f"{''.join(_change_html(c) for c in progress.changes) or '<p>Only one assessment.</p>'}")


STYLE = ("body{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#222}"
         "table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}td,th{border:1px solid #ccc;"
         "padding:3px 6px;text-align:center}svg{max-width:100%;height:auto}"
         ".goal-met{color:#1b7837;font-weight:bold}.goal-not-yet{color:#b2182b}"
         + "".join(f".band-{band}{{background:{colour}}}" for band, colour in BAND_COLOURS.items()))


def render_html(progress: Progress) -> str:
    title = escape(f"Progress of client {progress.client_id}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title><style>{STYLE}</style></head>\n<body>\n<h1>{title}</h1>\n"
            f"{progress_body(progress)}\n</body></html>\n")
