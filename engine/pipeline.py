"""One assessment through every stage: facts → rules → sequence → plan."""

from __future__ import annotations

from dsl.checked import CheckedKnowledgeBase
import hashlib
import json
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


def canonical_json(raw) -> str:
    return json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def input_hash(raw) -> str:
    return hashlib.sha256(canonical_json(raw).encode("utf-8")).hexdigest()


def assess(assessment: Assessment, raw: dict, kb: CheckedKnowledgeBase, drafts: bool = False) -> Outcome:
    facts = build_facts(assessment, kb)
    firings, derived = runner_for(kb, drafts).run(facts.values)
    provenance = Provenance(kb_name=kb.name, kb_version=kb.version, kb_hash=kb.content_hash,
                            engine_version=__version__, input_hash=input_hash(raw), drafts=drafts,
                            instrument_name=kb.instrument.name, instrument_version=kb.instrument.version)
    sequencer = Sequencer(kb, assessment, facts, derived)
    plan, decisions = sequencer.decide(gather(kb, firings), provenance)
    return Outcome(plan, facts, firings, derived, assessment, decisions)


def plan_json(plan: Plan) -> str:
    """The plan as JSON text: same plan, same bytes."""
    return json.dumps(plan.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
