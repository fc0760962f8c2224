"""HTML fragments of an explanation (why / why not), for the report's collapsible sections.

Every value is escaped; truth is shown as a word and a mark, never by colour alone.
"""

from __future__ import annotations

from html import escape

from explain.conditions import line
from explain.models import (Check, DerivedFact, FactValue, Gate, RuleEvidence, RuleMiss,
                            ScoreEvidence, Why, WhyNot)


def e(value) -> str:
    return escape(str(value), quote=True)


def _verdict(holds: bool) -> str:
    return ('<span class="yes">&#10003; true</span>' if holds
            else '<span class="no">&#10007; false</span>')


def check_html(check: Check) -> str:
    if check.combine == "fact":
        text = f"{check.fact} = {check.actual}, required {check.required}"
        return f"<li><code>{e(text)}</code>: {_verdict(check.holds)}</li>"
    head = {"all": "all of these", "any": "at least one of these", "not": "not this"}[check.combine]
    parts = "".join(check_html(p) for p in check.parts)
    return f"<li>{head}: {_verdict(check.holds)}<ul>{parts}</ul></li>"


def conditions_html(check: Check) -> str:
    parts = check.parts if check.combine == "all" else (check,)
    return '<ul class="checks">' + "".join(check_html(p) for p in parts) + "</ul>"


def rule_html(rule: RuleEvidence, lead: str = "Rule") -> str:
    out = [f'<div class="rule"><p><strong>{e(lead)} <code>{e(rule.rule)}</code> {e(rule.version)}'
           f"</strong>: {e(rule.title)}</p>",
           f'<p class="meta">{e(rule.rationale)} Source: {e(rule.source)}. Evidence: '
           f"{e(rule.evidence.replace('_', ' '))}. Status: {e(rule.status)}. "
           f"Written at <code>{e(rule.location)}</code>.</p>"]
    if rule.says:
        out.append(f'<p class="meta">It says: <code>{e("; ".join(rule.says))}</code></p>')
    verdict = "It fired because:" if rule.conditions.holds else "Its conditions now:"
    out.append(f"<p>{verdict}</p>{conditions_html(rule.conditions)}")
    out += [derived_html(f) for f in rule.derived_facts]
    return "".join(out) + "</div>"


def derived_html(fact: DerivedFact) -> str:
    state = "is a derived fact" if fact.derived else "is not derived for this client"
    out = [f'<div class="derived"><p><code>{e(fact.fact)}</code> {state}: {e(fact.description)}</p>']
    out += [rule_html(r, "Derived by rule") for r in fact.derived_by]
    if fact.could_derive:
        out.append("<ul>" + "".join(miss_html(m) for m in fact.could_derive) + "</ul>")
    return "".join(out) + "</div>"


def miss_html(miss: RuleMiss) -> str:
    reasons = ([f"<code>{e(line(miss.first_failing))}</code>"] if miss.first_failing else []) + \
        ([e(miss.note)] if miss.note else [])
    chain = derived_html(miss.derived_fact) if miss.derived_fact else ""
    return (f"<li>Rule <code>{e(miss.rule)}</code> {e(miss.version)} ({e(miss.title)}) did not "
            f"fire: {'; '.join(reasons)}{chain}</li>")


def gate_html(gate: Gate) -> str:
    mark = ('<span class="yes">&#10003; passed</span>' if gate.passed
            else '<span class="no">&#10007; holds it back</span>')
    return f"<li>{mark}: {e(gate.text)} Now: <code>{e(gate.value)}</code>.</li>"


def values_html(scores: tuple[ScoreEvidence, ...], facts: tuple[FactValue, ...]) -> str:
    if not scores and not facts:
        return ""
    out = ["<p>Where the values come from:</p><ul>"]
    for score in scores:
        value = "no score" if score.score is None else f"score {score.score:.2f}"
        ratings = ", ".join(f"{r.item} {r.value if r.value is not None else r.meaning}"
                            for r in score.ratings)
        out.append(f"<li><strong>{e(score.name)}</strong> band <strong>{e(score.band)}</strong> "
                   f"({e(score.kind)}): {e(value)}; {e(score.band_rule)}. "
                   f'<span class="meta">Ratings: {e(ratings)}.</span></li>')
    for fact in facts:
        out.append(f"<li><code>{e(fact.fact)} = {e(fact.value)}</code>: {e(fact.origin)}.</li>")
    return "".join(out) + "</ul>"


def why_html(why: Why) -> str:
    seq = why.sequencing
    out = [f"<p>{e(why.summary)}</p>"]
    out += [rule_html(r) for r in why.rules]
    out.append(values_html(why.scores, why.facts))
    order = f"It is activity {seq.position} of {seq.of}. Start order: {seq.order_rule}."
    if seq.starts_after:
        order += f" It starts after {', '.join(seq.starts_after)}."
    out.append(f"<p>Why here and now: it targets the {e(seq.target_region)}, so it belongs to "
               f"{e(seq.phase)}. {e(order)}</p>")
    out.append('<ul class="gates">' + "".join(gate_html(g) for g in seq.gates) + "</ul>")
    if seq.dose_notes:
        out.append("<p>Dose changed: " + e("; ".join(seq.dose_notes)) + ".</p>")
    return "".join(out)


def why_not_html(answer: WhyNot) -> str:
    out = [f"<p>{e(answer.summary)}</p>"]
    lead = {"avoided": "Avoided by rule", "not_suitable": "Recommended by rule"}
    out += [rule_html(r, lead.get(answer.status, "Rule")) for r in answer.rules]
    out += [rule_html(r, "Overruled (avoid wins): rule") for r in answer.overridden]
    if answer.candidates:
        out.append("<p>Rules that could recommend it:</p><ul>"
                   + "".join(miss_html(m) for m in answer.candidates) + "</ul>")
    if answer.gates:
        out.append("<p>Constraints checked (the one that holds it back first):</p>"
                   '<ul class="gates">' + "".join(gate_html(g) for g in answer.gates) + "</ul>")
    out.append(values_html(answer.scores, answer.facts))
    return "".join(out)
