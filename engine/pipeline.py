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
    numbers as ECMAScript writes them, so that 1.0 and 1 give the same text and the same hash.

    For JSON without fractions (strings, safe integers, booleans, null, ASCII keys: what an
    assessment and a record's small fields hold) the standard library's encoder writes exactly
    those bytes, about twenty times faster than the pure-Python canonicaliser, which every
    assessment would otherwise pay; anything else goes through `rfc8785`. A property test
    (tests/test_canonical_json.py) holds the two equal on that domain."""
    if _plain_json(raw):
        return json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return rfc8785.dumps(raw).decode("utf-8")


_SAFE_INTEGER = 2**53 - 1  # beyond it RFC 8785 refuses the number: let rfc8785 say so


def _plain_json(value) -> bool:
    """JSON on which sorted-key `json.dumps` is RFC 8785: no floats, integers within the safe
    range, text that is valid Unicode, keys that sort alike by code point and by UTF-16 unit."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and not _valid_unicode(item):
                return False
        elif item is None or isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not -_SAFE_INTEGER <= item <= _SAFE_INTEGER:
                return False
        elif isinstance(item, dict):
            for key in item:
                if not isinstance(key, str) or not key.isascii():
                    return False
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:  # a float, a tuple, anything json.loads would not give
            return False
    return True


def _valid_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


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


Matched = tuple[tuple[Firing, ...], dict[str, tuple[str, ...]]]  # firings, derived facts


def assess(assessment: Assessment, raw: dict, kb: CheckedKnowledgeBase, drafts: bool = False,
           hash_format: int = HASH_FORMAT, facts: ClientFacts | None = None,
           matched: Matched | None = None) -> Outcome:
    """The plan for one assessment. `hash_format`: how its input hash is made (a replay of a
    record gives the record's own). `facts` and `matched`: the client's facts, and what the
    rules fired on them, where the caller has them already (the impact diff assesses a case
    under two knowledge bases whose facts agree, groundwork/trainer/impact.py)."""
    facts = facts if facts is not None else build_facts(assessment, kb)
    firings, derived = matched if matched is not None else runner_for(kb, drafts).run(facts.values)
    provenance = provenance_for(kb, raw, drafts, hash_format)
    sequencer = Sequencer(kb, assessment, facts, derived)
    plan, decisions = sequencer.decide(gather(kb, firings), provenance)
    return Outcome(plan, facts, firings, derived, assessment, decisions)


def plan_json(plan: Plan) -> str:
    """The plan as JSON text: same plan, same bytes. pydantic's serialiser writes what
    `json.dumps(plan.model_dump(mode="json"), indent=2, ensure_ascii=False)` writes (a property
    test holds them equal, tests/test_plan_json.py), about six times faster: the standard
    library indents in pure Python, and every plan of a batch or a replay passes here."""
    return plan.model_dump_json(indent=2) + "\n"
