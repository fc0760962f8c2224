"""Explanations as plain text for clinicians: short sentences, the client's own values."""

from __future__ import annotations

import textwrap

from explain.conditions import line
from explain.models import (DerivedFact, FactValue, Gate, RuleEvidence, RuleMiss, ScoreEvidence,
                            Trace, Why, WhyNot)

DISCLAIMER = ("Decision support for a qualified clinician; never a substitute for clinical "
              "judgement. Not affiliated with the Neurosequential Network.")
WIDTH = 96


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, width=WIDTH, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_on_hyphens=False, break_long_words=False)


def sentence(text: str) -> str:
    """`text` ending with one full stop (or its own ? or !): reasons written in rule files end
    with one already, and must not get a second."""
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _words(value: str) -> str:
    return value.replace("_", " ")


def checks_block(check, indent: str) -> list[str]:
    """A condition tree: one line per test, `all`/`any`/`not` groups indented beneath."""
    if check.combine == "fact":
        return _wrap(line(check), indent)
    head = {"all": "all of these", "any": "at least one of these", "not": "not this"}[check.combine]
    out = _wrap(f"{head} ({'true' if check.holds else 'false'}):", indent)
    for part in check.parts:
        out += checks_block(part, indent + "  ")
    return out


def rule_block(rule: RuleEvidence, indent: str, lead: str = "Rule") -> list[str]:
    out = _wrap(f"{lead} {rule.rule} {rule.version}: {sentence(rule.title)}", indent)
    inner = indent + "  "
    out += _wrap(f"Why the rule says so: {sentence(rule.rationale)}", inner)
    out += _wrap(f"Source: {sentence(rule.source)} Evidence: {_words(rule.evidence)}. "
                 f"Status: {rule.status}. Written at {rule.location}.", inner)
    if rule.says:
        out += _wrap("It says: " + "; ".join(rule.says) + ".", inner)
    return out + _because(rule, inner)


def _because(rule: RuleEvidence, indent: str) -> list[str]:
    out = [indent + ("It fired because:" if rule.conditions.holds else "Its conditions now:")]
    out += _conditions(rule.conditions, indent + "  ")
    for fact in rule.derived_facts:
        out += derived_block(fact, indent)
    return out


def chain_block(rule: RuleEvidence, indent: str) -> list[str]:
    """A rule in a chain of derived facts: who it is and why it fired (its header is one query away)."""
    out = _wrap(f"Derived by rule {rule.rule} {rule.version}: {sentence(rule.title)}", indent)
    return out + _because(rule, indent + "  ")


def _conditions(check, indent: str) -> list[str]:
    if check.combine == "all":
        return [text for part in check.parts for text in checks_block(part, indent)]
    return checks_block(check, indent)


def derived_block(fact: DerivedFact, indent: str) -> list[str]:
    if fact.derived:
        out = _wrap(f"{fact.fact} is a derived fact: {sentence(fact.description)}", indent)
        for rule in fact.derived_by:
            out += chain_block(rule, indent + "  ")
        return out
    out = _wrap(f"{fact.fact} is not derived for this client: {sentence(fact.description)}", indent)
    for miss in fact.could_derive:
        out += miss_block(miss, indent + "  ", lead="Rule that could derive it:")
    return out


def miss_block(miss: RuleMiss, indent: str, lead: str = "Rule") -> list[str]:
    text = f"{lead} {miss.rule} {miss.version} ({sentence(miss.title)[:-1]}) did not fire: "
    reasons = ([line(miss.first_failing)] if miss.first_failing else []) + \
        ([miss.note] if miss.note else [])
    out = _wrap(text + "; ".join(reasons) + ".", indent)
    if miss.derived_fact is not None:
        out += derived_block(miss.derived_fact, indent + "  ")
    return out


def score_block(score: ScoreEvidence, indent: str) -> list[str]:
    value = "no score" if score.score is None else f"score {score.score:.2f}"
    out = _wrap(f"{score.name} band = {score.band} ({score.kind}): {value}; "
                f"{score.band_rule}.", indent)
    ratings = ", ".join(f"{r.item} {r.value if r.value is not None else r.meaning}"
                        for r in score.ratings)
    return out + _wrap(f"Ratings: {ratings}.", indent + "  ")


def values_block(scores: tuple[ScoreEvidence, ...], facts: tuple[FactValue, ...]) -> list[str]:
    if not scores and not facts:
        return []
    out = ["", "Where the values come from:"]
    for score in scores:
        out += score_block(score, "  ")
    for fact in facts:
        out += _wrap(f"{fact.fact} = {fact.value}: {fact.origin}.", "  ")
    return out


def gate_line(gate: Gate, indent: str) -> list[str]:
    verdict = "passed" if gate.passed else "holds it back"
    return _wrap(f"- {verdict}: {gate.text} Now: {sentence(str(gate.value))}", indent)


def render_why(why: Why) -> str:
    out = [f"Why {why.name} [{why.intervention}] for client {why.client_id}?"]
    out += _wrap(why.summary)
    for rule in why.rules:
        out.append("")
        out += rule_block(rule, "")
    out += values_block(why.scores, why.facts)
    seq = why.sequencing
    out += ["", "Why here and now:"]
    out += _wrap(f"It targets the {seq.target_region}, so it belongs to phase {seq.phase_number}, "
                 f"{seq.phase}.", "  ")
    order = f"It is activity {seq.position} of {seq.of}. Start order: {seq.order_rule}. " \
            f"Its priority is {seq.priority}."
    if seq.starts_after:
        order += f" It starts after {', '.join(seq.starts_after)}."
    out += _wrap(order, "  ")
    for gate in seq.gates:
        out += gate_line(gate, "  ")
    dose = seq.dose
    out += _wrap(f"Dose: {dose.frequency} per {dose.period}, {dose.minutes} minutes, by "
                 f"{_words(dose.delivered_by)}; in {', '.join(seq.settings)}.", "  ")
    for note in seq.dose_notes:
        out += _wrap(f"Dose changed: {sentence(note)}", "    ")
    return _finish(out)


def render_why_not(answer: WhyNot) -> str:
    out = [f"Why not {answer.name} [{answer.intervention}] for client {answer.client_id}?"]
    out += _wrap(answer.summary)
    lead = {"avoided": "Avoided by rule", "deferred": "Rule", "not_suitable": "Recommended by rule"}
    for rule in answer.rules:
        out.append("")
        out += rule_block(rule, "", lead=lead.get(answer.status, "Rule"))
    for rule in answer.overridden:
        out.append("")
        out += rule_block(rule, "", lead="Overruled (avoid wins): rule")
    if answer.candidates:
        out += ["", "Rules that could recommend it:"]
        for miss in answer.candidates:
            out += miss_block(miss, "  ", lead="-")
    if answer.gates:
        out += ["", "Constraints checked (the one that holds it back first):"]
        for gate in answer.gates:
            out += gate_line(gate, "  ")
    out += values_block(answer.scores, answer.facts)
    return _finish(out)


def render_trace(trace: Trace) -> str:
    return _finish(trace_lines(trace))


def trace_lines(trace: Trace) -> list[str]:
    out = [f"TRACE for client {trace.client_id}: {len(trace.firings)} firings ({trace.order})"]
    for firing in trace.firings:
        out += _wrap(f"{firing.index}. {firing.rule} {firing.version} "
                     f"(stratum {firing.stratum}, rule set {firing.ruleset})", "  ")
        if firing.matched:
            out += _wrap("matched: " + "; ".join(f"{m.fact} = {m.value}" for m in firing.matched),
                         "     ")
        if firing.joined:
            out += _wrap("joined: " + "; ".join(f"{m.fact} ({m.value})" for m in firing.joined),
                         "     ")
        if firing.asserted:
            out += _wrap("asserted: " + ", ".join(firing.asserted), "     ")
        out += _wrap("says: " + "; ".join(firing.actions), "     ")
    if trace.derived:
        out += _wrap("Derived facts: " + "; ".join(f"{m.fact} ({m.value})" for m in trace.derived),
                     "  ")
    return out


def _finish(lines: list[str]) -> str:
    return "\n".join(lines + ["", DISCLAIMER]) + "\n"
