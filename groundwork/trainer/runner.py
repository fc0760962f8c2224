"""Running rule scenarios through the real engine, and rule coverage over a run."""

from __future__ import annotations

from dsl.checked import CheckedKnowledgeBase
from dataclasses import dataclass

from engine.pipeline import assess
from groundwork.trainer.expectations import Checker, Failure
from groundwork.trainer.scenarios import Scenario


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    failures: tuple[Failure, ...]
    fired: frozenset[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def run_scenario(scenario: Scenario, kb: CheckedKnowledgeBase, drafts: bool) -> Result:
    outcome = assess(scenario.assessment, scenario.raw, kb, drafts=drafts)
    failures = Checker(outcome, kb, drafts).check(scenario.spec.expect)
    return Result(scenario, tuple(failures), frozenset(f.rule_id for f in outcome.firings))


def select(scenarios: list[Scenario], keyword: str | None) -> list[Scenario]:
    """Scenarios whose name contains `keyword` (case-insensitive), like pytest's -k."""
    if not keyword:
        return scenarios
    return [s for s in scenarios if keyword.lower() in s.name.lower()]


@dataclass(frozen=True)
class Coverage:
    considered: tuple[str, ...]  # rules that can fire in this run, in knowledge-base order
    fired: frozenset[str]
    retired: int

    @property
    def unfired(self) -> list[str]:
        return [r for r in self.considered if r not in self.fired]

    @property
    def percent(self) -> float:
        if not self.considered:
            return 100.0
        return 100.0 * (len(self.considered) - len(self.unfired)) / len(self.considered)


def coverage(results: list[Result], kb: CheckedKnowledgeBase, drafts: bool) -> Coverage:
    considered = tuple(r.id for r in kb.active_rules(drafts))
    fired = frozenset().union(*(r.fired for r in results)) if results else frozenset()
    retired = sum(1 for r in kb.rules if r.status == "retired")
    return Coverage(considered, fired & set(considered), retired)


def render(results: list[Result], cover: Coverage | None, kb: CheckedKnowledgeBase) -> str:
    lines = []
    for result in results:
        scenario = result.scenario
        if result.passed:
            lines.append(f"PASS  {scenario.name}")
            continue
        lines.append(f"FAIL  {scenario.name}  ({scenario.where})")
        for failure in result.failures:
            lines.append(f"        expected: {failure.expected}")
            lines.append(f"        actual:   {failure.actual}")
            for index, line in enumerate(failure.explanation):
                lines.append(f"        {failure.label if index == 0 else '':<9} {line}")
    if cover is not None:
        lines.append("")
        lines.append(f"rule coverage: {cover.percent:.1f}% ({len(cover.considered) - len(cover.unfired)}"
                     f" of {len(cover.considered)} rules fired by at least one scenario"
                     + (f"; {cover.retired} retired rules not counted" if cover.retired else "")
                     + ")")
        for rule_id in cover.unfired:
            lines.append(f"  not fired: {rule_id} ({kb.fired_rule(rule_id).pos})")
    passed = sum(1 for r in results if r.passed)
    lines.append(f"{passed} passed, {len(results) - passed} failed")
    return "\n".join(lines) + "\n"
