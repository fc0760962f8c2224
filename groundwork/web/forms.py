"""The assessment form: its layout generated from the knowledge base's instrument, and the posted
form turned back into the same JSON an assessment file holds (then validated like any file).

Each control's name is also its id; `anchors` maps every JSON field path the form produced to the
control that holds it, so an error such as `ratings[3].value` links to the control to correct.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dsl import vocabulary as v
from dsl.checked import CheckedKnowledgeBase

CAREGIVER_ROWS = 4
UNKNOWN = "unknown"


@dataclass(frozen=True)
class DomainGroup:
    name: str
    items: tuple  # instrument items, in instrument order


@dataclass(frozen=True)
class RegionGroup:
    name: str
    phase: str
    description: str
    domains: tuple[DomainGroup, ...]


def layout(kb: CheckedKnowledgeBase) -> tuple[RegionGroup, ...]:
    """Items grouped by region (lowest first), then by domain, each in instrument order."""
    items = kb.instrument.items
    groups = []
    for region in sorted(kb.regions, key=lambda r: r.order):
        in_region = [i for i in items if i.region == region.name]
        domains = tuple(DomainGroup(d, tuple(i for i in in_region if i.domain == d))
                        for d in dict.fromkeys(i.domain for i in in_region))
        groups.append(RegionGroup(region.name, region.phase, region.description, domains))
    return tuple(groups)


def vocabulary() -> dict:
    """Every closed list the form offers, from the one vocabulary the model and rules use."""
    return {"arousal": v.AROUSAL_STATES, "severities": v.HISTORY_SEVERITIES,
            "levels": v.RELATIONAL_LEVELS, "agreement": v.AGREEMENT,
            "touch_policies": v.TOUCH_POLICIES, "harm_concerns": v.HARM_BY_OTHERS,
            "suspects": v.SUSPECTS, "screen_results": v.TRAUMA_SCREEN_RESULTS,
            "screens": v.TRAUMA_SCREENS,
            "periods": v.DEVELOPMENTAL_PERIODS, "settings": v.SETTINGS, "roles": v.CAREGIVER_ROLES,
            "regulation": v.CAREGIVER_REGULATION, "informants": v.INFORMANTS,
            "concerns": v.SAFEGUARDING_CONCERNS, "sensitivities": v.SENSITIVITIES,
            "relational": v.RELATIONAL_DOMAINS, "caregiver_rows": range(1, CAREGIVER_ROWS + 1),
            "today": dt.date.today().isoformat()}


def established_choices(kb: CheckedKnowledgeBase) -> tuple[str, ...]:
    """The catalog entries other work requires: what a clinician may record as established."""
    return tuple(sorted({r for iv in kb.interventions.values() for r in iv.requires}))


@dataclass
class Built:
    raw: dict
    anchors: dict[str, str] = field(default_factory=dict)

    def anchor(self, path: str | None) -> str | None:
        """The control for an error's field path: the deepest one the path starts with."""
        while path:
            if path in self.anchors:
                return self.anchors[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


def _number(text: str):
    text = (text or "").strip()
    return int(text) if text.isdigit() else (text or None)  # a non-number is left for validation


def from_form(form, kb: CheckedKnowledgeBase) -> Built:
    """A posted form (a multi-dict) -> the assessment JSON, and where each field came from."""
    get = lambda name: (form.get(name) or "").strip()  # noqa: E731
    built = Built({})
    raw, anchors = built.raw, built.anchors
    for key in ("client_id", "assessor_id", "assessment_date"):
        raw[key] = get(key)
        anchors[key] = key
    raw["age"] = {"years": _number(get("age_years")), "months": _number(get("age_months")) or 0}
    # Assessment field paths (where a validation error points) → the form field to focus.
    anchors |= {"age": "age_years"} | {f"age.{k}": f"age_{k}" for k in ("years", "months")}
    raw["ratings"] = []
    age = posted_age_months(form)
    for item in kb.instrument.items:
        if age is not None and not item.due_at(age):
            continue  # not due at this age: the page hides it, and it is never sent as unknown
        index = len(raw["ratings"])
        value = get(f"rating-{item.id}-value")
        raw["ratings"].append({"item": item.id,
                               "value": None if value in ("", UNKNOWN) else _number(value),
                               "informant": get(f"rating-{item.id}-informant")})
        anchors[f"ratings[{index}]"] = anchors[f"ratings[{index}].value"] = f"rating-{item.id}-value"
        anchors[f"ratings[{index}].informant"] = f"rating-{item.id}-informant"
    raw["arousal"] = {"baseline": get("arousal_baseline"), "current": get("arousal_current"),
                      "dissociative": get("arousal_dissociative") == "yes"}
    anchors |= {"arousal": "arousal_current"} | {
        f"arousal.{k}": f"arousal_{k}" for k in ("baseline", "current", "dissociative")}
    _history(get, built)
    raw["relational_health"] = {d: get(f"relational_{d}") for d in v.RELATIONAL_DOMAINS}
    anchors |= {f"relational_health.{d}": f"relational_{d}" for d in v.RELATIONAL_DOMAINS}
    anchors["relational_health"] = "relational_family"
    _caregivers(form, get, built)
    for key, first in (("safeguarding", v.SAFEGUARDING_CONCERNS[0]),
                       ("sensitivities", v.SENSITIVITIES[0]), ("settings", v.SETTINGS[0])):
        raw[key] = [value for value in form.getlist(key) if value]
        anchors[key] = f"{key}-{first}"
    _safety(form, get, built)
    return built


def _safety(form, get, built: Built) -> None:
    """Touch agreement and policies, who is suspected, the safety review, the trauma screen and
    established work (issue #13). A control left blank is left out: the model's safe default."""
    raw, anchors = built.raw, built.anchors
    raw["touch"] = {k: get(f"touch_{k}") or "unknown" for k in ("client_assent", "carer_consent")}
    anchors |= {"touch": "touch_client_assent"} | {
        f"touch.{k}": f"touch_{k}" for k in ("client_assent", "carer_consent")}
    raw["touch_policies"] = []
    for setting in v.SETTINGS:
        if get(f"touch_policy-{setting}"):
            anchors[f"touch_policies[{len(raw['touch_policies'])}]"] = f"touch_policy-{setting}"
            raw["touch_policies"].append({"setting": setting, "policy": get(f"touch_policy-{setting}")})
    raw["suspected_harm"] = []
    for concern in v.HARM_BY_OTHERS:
        if get(f"suspected-{concern}"):
            anchors[f"suspected_harm[{len(raw['suspected_harm'])}]"] = f"suspected-{concern}"
            raw["suspected_harm"].append({"concern": concern, "suspected": get(f"suspected-{concern}")})
    anchors["suspected_harm"] = f"suspected-{v.HARM_BY_OTHERS[0]}"
    if get("safety_review_date"):
        raw["safety_review"] = {"date": get("safety_review_date"),
                                "evocative_work": get("safety_review_evocative_work") or "hold"}
        anchors |= {"safety_review": "safety_review_date",
                    "safety_review.date": "safety_review_date",
                    "safety_review.evocative_work": "safety_review_evocative_work"}
    raw["trauma_screen"] = {"result": get("trauma_screen_result") or "not_done",
                            "screen": get("trauma_screen_screen") or None}
    anchors |= {"trauma_screen": "trauma_screen_result",
                "trauma_screen.result": "trauma_screen_result",
                "trauma_screen.screen": "trauma_screen_screen"}
    raw["established"] = [value for value in form.getlist("established") if value]
    anchors["established"] = "established"


def posted_age_months(form) -> int | None:
    """The client's age in months from a posted form, or None when it is not (yet) a number."""
    if form is None:
        return None
    years = (form.get("age_years") or "").strip()
    months = (form.get("age_months") or "").strip() or "0"
    if not (years.isdigit() and months.isdigit()):
        return None
    return int(years) * 12 + int(months)


def _history(get, built: Built) -> None:
    """A period left at unknown/unknown is left out: the model records a missing period as
    unknown (not none), and the plan treats unknown early history with caution."""
    built.raw["history"] = []
    for period in v.DEVELOPMENTAL_PERIODS:
        entry = {"period": period,
                 "adversity": get(f"history-{period}-adversity") or v.UNKNOWN,
                 "relational_poverty": get(f"history-{period}-relational_poverty") or v.UNKNOWN}
        if entry["adversity"] == v.UNKNOWN and entry["relational_poverty"] == v.UNKNOWN:
            continue
        index = len(built.raw["history"])
        built.raw["history"].append(entry)
        for key in ("adversity", "relational_poverty"):
            built.anchors[f"history[{index}].{key}"] = f"history-{period}-{key}"
        built.anchors[f"history[{index}]"] = f"history-{period}-adversity"


def _caregivers(form, get, built: Built) -> None:
    """Rows with no pseudonym are empty rows and left out."""
    built.raw["caregivers"] = []
    for row in range(1, CAREGIVER_ROWS + 1):
        prefix = f"caregiver-{row}"
        if not get(f"{prefix}-id"):
            continue
        index = len(built.raw["caregivers"])
        built.raw["caregivers"].append({
            "id": get(f"{prefix}-id"), "role": get(f"{prefix}-role"),
            "settings": [s for s in form.getlist(f"{prefix}-settings") if s],
            "regulation": get(f"{prefix}-regulation")})
        for key in ("id", "role", "regulation"):
            built.anchors[f"caregivers[{index}].{key}"] = f"{prefix}-{key}"
        built.anchors[f"caregivers[{index}].settings"] = f"{prefix}-settings-{v.SETTINGS[0]}"
        built.anchors[f"caregivers[{index}]"] = f"{prefix}-id"


class Values:
    """What the form shows: the values just posted (after an error), else the defaults."""

    def __init__(self, form=None):
        self._form = form

    def get(self, name: str, default: str = "") -> str:
        found = self._form.get(name) if self._form is not None else None
        return found if isinstance(found, str) and found != "" else default

    def all(self, name: str) -> list[str]:
        return [v for v in self._form.getlist(name) if isinstance(v, str)] if self._form is not None else []
