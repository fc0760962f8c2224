"""What the sequencer decided, and why, as data.

The sequencer (engine/sequence.py) returns these records beside the plan: for every intervention
it considered, the decision (active, deferred, avoided, not suitable, or not proposed when a rule
only deferred it), the constraint that decided it, the gate as a condition with the client's values
that hold it shut, and the rules behind it; and for every phase, the region and arousal gates that
hold its work back. Explanations (explain/) only format these records; they never ask the engine
again. None of this is part of the plan's JSON, which stays as docs/output.md describes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

from dsl import ast
from dsl.checked import CheckedRule
from dsl.vocabulary import Phase


class Status(str, Enum):
    ACTIVE = "active"
    DEFERRED = "deferred"
    AVOIDED = "avoided"
    NOT_SUITABLE = "not suitable"
    NOT_PROPOSED = "not proposed"  # a rule deferred it, but no rule recommended it
    MENU = "menu"  # could be active, but over the load budget: on the plan's menu


# The constraint that decided, in the sequencer's order of precedence; "phase" for active work.
DecisionKind = Literal["avoid", "contraindication", "age_range", "developmental_age", "settings", "rule", "budget",
                       "region", "arousal", "prerequisite", "protocol", "phase", "no_recommendation"]
GateKind = Literal["rule", "region", "arousal", "prerequisite", "protocol"]


@dataclass
class Findings:
    """What the fired rules said, gathered per intervention (engine.sequence.gather)."""

    recommends: dict[str, list[tuple[CheckedRule, ast.Recommend]]] = field(default_factory=dict)
    avoids: dict[str, list[tuple[CheckedRule, ast.Avoid]]] = field(default_factory=dict)
    defers: dict[str, list[tuple[CheckedRule, ast.Defer]]] = field(default_factory=dict)
    flags: dict[str, list[tuple[CheckedRule, ast.Flag]]] = field(default_factory=dict)
    no_action: list[tuple[CheckedRule, ast.NoAction]] = field(default_factory=list)
    scales: dict[str, list[tuple[str, ast.ScaleDose]]] = field(default_factory=dict)
    guides: list[tuple[CheckedRule, ast.Guide]] = field(default_factory=list)


@dataclass(frozen=True)
class Gate:
    """A constraint holding work back: what must become true, the client's values now."""

    kind: GateKind
    needs: str  # in plain words: "limbic is mild or better", "the client is calm or alert"
    condition: ast.Condition | None  # the same as a condition (None: a prerequisite, not a fact)
    holding: tuple[tuple[str, str], ...]  # (fact, value) pairs that keep it shut
    holding_text: str  # the same as the plan shows it
    rules: tuple[str, ...] = ()  # the rules whose `defer … until` this is

    @property
    def text(self) -> str:
        """The gate as the plan shows it: "until limbic is mild or better"."""
        return f"until {self.needs}"


@dataclass(frozen=True)
class PhaseGates:
    """Why work of a phase waits, whatever the intervention: None when that gate is open."""

    phase: Phase
    region: Gate | None
    arousal: Gate | None


@dataclass(frozen=True)
class Decision:
    """The sequencer's decision on one intervention it considered."""

    intervention: str
    status: Status
    kind: DecisionKind
    rules: tuple[str, ...]  # the rules behind the decision, as the plan lists them
    proposed_by: tuple[str, ...]  # the rules that recommended it
    reason: str = ""  # avoided or not suitable: why
    gate: Gate | None = None  # deferred: the gate that holds it
    rule_gate: Gate | None = None  # a `defer … until` that holds it shut, whatever decided
    settings: tuple[str, ...] = ()  # where it could be delivered for this client


@dataclass(frozen=True)
class Decisions:
    """Every decision of one sequencing run, with what the fired rules said (the findings)."""

    by_intervention: dict[str, Decision]
    phases: dict[Phase, PhaseGates]
    findings: Findings = field(repr=False)

    def get(self, intervention: str) -> Decision | None:
        return self.by_intervention.get(intervention)
