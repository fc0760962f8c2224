"""What every analysis shares: the findings collected so far, the logic, and model conditions."""

from __future__ import annotations

from dataclasses import dataclass, field

from dsl import ast
from dsl.analysis.logic import Logic
from dsl.errors import Collector
from dsl.facts import AROUSAL_CURRENT, band_path
from dsl.vocabulary import AROUSAL_STATES, BANDS, PHASE_ORDER, Phase

MODEL = ast.Pos("<model>", 0, 0)  # position of conditions the analyses build from the model


@dataclass
class Analysis(Collector):
    """A collector that knows the knowledge base's logic and which rules take part.

    `related[i]` lists further positions a finding i concerns (the other rule of a conflict);
    a `# lint: allow CODE` comment at any of them silences it (see dsl/analysis/suppress.py).
    """

    solver: Logic | None = None  # set by dsl.analysis.analyse before any analysis runs
    rules: tuple[ast.Rule, ...] = ()
    related: dict[int, tuple[ast.Pos, ...]] = field(default_factory=dict)

    @property
    def logic(self) -> Logic:
        if self.solver is None:
            raise RuntimeError("an analysis ran before dsl.analysis.analyse set up the logic")
        return self.solver

    def add(self, code, message, pos=None, hint=None, severity=None, path="",
            related: tuple[ast.Pos, ...] = ()) -> None:
        severity = severity or ("warning" if code.startswith("W") else "error")
        super().add(code, message, pos, hint=hint, severity=severity, path=path)
        if related:
            self.related[len(self.diagnostics) - 1] = tuple(related)


def reaching_states(kb, phase: str) -> ast.Condition:
    """The current arousal state is one of the states from which work of `phase` can be reached."""
    states = tuple(s for s in AROUSAL_STATES if phase in kb.reachable.get(s, ()))
    return ast.Membership(AROUSAL_CURRENT, states, MODEL)


def lower_compromised(kb, phase: str) -> ast.Condition | None:
    """Some region of an earlier phase is compromised (the sequencer's region gate), or None."""
    lower = [r for r in kb.regions if PHASE_ORDER[Phase(r.phase)] < PHASE_ORDER[Phase(phase)]]
    if not lower:
        return None
    bands = tuple(b for b in BANDS if b in kb.compromised)
    parts = tuple(ast.Membership(band_path(r.name), bands, MODEL) for r in lower)
    return parts[0] if len(parts) == 1 else ast.Or(parts, MODEL)


def region_compromised(kb, region: str) -> ast.Condition:
    bands = tuple(b for b in BANDS if b in kb.compromised)
    return ast.Membership(band_path(region), bands, MODEL)


def example_text(logic: Logic, branch) -> str:
    """An example client, by the facts that differ from a typical, calm client."""
    facts = logic.example(branch, typical=False)
    return (", ".join(facts) + " (all else typical)") if facts else "a typical, calm client"
