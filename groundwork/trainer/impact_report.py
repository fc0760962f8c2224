"""Impact analysis as text (per case, then a summary table) or as JSON."""

from __future__ import annotations

from dsl.checked import CheckedKnowledgeBase
import io

from rich import box
from rich.console import Console
from rich.table import Table

from groundwork.trainer.impact import KINDS, CaseImpact
from groundwork.trainer.subjects import rule_changes

MARK = {"added": "+", "removed": "-", "moved": "~"}


def _kb_line(label: str, shown: str, kb: CheckedKnowledgeBase) -> str:
    return f"{label}: {shown} ({kb.name} {kb.version}, {kb.content_hash[:12]})"


def render_text(cases: list[CaseImpact], base: CheckedKnowledgeBase, head: CheckedKnowledgeBase,
                base_shown: str, head_shown: str, screened: str = "") -> str:
    lines = [_kb_line("base", base_shown, base), _kb_line("head", head_shown, head)]
    for kind, rules in rule_changes(base, head).items():
        lines.append(f"rules {kind}: " + (", ".join(rules) if rules else "none"))
    unchanged = [case for case in cases if not case.changes]
    for case in cases:
        if not case.changes:
            continue
        lines.append("")
        name = f"{case.case} ({case.source})" if case.source else case.case
        lines.append(f"{name}:")
        for change in case.changes:
            mark = MARK.get(change.kind, "!")
            lines.append(f"  {mark} {change.kind:<18} {change.subject}: {change.detail}")
            if change.rules:
                lines.append(f"    {'':<18} rules: {', '.join(change.rules)}")
    lines.append("")
    if unchanged:
        lines.append(f"no change: {len(unchanged)} case{'s' if len(unchanged) != 1 else ''} "
                     "(--format json lists every case)")
        lines.append("")
    if screened:
        lines += [screened, ""]
    return "\n".join(lines) + "\n" + summary_table(cases)


def screen_line(run) -> str:
    """What the screen spared (groundwork/trainer/screen.py), for the text report's last line."""
    total = len(run.cases)
    if run.screen.everything:
        return (f"{total} case{'s' if total != 1 else ''} assessed under both knowledge bases "
                "(the change reaches beyond the rules, or --full)")
    return (f"{run.assessed} of {total} case{'s' if total != 1 else ''} assessed again: no "
            f"changed rule ({', '.join(run.screen.changed_rules) or 'none'}) can fire, or fire "
            f"differently, for the other {run.screened_out}")


def counts(case: CaseImpact) -> dict[str, int]:
    out = {kind: 0 for kind in KINDS}
    for change in case.changes:
        out[change.column] += 1
    return out


def summary_table(cases: list[CaseImpact]) -> str:
    table = Table(title="Impact summary (cases that changed)", box=box.SIMPLE_HEAVY,
                  title_justify="left")
    table.add_column("case", overflow="fold")
    for kind in KINDS:
        table.add_column(kind, justify="right")
    totals = {kind: 0 for kind in KINDS}
    for case in cases:
        row = counts(case)
        for kind in KINDS:
            totals[kind] += row[kind]
        if case.changes:
            table.add_row(case.case, *(str(row[k]) for k in KINDS))
    changed = sum(1 for c in cases if c.changes)
    table.add_row(f"{changed} of {len(cases)} cases changed", *(str(totals[k]) for k in KINDS),
                  style="bold")
    buffer = io.StringIO()
    Console(file=buffer, width=120, color_system=None, force_terminal=False,
            legacy_windows=False).print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def render_json(cases: list[CaseImpact], base: CheckedKnowledgeBase, head: CheckedKnowledgeBase) -> dict:
    def kb_info(kb):
        return {"name": kb.name, "version": kb.version, "kb_hash": kb.content_hash}
    return {
        "base": kb_info(base), "head": kb_info(head), "rules": rule_changes(base, head),
        "cases": [{"case": c.case, "changes": [
            {"kind": ch.kind, "subject": ch.subject, "detail": ch.detail, "rules": list(ch.rules)}
            for ch in c.changes], "counts": counts(c)} for c in cases],
    }
