"""Completion, hover, go to definition and document symbols over the model of a knowledge base.

Plain functions of (model, text, position): the language server (server.py) only translates them
to and from the protocol. Positions here are 0-based (line, character), as in the protocol.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dsl import ast
from dsl.kb import KnowledgeBase
from dsl.recovery import TOP_LEVEL, block_starts, parse_recovering
from dsl.vocabulary import (DELIVERERS, EVIDENCE_LEVELS, INSUFFICIENT, MODALITIES, RULE_STATUSES,
                            SENSITIVITIES, SETTINGS, SEVERITY_OF_FLAG, Kind, Phase)

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*")
RULE_FIELDS = ("version", "title", "status", "evidence", "source", "author", "rationale", "when")
INTERVENTION_FIELDS = ("name", "description", "region", "phase", "modality", "dose", "settings",
                       "min_developmental_age", "requires", "contraindicated", "source")
ACTIONS = ("recommend", "avoid", "defer", "flag", "derive", "no action needed because",
           "scale dose of")
CONDITION_WORDS = ("and", "or", "not", "in", "between", "has", "then")


@dataclass(frozen=True)
class Item:
    label: str
    kind: str  # keyword | intervention | rule | fact | region | domain | value
    detail: str = ""


def word_at(text: str, line: int, character: int) -> str | None:
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return None
    for match in WORD.finditer(lines[line]):
        if match.start() <= character <= match.end():
            return match.group(0)
    return None


def _block_kind(text: str, line: int) -> str:
    """The keyword of the top-level block the line lies in ('' outside any)."""
    lines = text.split("\n")
    for number in range(min(line, len(lines) - 1), -1, -1):
        match = re.match(r"(%s)\b" % "|".join(TOP_LEVEL), lines[number])
        if match:
            return match.group(1)
    return ""


def facts(kb: KnowledgeBase) -> dict[str, tuple[str, str]]:
    """Every fact a condition may test, from the fact registry (dsl/facts.py) and the knowledge
    base's derived facts: path -> (description, scale and where the value comes from)."""
    out = {}
    for path, fact_type in kb.fact_types().items():
        scale = fact_type.scale + ((INSUFFICIENT,) if fact_type.kind is Kind.BAND else ())
        shown = ", ".join(scale or fact_type.members) or fact_type.kind.value
        out[path] = (fact_type.description,
                     f"{fact_type.kind.value}: {shown}; from {fact_type.origin}")
    for name, declaration in kb.facts.items():
        out[name] = (declaration.description, "derived fact: true once a rule derives it")
    return out


def complete(kb: KnowledgeBase | None, text: str, line: int, character: int) -> list[Item]:
    lines = text.split("\n")
    before = lines[line][:character] if 0 <= line < len(lines) else ""
    words = before.split()
    last = words[-1] if words and before.endswith((" ", "\t")) else (words[-2] if len(words) > 1 else "")
    if kb is None:
        return [Item(k, "keyword") for k in TOP_LEVEL]
    interventions = [Item(i, "intervention", iv.name or "") for i, iv in
                     sorted(kb.interventions.items())]
    by_keyword = {
        "recommend": interventions, "avoid": interventions, "defer": interventions,
        "requires": interventions, "of": [Item(p.value, "value") for p in Phase],
        "derive": [Item(n, "fact", d.description) for n, d in sorted(kb.facts.items())],
        "primary": [Item(r.name, "region", r.description) for r in kb.regions],
        "modality": [Item(m, "value") for m in MODALITIES],
        "settings": [Item(s, "value") for s in SETTINGS],
        "contraindicated": [Item(s, "value") for s in SENSITIVITIES],
        "status": [Item(s, "value") for s in RULE_STATUSES],
        "evidence": [Item(e, "value") for e in EVIDENCE_LEVELS],
        "phase": [Item(p.value, "value") for p in Phase],
        "by": [Item(d, "value") for d in DELIVERERS],
        "or": [Item(d, "value") for d in DELIVERERS] if " by " in before else None,
        "flag": [Item(s, "value") for s in SEVERITY_OF_FLAG],
        "rule": [], "intervention": [], "fact": [],
    }
    if last == "region" and _block_kind(text, line) == "intervention":
        return [Item(r.name, "region", r.description) for r in kb.regions]
    keyword_items = by_keyword.get(last)
    if keyword_items is not None:
        return keyword_items
    value_items = _values_after_comparison(kb, before)
    if value_items is not None:
        return value_items
    if last in ("when", "until", "and", "or", "not", "(") or before.rstrip().endswith("("):
        return _fact_items(kb)
    if not before.strip():
        kind = _block_kind(text, line)
        indented = line > 0 and lines[line][:1].isspace() if line < len(lines) else False
        if kind == "rule" and (indented or not lines[line].strip()):
            return [Item(k, "keyword") for k in RULE_FIELDS + ("then",) + ACTIONS]
        if kind == "intervention" and indented:
            return [Item(k, "keyword") for k in INTERVENTION_FIELDS]
        return [Item(k, "keyword") for k in TOP_LEVEL]
    return _fact_items(kb) + [Item(w, "keyword") for w in CONDITION_WORDS]


def _fact_items(kb: KnowledgeBase) -> list[Item]:
    return [Item(path, "fact", f"{description} ({scale})")
            for path, (description, scale) in sorted(facts(kb).items())]


def _values_after_comparison(kb: KnowledgeBase, before: str) -> list[Item] | None:
    """The values of a fact's scale after `PATH <op> `, `PATH in {` or `PATH has `."""
    match = re.search(r"([A-Za-z_][\w.-]*)\s*(>=|<=|!=|=|<|>|in\s*\{[^}]*|has)\s*$", before)
    if match is None:
        return None
    fact_type = kb.fact_types().get(match.group(1))
    if fact_type is None:
        return [] if match.group(2) == "has" else None
    if match.group(2) == "has":
        values = fact_type.members
    elif fact_type.kind is Kind.BOOL:
        values = ("true", "false")
    else:
        values = fact_type.scale + ((INSUFFICIENT,) if fact_type.kind is Kind.BAND else ())
    return [Item(v, "value", fact_type.description) for v in values]


def hover(kb: KnowledgeBase | None, text: str, line: int, character: int) -> str | None:
    """Markdown for the word under the cursor: a fact, an intervention, a rule, a region."""
    word = word_at(text, line, character)
    if kb is None or word is None:
        return None
    known = facts(kb)
    if word in known:
        description, scale = known[word]
        return f"**{word}** — {description}\n\n{scale}"
    if word in kb.interventions:
        return intervention_card(kb, kb.interventions[word])
    rule = kb.rule(word)
    if rule is not None:
        return rule_card(rule)
    for declaration in kb.regions + kb.domains:
        if declaration.name == word:
            kind = "region" if isinstance(declaration, ast.RegionDecl) else "domain"
            return f"**{word}** ({kind}) — {declaration.description}"
    return None


def intervention_card(kb: KnowledgeBase, iv: ast.Intervention) -> str:
    phase = kb.region(iv.region).phase if iv.region in kb.region_names else iv.phase
    dose = iv.dose
    lines = [f"**{iv.name or iv.id}** (`{iv.id}`)", ""]
    if iv.description:
        lines += [iv.description, ""]
    lines.append(f"- region: {iv.region} ({phase}); modality: {iv.modality}")
    if dose is not None:
        lines.append(f"- dose: {dose.frequency} per {dose.period}, {dose.minutes} minutes, by "
                     + " or ".join(dose.delivered_by))
    lines.append(f"- settings: {', '.join(iv.settings)}")
    if iv.min_developmental_age_months:
        lines.append(f"- from developmental age {iv.min_developmental_age_months} months")
    if iv.requires:
        lines.append(f"- requires: {', '.join(iv.requires)}")
    if iv.contraindicated:
        lines.append(f"- contraindicated: {', '.join(iv.contraindicated)}")
    lines.append(f"- source: {iv.source}")
    return "\n".join(lines)


def rule_card(rule: ast.Rule) -> str:
    return "\n".join([
        f"**rule {rule.id}** — {rule.title}", "",
        f"- version {rule.version}, {rule.status}; evidence: {rule.evidence}",
        f"- author: {rule.author}", f"- source: {rule.source}", "", f"{rule.rationale}"])


def definition(kb: KnowledgeBase | None, text: str, line: int, character: int) -> ast.Pos | None:
    word = word_at(text, line, character)
    if kb is None or word is None:
        return None
    if word in kb.interventions:
        return kb.interventions[word].pos
    rule = kb.rule(word)
    if rule is not None:
        return rule.pos
    if word in kb.facts:
        return kb.facts[word].pos
    for declaration in kb.regions + kb.domains:
        if declaration.name == word:
            return declaration.pos
    return None


@dataclass(frozen=True)
class Symbol:
    name: str
    kind: str  # rule | intervention | region | domain | fact | declaration
    detail: str
    start: int  # 1-based lines of the whole block
    end: int
    selection: ast.Pos


def symbols(text: str, path: str) -> list[Symbol]:
    """The declarations of one file, each with the lines of its block."""
    source = parse_recovering(text, path).source
    starts = block_starts(text) + [len(text.split("\n")) + 1]
    out = []
    for item in source.items:
        start = max((s for s in starts if s <= item.pos.line), default=item.pos.line)
        following = [s for s in starts if s > item.pos.line]
        end = (following[0] - 1) if following else item.pos.line
        while end > start and not text.split("\n")[end - 1].strip():
            end -= 1
        name, kind, detail = _describe(item)
        out.append(Symbol(name, kind, detail, start, end, item.pos))
    return out


def _describe(item) -> tuple[str, str, str]:
    if isinstance(item, ast.Rule):
        return item.id, "rule", item.title or ""
    if isinstance(item, ast.Intervention):
        return item.id, "intervention", item.name or ""
    if isinstance(item, ast.RegionDecl):
        return item.name, "region", item.phase
    if isinstance(item, ast.DomainDecl):
        return item.name, "domain", item.primary_region
    if isinstance(item, ast.FactDecl):
        return item.name, "fact", item.description
    name = type(item).__name__.removesuffix("Decl").lower()
    return getattr(item, "name", None) or name, "declaration", ""
