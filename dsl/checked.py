"""The checked knowledge base: what the checker returns once every pass found no error.

Parse, don't validate: the parser's AST says what a file *may* hold (a rule header field may be
missing, an intervention may lack a dose), and the checker reports every such gap. Once it has
passed, `checked()` turns the knowledge base into these narrower types, whose fields are no longer
optional, so that the engine and the explanations (which accept only `CheckedKnowledgeBase`)
never test for None again and the type checker proves it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from dsl import ast
from dsl.instrument import Instrument
from dsl.kb import KnowledgeBase

if TYPE_CHECKING:
    from dsl.compile import CompiledKnowledgeBase

DEFAULT_REVIEW_WEEKS = 6  # DESIGN.md's standard review interval when a KB declares none


@dataclass(frozen=True)
class CheckedRule(ast.Rule):
    """A rule whose header is complete (E120 guarantees every field)."""

    version: str = ""
    title: str = ""
    status: str = ""
    evidence: str = ""
    source: str = ""
    author: str = ""
    rationale: str = ""


@dataclass(frozen=True)
class CheckedIntervention(ast.Intervention):
    """A catalog entry with every required field (E150 guarantees them)."""

    name: str = ""
    region: str = ""
    modality: str = ""
    dose: ast.Dose = ast.Dose(1, "week", 0, (), ast.Pos("<unset>", 0, 0))
    source: str = ""


@dataclass(frozen=True, kw_only=True)
class CheckedKnowledgeBase(KnowledgeBase):
    """A knowledge base that passed every check: the only kind the engine and explain accept."""

    instrument: Instrument
    review: ast.ReviewDecl
    interventions: dict[str, CheckedIntervention]  # type: ignore[assignment]  # narrower, read-only
    rules: tuple[CheckedRule, ...]

    def rule(self, rule_id: str) -> CheckedRule | None:
        return self._index("_rule_index", self.rules, "id").get(rule_id)

    def fired_rule(self, rule_id: str) -> CheckedRule:
        """A rule known to exist (it fired, or a plan names it); KeyError otherwise."""
        return self._index("_rule_index", self.rules, "id")[rule_id]

    def active_rules(self, drafts: bool = False) -> tuple[CheckedRule, ...]:
        allowed = {"approved", "draft"} if drafts else {"approved"}
        return tuple(r for r in self.rules if r.status in allowed)

    def compiled(self, drafts: bool = False) -> CompiledKnowledgeBase:
        """The active rules as durable-rules rulesets, compiled once per knowledge base. The
        knowledge-base cache stores the approved rules' form with the rest, so that a cold
        process neither compiles nor imports the graph library compiling needs."""
        forms: dict[bool, CompiledKnowledgeBase] = self.kept("_compiled_forms", lambda _: {})
        if drafts not in forms:
            from dsl.compile import compile_knowledge_base  # compile imports this module
            forms[drafts] = compile_knowledge_base(self, drafts)
        return forms[drafts]


REQUIRED = {
    "CheckedRule": ("version", "title", "status", "evidence", "source", "author", "rationale"),
    "CheckedIntervention": ("name", "region", "modality", "dose", "source"),
}


def _narrow(value, kind):
    """The same node as its checked type (the checker has ruled out every None)."""
    present = {f.name: getattr(value, f.name) for f in fields(value)}
    missing = [name for name in REQUIRED[kind.__name__] if present[name] is None]
    if missing:  # only if a pass stopped guaranteeing a field: fail here, loudly, not later
        raise ValueError(f"{type(value).__name__} {present['id']!r} was checked without {missing}")
    return kind(**present)


def checked(kb: KnowledgeBase, instrument: Instrument) -> CheckedKnowledgeBase:
    """The knowledge base as its checked type; call only after every pass found no error."""
    values = {f.name: getattr(kb, f.name) for f in fields(kb)}
    values |= {
        "instrument": instrument,
        "review": kb.review or ast.ReviewDecl(DEFAULT_REVIEW_WEEKS, None, ast.Pos("<default>", 0, 0)),
        "interventions": {k: _narrow(v, CheckedIntervention) for k, v in kb.interventions.items()},
        "rules": tuple(_narrow(r, CheckedRule) for r in kb.rules),
    }
    return CheckedKnowledgeBase(**values)

