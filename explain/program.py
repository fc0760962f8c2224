"""The program report as text, CSV and a self-contained HTML page with SVG charts.

Every figure is printed with its denominator, and every output carries the caveat that these are
observational, uncontrolled figures.
"""

from __future__ import annotations

import csv
import io
from html import escape

from engine.audit.outcomes import EVENTS
from engine.reports.program import Cell, ProgramReport
from explain.charts import line_chart

CHARTED = ("restraint", "critical_incident")  # the rates programs are asked about first
LABELS = {e: e.replace("_", " ") for e in EVENTS}


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _rate(value: float | None) -> str:
    return "n/a (no exposure)" if value is None else f"{value:.2f}"


def summary_lines(report: ProgramReport) -> list[str]:
    imp, adh, sta = report.improvement, report.adherence, report.stability
    return [
        f"Lower regions improved by at least one band, first to latest assessment: "
        f"{imp.improved} of {imp.reassessed} re-assessed clients ({_share(imp.share_improved)}); "
        f"worse {imp.worsened}, mixed {imp.mixed}, unchanged {imp.unchanged}, not comparable "
        f"{imp.not_comparable}; {imp.clients - imp.reassessed} of {imp.clients} clients assessed "
        "only once",
        f"Adherence: {adh.accepted} of {adh.responses} responses to recommendations accepted "
        f"({_share(adh.share_accepted)}); {adh.overridden} overridden"
        + (" (" + ", ".join(f"{k} {v}" for k, v in adh.reasons.items()) + ")" if adh.reasons else ""),
        f"Placement stability: {sta.without_move} of {sta.clients} clients in placement had no "
        f"placement move ({_share(sta.share_stable)}); one move {sta.one_move}, two or more "
        f"{sta.two_or_more}",
    ]


def render_text(report: ProgramReport) -> str:
    where = f"setting {report.setting}" if report.setting else "every setting"
    out = [f"Program report {report.period_from} to {report.period_to}, {where} "
           f"(store records 1 to {report.store_head})", "", "CAVEAT: " + report.caveat, "",
           f"Events per {report.rates_per} exposure days (bed-days / days in placement)"]
    header = f"  {'month':<8} {'setting':<12} {'days':>7}  " + "  ".join(
        f"{LABELS[e][:12]:>12}" for e in EVENTS)
    out.append(header)
    for cell in [*report.months, *report.settings, report.total]:
        out.append(_row(cell))
    out += ["", *summary_lines(report)]
    return "\n".join(out) + "\n"


def _row(cell: Cell) -> str:
    values = "  ".join(f"{cell.events[e]:>5} {'' if cell.rates[e] is None else f'{cell.rates[e]:.2f}':>6}"
                       for e in EVENTS)
    return f"  {cell.month:<8} {cell.setting:<12} {cell.exposure_days:>7}  {values}"


def render_csv(report: ProgramReport) -> str:
    """Long format, one figure a row: figure, month, setting, event, count, denominator, unit, value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["figure", "month", "setting", "event", "count", "denominator",
                     "denominator_unit", "value", "caveat"])
    for cell in [*report.months, *report.by_setting, *report.settings, report.total]:
        for event in EVENTS:
            rate = cell.rates[event]
            writer.writerow([f"rate_per_{report.rates_per}_exposure_days", cell.month, cell.setting,
                             event, cell.events[event], cell.exposure_days, "exposure_days",
                             "" if rate is None else rate, "observational"])
    imp, adh, sta = report.improvement, report.adherence, report.stability
    for figure, count, whole, unit, value in (
            ("lower_regions_improved", imp.improved, imp.reassessed, "reassessed_clients", imp.share_improved),
            ("lower_regions_worsened", imp.worsened, imp.reassessed, "reassessed_clients", None),
            ("recommendations_accepted", adh.accepted, adh.responses, "responses", adh.share_accepted),
            ("recommendations_overridden", adh.overridden, adh.responses, "responses", None),
            ("clients_without_placement_move", sta.without_move, sta.clients, "clients_in_placement",
             sta.share_stable)):
        writer.writerow([figure, "all", report.setting or "all", "", count, whole, unit,
                         "" if value is None else value, "observational"])
    return buffer.getvalue()


def rate_chart(report: ProgramReport, events=CHARTED) -> str:
    labels = [c.month for c in report.months]
    series = {f"{LABELS[e]} per {report.rates_per} bed-days": [c.rates[e] for c in report.months]
              for e in events}
    notes = {f"{LABELS[e]} per {report.rates_per} bed-days":
             [f"{c.month}: {c.events[e]} / {c.exposure_days:,} bed-days" for c in report.months]
             for e in events}
    title = " and ".join(LABELS[e] for e in events).capitalize() + " rates by month"
    return line_chart(title, labels, series, f"per {report.rates_per} bed-days",
                      [c.exposure_days for c in report.months], "bed-days", notes)


def _table(report: ProgramReport) -> str:
    head = "".join(f"<th>{escape(LABELS[e])}<br><small>n (rate)</small></th>" for e in EVENTS)
    rows = []
    for cell in [*report.months, *report.settings, report.total]:
        values = "".join(f"<td>{cell.events[e]} ({escape(_rate(cell.rates[e]))})</td>" for e in EVENTS)
        rows.append(f"<tr><th>{escape(cell.month)}</th><td>{escape(cell.setting)}</td>"
                    f"<td>{cell.exposure_days:,}</td>{values}</tr>")
    return (f"<table class=\"rates\"><thead><tr><th>Month</th><th>Setting</th><th>Bed-days "
            f"(denominator)</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def report_body(report: ProgramReport) -> str:
    """The report's content, for the CLI's page and the web page alike (no style, no script)."""
    where = f"setting {report.setting}" if report.setting else "every setting"
    summary = "".join(f"<li>{escape(line)}</li>" for line in summary_lines(report))
    return (f"<p class=\"period\">{escape(report.period_from)} to {escape(report.period_to)}, "
            f"{escape(where)}; audit store records 1 to {report.store_head}.</p>"
            f"<p class=\"caveat\" role=\"note\"><strong>Observational, uncontrolled figures.</strong> "
            f"{escape(report.caveat)}</p>"
            f"<figure>{rate_chart(report)}<figcaption>Rates per {report.rates_per} bed-days by month; "
            "grey bars: the bed-days (denominator) of each month.</figcaption></figure>"
            f"<figure>{rate_chart(report, ('placement_move', 'missing_episode'))}</figure>"
            f"<h2>Clients</h2><ul>{summary}</ul><h2>Events and rates by month and setting</h2>"
            f"{_table(report)}")


STYLE = ("body{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#222}"
         ".caveat{background:#fff4d6;border-left:4px solid #e0a800;padding:.5rem .75rem}"
         "table{border-collapse:collapse;font-size:.8rem}td,th{border:1px solid #ccc;padding:2px 6px;"
         "text-align:right}figure{margin:1rem 0}svg{max-width:100%;height:auto}")


def render_html(report: ProgramReport) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>Groundwork program report</title>"
            f"<style>{STYLE}</style></head>\n<body>\n<h1>Program report</h1>\n"
            f"{report_body(report)}\n</body></html>\n")
