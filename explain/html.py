"""A whole plan as one self-contained HTML page: region map, phases (each recommendation with a
collapsible "why"), deferred, avoided and not-suitable lists with reasons, provenance, disclaimer.

Rendered from templates/report.html with Jinja2 (autoescaping on); this module only gathers what
the page shows. No scripts, no external URLs: the CSS is inlined from templates/report.css. Same
plan, same bytes.
"""

from __future__ import annotations

from importlib import resources
from typing import Any, Callable, Sequence

from markupsafe import Markup

from explain.bands import BAND_ORDER
from explain.context import Context
from explain.html_parts import ENV, macro as _macro
from explain.plain import sentence
from explain.html_profile import item_flags_html, profile_html
from explain.models import Trace
from explain.plain import DISCLAIMER, trace_lines
from explain.text import nothing_active
from explain.why import explain_why
from explain.why_not import explain_why_not


def _css() -> str:
    return resources.files("explain").joinpath("templates/report.css").read_text(encoding="utf-8")


def render_report(ctx: Context, trace: Trace | None = None) -> str:
    plan = ctx.plan
    prov = plan.provenance
    return ENV.get_template("report.html").render(
        title=f"Groundwork plan for client {plan.client_id}", css=Markup(_css()),
        disclaimer=DISCLAIMER, plan=plan, columns=region_columns(ctx), legend=BAND_ORDER,
        support=[(rec, explain_why(ctx, rec.intervention)) for phase in plan.phases
                 for rec in phase.recommendations if rec.track == "support"],
        phases=[(phase, [(rec, explain_why(ctx, rec.intervention)) for rec in phase.recommendations
                         if rec.track == "client"])
                for phase in plan.phases
                if any(rec.track == "client" for rec in phase.recommendations)],
        held=_held_sections(ctx), nothing_active=nothing_active(plan),
        item_flags=Markup(item_flags_html(ctx)), profile=Markup(profile_html(ctx)),
        provenance=[("Knowledge base", f"{prov.kb_name} {prov.kb_version}"),
                    ("Knowledge base hash", prov.kb_hash),
                    ("Instrument", f"{prov.instrument_name} {prov.instrument_version}".strip()),
                    ("Engine", f"groundwork-cds {prov.engine_version}"),
                    ("Input hash", prov.input_hash),
                    ("Draft rules", "included" if prov.drafts else "not included")],
        trace="\n".join(trace_lines(trace)) if trace is not None else None)


def region_map_html(ctx: Context) -> str:
    """The region map alone (the web page shows it above the plan)."""
    return str(_macro("region_map.html", "region_map")(region_columns(ctx), BAND_ORDER))


def region_columns(ctx: Context) -> list[dict]:
    """Per region, lowest first: its band and score, the work planned for it, and its domains."""
    plan, kb = ctx.plan, ctx.kb
    primary = {d.name: d.primary_region for d in kb.domains}
    columns = []
    for step, region in enumerate(plan.regions, 1):
        deferred = [d for d in plan.deferred if kb.interventions[d.intervention].region == region.region]
        columns.append(dict(
            step=step, region=region.region, band=region.band, phase=region.phase,
            score="score unknown" if region.score is None else f"score {region.score:.2f}",
            known=region.known_ratings, item_count=region.items,
            active=[r.name for p in plan.phases for r in p.recommendations
                    if r.target_region == region.region],
            deferred=len(deferred), first_gate=deferred[0].gate if deferred else "",
            held=_held(ctx, region.region), summary=region,
            domains=[dict(name=d.domain.replace("_", " "), band=d.band, score=d.score, summary=d)
                     for d in plan.domains if primary.get(d.domain) == region.region]))
    return columns


def _held(ctx: Context, region: str) -> list[tuple[str, int]]:
    """How many interventions for a region are avoided or not suitable (each listed below)."""
    targets = ctx.kb.interventions
    counts = [("avoided", sum(targets[a.intervention].region == region for a in ctx.plan.avoided)),
              ("not suitable", sum(targets[n.intervention].region == region
                                   for n in ctx.plan.not_suitable))]
    return [(label, count) for label, count in counts if count]


def _held_sections(ctx: Context) -> list[tuple[str, str, list]]:
    """Deferred, avoided and not suitable: each entry with its line and its why-not."""
    plan = ctx.plan

    def avoided(a) -> str:
        rules = f" Rules: {', '.join(a.rules)}." if a.rules else ""
        return f"{sentence(a.reason)}{rules}"

    Section = tuple[str, str, Sequence[Any], Callable[[Any], str]]
    sections: list[Section] = [("Deferred (not yet)", "deferred-h", plan.deferred,
                 lambda d: f"{d.phase} work, {d.gate} (now {d.holding_value})."),
                ("Avoided (not now)", "avoided-h", plan.avoided, avoided),
                ("Not suitable for this client", "unsuitable-h", plan.not_suitable,
                 lambda n: sentence(n.reason))]
    return [(heading, anchor, [(entry, line(entry), explain_why_not(ctx, entry.intervention))
                               for entry in entries])
            for heading, anchor, entries, line in sections]
