"""A whole plan as one self-contained HTML page: region map, phases (each recommendation with a
collapsible "why"), deferred, avoided and not-suitable lists with reasons, provenance, disclaimer.

No scripts, no external URLs: the CSS is inlined from templates/report.css. Same plan, same bytes.
"""

from __future__ import annotations

from importlib import resources

from explain.bands import BAND_ORDER
from explain.context import Context
from explain.html_profile import item_flags_html, profile_html
from explain.html_parts import e, why_html, why_not_html
from explain.models import Trace
from explain.plain import DISCLAIMER, trace_lines
from explain.why import explain_why
from explain.why_not import explain_why_not


def _css() -> str:
    return resources.files("explain").joinpath("templates/report.css").read_text(encoding="utf-8")


def _months(months: int) -> str:
    years, rest = divmod(months, 12)
    return f"{years} years {rest} months"


def render_report(ctx: Context, trace: Trace | None = None) -> str:
    plan = ctx.plan
    title = f"Groundwork plan for client {plan.client_id}"
    body = [_header(ctx, title), "<main>", _flags(ctx), item_flags_html(ctx), region_map_html(ctx),
            profile_html(ctx), _phases(ctx),
            _deferred(ctx), _avoided(ctx), _not_suitable(ctx), _review(ctx), _provenance(ctx)]
    if trace is not None:
        body.append(_trace(trace))
    body += ["</main>", f'<footer><p class="disclaimer" role="note">{e(DISCLAIMER)}</p></footer>']
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{e(title)}</title>\n<style>\n{_css()}</style>\n</head>\n<body>\n"
            + "\n".join(part for part in body if part) + "\n</body>\n</html>\n")


def _header(ctx: Context, title: str) -> str:
    plan = ctx.plan
    arousal = plan.arousal
    dissociative = "; dissociative indicator present" if arousal.dissociative else ""
    return (f'<header><p class="disclaimer" role="note">{e(DISCLAIMER)}</p><h1>{e(title)}</h1>'
            f"<p>Assessed {e(plan.assessment_date)}. Age {e(_months(plan.chronological_age_months))}; "
            "functional profile by domain below (an estimate). "
            f"Arousal now: <strong>{e(arousal.current)}</strong> (usually {e(arousal.baseline)})"
            f"{dissociative}.</p></header>")


def _flags(ctx: Context) -> str:
    if not ctx.plan.flags:
        return ""
    items = "".join(f"<li><strong>{e(f.severity.upper())}</strong> <code>{e(f.code)}</code>: "
                    f"{e(f.message)}</li>" for f in ctx.plan.flags)
    return ('<section aria-labelledby="flags-h"><h2 id="flags-h">Flags for clinician review</h2>'
            f"<ul>{items}</ul></section>")


def region_map_html(ctx: Context) -> str:
    """Regions lowest first, left to right, each with its band printed and coloured, the phase and
    the work planned for it beside it, and the domains that mostly draw on it."""
    plan, kb = ctx.plan, ctx.kb
    primary = {d.name: d.primary_region for d in kb.domains}
    columns = []
    for step, region in enumerate(plan.regions, 1):
        score = "score unknown" if region.score is None else f"score {region.score:.2f}"
        active = [r.name for p in plan.phases for r in p.recommendations if r.target_region == region.region]
        deferred = [d for d in plan.deferred if kb.interventions[d.intervention].region == region.region]
        work = "".join(f"<li>{e(name)}</li>" for name in active)
        work = f"<ul>{work}</ul>" if work else "<p>Nothing active.</p>"
        if deferred:
            work += f"<p>{len(deferred)} deferred: {e(deferred[0].gate)}.</p>"
        work += "".join(f"<p>{count} {label}.</p>" for label, count in _held(ctx, region.region))
        domains = "".join(
            f'<li class="band-{e(d.band)}">{e(d.domain.replace("_", " "))}: <strong>{e(d.band)}</strong>'
            + ("" if d.score is None else f" ({d.score:.2f})") + _borderline(d) + "</li>"
            for d in plan.domains if primary.get(d.domain) == region.region)
        columns.append(
            f'<li><div class="card band-{e(region.band)}"><p class="step">Step {step} of '
            f"{len(plan.regions)}</p><h3>{e(region.region)}</h3><p>Band: <strong>{e(region.band)}"
            f"</strong>{_borderline(region)}</p><p>{e(score)}; {region.known_ratings} of {region.items} "
            f"due items rated</p></div>"
            f'<div class="work"><p>Phase: <strong>{e(region.phase)}</strong></p>{work}</div>'
            f'<ul class="domains" aria-label="domains drawing mostly on {e(region.region)}">{domains}</ul></li>')
    legend = "".join(f'<li class="band-{b}">{b}</li>'
                     for b in BAND_ORDER)
    return ('<section id="region-map" aria-labelledby="map-h"><h2 id="map-h">Region map</h2>'
            "<p>Lowest region first: work moves right only when the regions before it are no longer "
            "compromised. Each region shows its band and score; beside it, the phase and the work "
            "planned for it; below it, the domains that mostly draw on it.</p>"
            f'<ol class="ladder">{"".join(columns)}</ol>'
            f'<ul class="legend" aria-label="band colours">{legend}</ul></section>')


def _borderline(summary) -> str:
    """' (borderline)' with the single rating that would change the band, for a region or domain."""
    if not summary.borderline:
        return ""
    note = e(summary.borderline_note or "")
    return f' <span class="borderline" title="{note}">(borderline: {note})</span>'


def _held(ctx: Context, region: str) -> list[tuple[str, int]]:
    """How many interventions for a region are avoided or not suitable (each listed below)."""
    targets = ctx.kb.interventions
    counts = [("avoided", sum(targets[a.intervention].region == region for a in ctx.plan.avoided)),
              ("not suitable", sum(targets[n.intervention].region == region
                                   for n in ctx.plan.not_suitable))]
    return [(label, count) for label, count in counts if count]


def _phases(ctx: Context) -> str:
    plan = ctx.plan
    if not plan.phases:
        return ('<section aria-labelledby="phases-h"><h2 id="phases-h">Phases</h2>'
                "<p>No activity is active yet; see the deferred and avoided lists below.</p></section>")
    out = ['<section aria-labelledby="phases-h"><h2 id="phases-h">Phases</h2>']
    for number, phase in enumerate(plan.phases, 1):
        out.append(f'<section class="phase" aria-labelledby="phase-{e(phase.name)}">'
                   f'<h3 id="phase-{e(phase.name)}">Phase {number}: {e(phase.name.capitalize())} '
                   f"({e(', '.join(phase.regions))})</h3><ol class=\"recs\">")
        for rec in phase.recommendations:
            dose = rec.dose
            why = explain_why(ctx, rec.intervention)
            assert why is not None  # every recommendation in a phase is active
            out.append(
                f"<li><h4>{e(rec.name)} <code>{e(rec.intervention)}</code></h4>"
                f"<p>{dose.frequency} per {e(dose.period)}, {dose.minutes} minutes, by "
                f"{e(dose.delivered_by.replace('_', ' '))}; in {e(', '.join(rec.settings))}.</p>"
                f"<details><summary>Why {e(rec.name)}?</summary><div>{why_html(why)}</div></details></li>")
        out.append(f"</ol><p>Move on when: {e('; '.join(phase.move_on_when))}.</p></section>")
    return "".join(out) + "</section>"


def _not_active(ctx: Context, heading: str, anchor: str, entries, line) -> str:
    if not entries:
        return ""
    items = []
    for entry in entries:
        answer = explain_why_not(ctx, entry.intervention)
        items.append(f"<li><strong>{e(entry.name)}</strong> <code>{e(entry.intervention)}</code>: "
                     f"{e(line(entry))}<details><summary>Why not {e(entry.name)}?</summary>"
                     f"<div>{why_not_html(answer)}</div></details></li>")
    return (f'<section aria-labelledby="{anchor}"><h2 id="{anchor}">{e(heading)}</h2>'
            f"<ul>{''.join(items)}</ul></section>")


def _deferred(ctx: Context) -> str:
    return _not_active(ctx, "Deferred (not yet)", "deferred-h", ctx.plan.deferred,
                       lambda d: f"{d.phase} work, {d.gate} (now {d.holding_value}).")


def _avoided(ctx: Context) -> str:
    def line(a):
        rules = f" Rules: {', '.join(a.rules)}." if a.rules else ""
        return f"{a.reason}.{rules}"
    return _not_active(ctx, "Avoided (not now)", "avoided-h", ctx.plan.avoided, line)


def _not_suitable(ctx: Context) -> str:
    return _not_active(ctx, "Not suitable for this client", "unsuitable-h", ctx.plan.not_suitable,
                       lambda n: f"{n.reason}.")


def _review(ctx: Context) -> str:
    plan = ctx.plan
    notes = "".join(f"<p>No action needed: {e(n.reason)} ({e(', '.join(n.rules))}).</p>"
                    for n in plan.no_action)
    return (f'<section aria-labelledby="review-h"><h2 id="review-h">Review</h2>{notes}'
            f"<p>Review in {plan.review.interval_weeks} weeks ({e(plan.review.reason)}).</p></section>")


def _provenance(ctx: Context) -> str:
    prov = ctx.plan.provenance
    rows = [("Knowledge base", f"{prov.kb_name} {prov.kb_version}"), ("Knowledge base hash", prov.kb_hash),
            ("Instrument", f"{prov.instrument_name} {prov.instrument_version}".strip()),
            ("Engine", f"groundwork-cds {prov.engine_version}"), ("Input hash", prov.input_hash),
            ("Draft rules", "included" if prov.drafts else "not included")]
    items = "".join(f"<dt>{e(k)}</dt><dd><code>{e(v)}</code></dd>" for k, v in rows)
    return (f'<section aria-labelledby="provenance-h"><h2 id="provenance-h">Provenance</h2>'
            f'<dl class="provenance">{items}</dl></section>')


def _trace(trace: Trace) -> str:
    text = "\n".join(trace_lines(trace))
    return (f'<section aria-labelledby="trace-h"><h2 id="trace-h">Trace</h2><details><summary>'
            f"Every rule firing, in canonical order</summary><pre>{e(text)}</pre></details></section>")
