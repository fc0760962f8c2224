"""One assessment through every stage: facts → rules → sequence → plan."""

from __future__ import annotations

from dsl.checked import CheckedKnowledgeBase
import hashlib
import json

import rfc8785
from dataclasses import dataclass

from engine import __version__
from engine.decisions import Decisions
from engine.facts import ClientFacts, build_facts
from engine.models import Assessment
from engine.plan import Plan, Provenance
from engine.runtime import Firing, runner_for
from engine.sequence import Sequencer, gather


@dataclass(frozen=True)
class Outcome:
    """A plan together with everything needed to explain it."""

    plan: Plan
    facts: ClientFacts
    firings: tuple[Firing, ...]
    derived: dict[str, tuple[str, ...]]
    assessment: Assessment
    decisions: Decisions  # what the sequencer decided for each intervention, and why


HASH_FORMAT = 2  # how inputs (and audit records, engine/audit/chain.py) are hashed; see below


def canonical_json(raw) -> str:
    """RFC 8785 JSON canonicalisation (JCS, the `rfc8785` package): sorted keys, no whitespace,
    numbers as ECMAScript writes them, so that 1.0 and 1 give the same text and the same hash."""
    return rfc8785.dumps(raw).decode("utf-8")


def canonical_json_v1(raw) -> str:
    """Hash format 1 (stores written before RFC 8785): Python's sorted-key JSON, 1.0 and 1 apart.
    Kept so that records written with it still verify and replay."""
    return json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def input_hash(raw, hash_format: int = HASH_FORMAT) -> str:
    text = canonical_json_v1(raw) if hash_format == 1 else canonical_json(raw)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def provenance_for(kb: CheckedKnowledgeBase, raw, drafts: bool = False,
                   hash_format: int = HASH_FORMAT) -> Provenance:
    """What produced a plan: the knowledge base, its instrument, the engine and the input."""
    return Provenance(kb_name=kb.name, kb_version=kb.version, kb_hash=kb.content_hash,
                      engine_version=__version__, input_hash=input_hash(raw, hash_format),
                      drafts=drafts, instrument_name=kb.instrument.name,
                      instrument_version=kb.instrument.version)


def assess(assessment: Assessment, raw: dict, kb: CheckedKnowledgeBase, drafts: bool = False,
           hash_format: int = HASH_FORMAT) -> Outcome:
    """The plan for one assessment. `hash_format`: how its input hash is made (a replay of a
    record gives the record's own)."""
    facts = build_facts(assessment, kb)
    firings, derived = runner_for(kb, drafts).run(facts.values)
    provenance = provenance_for(kb, raw, drafts, hash_format)
    sequencer = Sequencer(kb, assessment, facts, derived)
    plan, decisions = sequencer.decide(gather(kb, firings), provenance)
    return Outcome(plan, facts, firings, derived, assessment, decisions)


def plan_json(plan: Plan) -> str:
    """The plan as JSON text: same plan, same bytes."""
    return json.dumps(plan.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
