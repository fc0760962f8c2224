"""Who carries each activity, where, and how much a plan asks of each adult (CLINICAL.md section 3).

Delivery: for each setting of a recommendation, the first deliverer in the dose's `by` list for
whom the client has a regulated trusted adult in that setting (a dysregulated adult is supported
first, not asked to deliver). School and residential settings always have staff: without a named
teacher or key worker the setting's staff deliver it, and daily work then needs a person named.
At home with nobody suitable, the treating therapist is named, and daily work needs a person too:
`find_person` marks both, and the knowledge base's rules on the settings without an adult (dsl/facts.py) put the
action to name one (name-a-key-adult) on the support track. The clinic is the therapist's.

Budget: the knowledge base's `budget` for the client's age caps the active activities per
deliverer and per setting, and the minutes a day per deliverer. Recommendations are placed in
priority order (critical actions first, with the support track's priority-1 actions such as
finding a person; then the lowest region, the rules' priority and the id); one that would
take a deliverer or a setting over the budget goes to the menu with its reason. A dose delivered
in several settings is shared between them: each setting's deliverer carries its share of the
daily minutes (the clinic is left out when another setting carries it: there the therapist
shows the work). A setting's line counts what its own adults carry (the
therapist's sessions there are the therapist's load, on the therapist's line).
"""

from __future__ import annotations

from dataclasses import dataclass

from dsl import ast
from dsl.facts import settings_without_adult
from engine import plan as p
from engine.dosing import ROLES_FOR, SETTING_STAFF
from engine.models import Assessment



def delivery(by: tuple[str, ...], settings: tuple[str, ...], period: str,
             assessment: Assessment, unstaffed: frozenset[str] | None = None
             ) -> tuple[p.Delivery, ...]:
    """One entry per setting: who delivers it there. `unstaffed`: the client's
    settings_without_adult, when the caller has it already (the sequencer, once per plan)."""
    if unstaffed is None:
        unstaffed = settings_without_adult(assessment)
    return tuple(_deliver(by, setting, period == "day" and setting in unstaffed, assessment)
                 for setting in settings)


def _deliver(by, setting: str, find: bool, assessment: Assessment) -> p.Delivery:
    """`find`: daily work in a setting without a regulated adult of its own (a person is to be
    named there, by the knowledge base's rules on that fact)."""
    if setting == "clinic":
        return p.Delivery(setting=setting, delivered_by="therapist", professional=True)
    present = [c for c in assessment.caregivers
               if setting in c.settings and c.regulation != "dysregulated"]
    for who in by:
        if who == "therapist":
            continue
        adults = [c for c in present if c.role in ROLES_FOR.get(who, ())]
        if adults:  # the steadier adult leads
            adults.sort(key=lambda c: (c.regulation != "well_regulated", c.id))
            return p.Delivery(setting=setting, delivered_by=who, adults=tuple(c.id for c in adults))
    if "self" in by:  # adult work the client practises on their own
        return p.Delivery(setting=setting, delivered_by="self")
    staff = SETTING_STAFF.get(setting)
    if staff is not None and staff in by:
        return p.Delivery(setting=setting, delivered_by=staff, find_person=find)
    # An adult client at home carries their own practice ("self"); a child needs a person.
    child_home = setting != "home" or assessment.age.years <= 17
    return p.Delivery(setting=setting, delivered_by="therapist", professional=True,
                      find_person=find and child_home)


@dataclass(frozen=True)
class _Share:
    deliverer: str
    setting: str
    sessions: float
    minutes: float

    def lines(self) -> tuple[tuple[str, str], ...]:
        mine = (("deliverer", self.deliverer),)
        return mine if self.deliverer == "therapist" else mine + (("setting", self.setting),)


def _key(entry: p.Delivery) -> str:
    if entry.adults:
        return entry.adults[0]
    if entry.professional:
        return "therapist"
    return f"{entry.delivered_by}@{entry.setting}"


def _shares(rec: p.Recommendation) -> list[_Share]:
    per_day = 1.0 if rec.dose.period == "day" else 1 / 7
    carried = list(rec.delivery)
    if any(e.setting != "clinic" for e in carried):
        # The work lives in the client's own settings; in the clinic the therapist shows it.
        carried = [e for e in carried if e.setting != "clinic"]
    sessions = rec.dose.frequency * per_day / max(1, len(carried))
    return [_Share(_key(e), e.setting, sessions, sessions * rec.dose.minutes) for e in carried]


def budget_for(kb, age_months: int) -> ast.BudgetDecl | None:
    return next((b for b in kb.budgets if b.min_age_months <= age_months < b.max_age_months), None)


class Budget:
    """The running load of a plan as recommendations are placed, against the budget."""

    def __init__(self, budget: ast.BudgetDecl | None):
        self.budget = budget
        self.activities: dict[tuple[str, str], set[str]] = {}  # (kind, name) -> interventions
        self.sessions: dict[tuple[str, str], float] = {}
        self.minutes: dict[tuple[str, str], float] = {}
        self.settings: dict[str, set[str]] = {}  # deliverer -> settings

    def over(self, rec: p.Recommendation) -> str | None:
        """Why placing it would break the budget, or None. The shares of one recommendation
        that fall on one line (an adult who carries it in two settings) are added first."""
        if self.budget is None:
            return None
        b = self.budget
        minutes: dict[tuple[str, str], float] = {}
        for share in _shares(rec):
            for line in share.lines():
                minutes[line] = minutes.get(line, 0) + share.minutes
        for (kind, name), added in minutes.items():
            new = rec.intervention not in self.activities.get((kind, name), ())
            count = len(self.activities.get((kind, name), ())) + new
            if kind == "deliverer":
                if b.per_deliverer is not None and count > b.per_deliverer:
                    return (f"{_who(name)} already carries {b.per_deliverer} activities "
                            f"(the budget for this age)")
                if b.minutes_per_day is not None and \
                        round(self.minutes.get((kind, name), 0) + added, 1) > b.minutes_per_day:
                    return (f"{_who(name)} would need more than {b.minutes_per_day} "
                            f"minutes a day (the budget for this age)")
            elif b.per_setting is not None and count > b.per_setting:
                return (f"the {name.replace('_', ' ')} already has {b.per_setting} "
                        f"activities (the budget for this age)")
        return None

    def add(self, rec: p.Recommendation) -> None:
        for share in _shares(rec):
            for line in share.lines():
                self.activities.setdefault(line, set()).add(rec.intervention)
                self.sessions[line] = self.sessions.get(line, 0) + share.sessions
                self.minutes[line] = self.minutes.get(line, 0) + share.minutes
            self.settings.setdefault(share.deliverer, set()).add(share.setting)

    def load(self, age_words) -> p.Load:
        b = self.budget
        lines: dict[str, list[p.LoadLine]] = {"deliverer": [], "setting": []}
        for (kind, name) in sorted(self.activities):
            settings = tuple(sorted(self.settings.get(name, ()))) if kind == "deliverer" else (name,)
            lines[kind].append(p.LoadLine(
                name=name, settings=settings, activities=len(self.activities[(kind, name)]),
                sessions_per_day=round(self.sessions[(kind, name)], 2),
                minutes_per_day=round(self.minutes[(kind, name)], 1),
                budget_activities=(b.per_deliverer if kind == "deliverer" else b.per_setting) if b else None,
                budget_minutes=b.minutes_per_day if b and kind == "deliverer" else None))
        within = all((line.budget_activities is None or line.activities <= line.budget_activities)
                     and (line.budget_minutes is None
                          or line.minutes_per_day <= line.budget_minutes)
                     for line in lines["deliverer"] + lines["setting"])
        ages = f"{age_words(b.min_age_months)} up to {age_words(b.max_age_months)}" if b else \
            "no budget declared for this age"
        return p.Load(ages=ages, per_deliverer=b.per_deliverer if b else None,
                      per_setting=b.per_setting if b else None,
                      minutes_per_day=b.minutes_per_day if b else None,
                      deliverers=tuple(lines["deliverer"]), settings=tuple(lines["setting"]),
                      within_budget=within)


def _who(key: str) -> str:
    if "@" in key:
        role, setting = key.split("@")
        return f"the {role.replace('_', ' ')} at {setting} (not yet named)"
    return "the therapist" if key == "therapist" else f"adult {key}"
