"""A scenario's expectations checked against the plan: each failure says expected vs actual, and
explains the actual outcome."""

from __future__ import annotations

from dsl.checked import CheckedKnowledgeBase
from dataclasses import dataclass

from engine.pipeline import Outcome
from groundwork.trainer import scenario_format as fmt
from explain.context import Context
from explain.plain import render_why, render_why_not
from explain.why import explain_why
from explain.why_not import explain_why_not
from groundwork.trainer.outcome import (explain_flag, explain_intervention, explain_rule,
                                        intervention_status, plan_summary)


DISCLAIMER_START = "Decision support for a qualified clinician"


def explanation_text(outcome: Outcome, kb: CheckedKnowledgeBase, intervention: str) -> str:
    """What `groundwork explain` (active) or `groundwork why-not` (otherwise) says about it."""
    context = Context(kb, outcome)
    why = explain_why(context, intervention)
    if why is not None:
        return render_why(why)
    return render_why_not(explain_why_not(context, intervention))


def _flat(text: str) -> str:
    """Case and line breaks do not matter when looking for words in an explanation."""
    return " ".join(text.split()).lower()


@dataclass(frozen=True)
class Failure:
    expected: str
    actual: str
    explanation: tuple[str, ...] = ()
    label: str = "why:"  # what the explanation lines are


class Checker:
    def __init__(self, outcome: Outcome, kb: CheckedKnowledgeBase, drafts: bool):
        self.outcome, self.kb, self.drafts = outcome, kb, drafts

    def _why(self, intervention: str) -> tuple[str, ...]:
        return tuple(explain_intervention(self.outcome, self.kb, intervention, self.drafts))

    def _fail(self, expected: str, intervention: str) -> Failure:
        status = intervention_status(self.outcome, intervention)
        return Failure(expected, f"'{intervention}' is {status.summary}", self._why(intervention)[1:])

    def check(self, expect: fmt.Expect) -> list[Failure]:
        failures: list[Failure] = []
        for recommended in expect.recommended:
            failures += self.recommended(recommended)
        for absent in expect.not_recommended:
            if intervention_status(self.outcome, absent.intervention).kind == "active":
                failures.append(self._fail(f"'{absent.intervention}' not recommended",
                                           absent.intervention))
        for item in expect.on_menu:
            if intervention_status(self.outcome, item.intervention).kind != "menu":
                failures.append(self._fail(f"'{item.intervention}' on the menu (over the load "
                                           "budget)", item.intervention))
        for avoided in expect.avoided:
            if intervention_status(self.outcome, avoided.intervention).kind != "avoided":
                failures.append(self._fail(f"'{avoided.intervention}' avoided",
                                           avoided.intervention))
        for deferred in expect.deferred:
            failures += self.deferred(deferred)
        failures += self.flags(expect)
        for wanted in expect.explanations:
            text = explanation_text(self.outcome, self.kb, wanted.intervention)
            if _flat(wanted.contains) not in _flat(text):
                shown = tuple(line for line in text.rstrip("\n").split("\n")
                              if line.strip() and not line.startswith(DISCLAIMER_START))
                failures.append(Failure(f"the explanation of '{wanted.intervention}' contains "
                                        f"'{wanted.contains}'", "it does not", shown, "explains:"))
        failures += self.no_action(expect)
        failures += self.rules(expect)
        return failures

    def recommended(self, item: fmt.Recommended) -> list[Failure]:
        status = intervention_status(self.outcome, item.intervention)
        wanted = f"'{item.intervention}' recommended" + (f" in phase {item.phase}" if item.phase else "")
        if status.kind != "active" or (item.phase and status.phase != item.phase):
            return [self._fail(wanted, item.intervention)]
        if item.before is None:
            return []
        other = intervention_status(self.outcome, item.before)
        wanted += f", before '{item.before}'"
        if other.kind != "active":
            return [Failure(wanted, f"'{item.before}' is {other.summary}", self._why(item.before)[1:])]
        assert status.position is not None and other.position is not None  # both active
        if status.position > other.position:
            return [Failure(wanted, f"'{item.intervention}' starts #{status.position + 1}, "
                            f"'{item.before}' #{other.position + 1}",
                            self._why(item.intervention)[:1] + self._why(item.before)[:1])]
        return []

    def deferred(self, item: fmt.Deferred) -> list[Failure]:
        status = intervention_status(self.outcome, item.intervention)
        wanted = f"'{item.intervention}' deferred" + \
            (f" with a gate mentioning '{item.gate}'" if item.gate else "")
        if status.kind != "deferred":
            return [self._fail(wanted, item.intervention)]
        if item.gate and item.gate.lower() not in status.summary.lower():
            return [self._fail(wanted, item.intervention)]
        return []

    def flags(self, expect: fmt.Expect) -> list[Failure]:
        raised = {f.code: f for f in self.outcome.plan.flags}
        failures = []
        for item in expect.flags:
            flag = raised.get(item.code)
            if flag is None or (item.severity and flag.severity != item.severity):
                wanted = f"flag {item.code}" + (f" ({item.severity})" if item.severity else "")
                actual = "raised as " + flag.severity if flag else "not raised"
                failures.append(Failure(wanted, actual, tuple(
                    explain_flag(self.outcome, self.kb, item.code, self.drafts))))
        for unwanted in expect.not_flags:
            if unwanted.code in raised:
                failures.append(Failure(f"no flag {unwanted.code}", "raised", tuple(
                    explain_flag(self.outcome, self.kb, unwanted.code, self.drafts))))
        return failures

    def no_action(self, expect: fmt.Expect) -> list[Failure]:
        said = bool(self.outcome.plan.no_action)
        if expect.no_action is None or expect.no_action == said:
            return []
        wanted = "'no action needed'" if expect.no_action else "no 'no action needed'"
        actual = "said by " + ", ".join(r for n in self.outcome.plan.no_action for r in n.rules) \
            if said else "not said"
        return [Failure(wanted, actual, tuple(plan_summary(self.outcome)))]

    def rules(self, expect: fmt.Expect) -> list[Failure]:
        fired = {f.rule_id for f in self.outcome.firings}
        failures = []
        for item in expect.fired:
            if item.rule not in fired:
                failures.append(Failure(f"rule {item.rule} fires", "it does not", tuple(
                    explain_rule(self.outcome, self.kb, item.rule, self.drafts))))
        for item in expect.not_fired:
            if item.rule in fired:
                failures.append(Failure(f"rule {item.rule} does not fire", "it fires", tuple(
                    explain_rule(self.outcome, self.kb, item.rule, self.drafts))))
        return failures
