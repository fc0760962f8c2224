"""What changed between two plans for the same input, and which rules are responsible.

Used by `audit replay`: the stored plan ("then") against the plan produced now ("now"). Each
intervention has one placement in a plan — recommended in a phase, deferred, avoided, not
suitable, or absent — and a change of placement is reported with the rules on both sides. Firings
that happened in only one run are reported too: they are the rules responsible for the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

IGNORED = ("provenance",)  # differs by design (KB hash, engine version); reported as notes


@dataclass(frozen=True)
class Placement:
    status: str  # recommended | deferred | avoided | not_suitable
    phase: str | None
    position: int | None
    rules: tuple[str, ...]
    detail: dict

    def describe(self) -> str:
        if self.status == "recommended":
            return f"recommended in {self.phase} (#{self.position})"
        if self.status == "deferred":
            return f"deferred ({self.detail.get('gate', '')})"
        if self.status == "avoided":
            return f"avoided ({self.detail.get('reason', '')})"
        return f"not suitable ({self.detail.get('reason', '')})"


@dataclass(frozen=True)
class Change:
    kind: str  # added | removed | moved | deferred | avoided | not_suitable | changed
    intervention: str
    before: str
    after: str
    rules_then: tuple[str, ...]
    rules_now: tuple[str, ...]

    def render(self) -> str:
        rules = []
        if self.rules_then:
            rules.append("then by " + ", ".join(self.rules_then))
        if self.rules_now:
            rules.append("now by " + ", ".join(self.rules_now))
        return f"{self.kind}: {self.intervention}: {self.before} -> {self.after}" + \
            (f" [{'; '.join(rules)}]" if rules else "")


@dataclass
class PlanDiff:
    changes: list[Change] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)  # other plan fields, as "path: then -> now"
    fired_then_only: list[str] = field(default_factory=list)
    fired_now_only: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not (self.changes or self.flags or self.fields or self.fired_then_only
                    or self.fired_now_only)

    def responsible_rules(self) -> list[str]:
        rules = {r for c in self.changes for r in c.rules_then + c.rules_now}
        rules |= {f.split(" ")[0] for f in self.fired_then_only + self.fired_now_only}
        return sorted(rules)


def placements(plan: dict) -> dict[str, Placement]:
    out: dict[str, Placement] = {}
    for phase in plan.get("phases", []):
        for index, rec in enumerate(phase.get("recommendations", []), 1):
            out[rec["intervention"]] = Placement("recommended", phase["name"], index,
                                                 tuple(rec.get("rules", ())), rec)
    for status, key in (("deferred", "deferred"), ("avoided", "avoided"), ("not_suitable", "not_suitable")):
        for item in plan.get(key, []):
            out[item["intervention"]] = Placement(status, item.get("phase"), None,
                                                  tuple(item.get("rules", ())), item)
    return out


def _kind(then: Placement | None, now: Placement | None) -> str:
    if now is None:
        return "removed"
    if now.status != "recommended":
        return now.status if then is None or then.status != now.status else "changed"
    if then is None or then.status != "recommended":
        return "added"
    if (then.phase, then.position) != (now.phase, now.position):
        return "moved"
    return "changed"


def _placement_changes(then_plan: dict, now_plan: dict) -> list[Change]:
    then, now = placements(then_plan), placements(now_plan)
    changes = []
    for intervention in sorted(set(then) | set(now)):
        a, b = then.get(intervention), now.get(intervention)
        if a == b:
            continue
        kind = _kind(a, b)
        before = a.describe() if a else "not in the plan"
        after = b.describe() if b else "not in the plan"
        if kind == "changed" and a is not None and b is not None:
            before, after = _detail_change(a.detail, b.detail)
        changes.append(Change(kind, intervention, before, after,
                              a.rules if a else (), b.rules if b else ()))
    return changes


def _detail_change(then: dict, now: dict) -> tuple[str, str]:
    paths = leaf_changes(then, now)
    return ("; ".join(f"{p} = {a}" for p, a, _ in paths[:3]),
            "; ".join(f"{p} = {b}" for p, _, b in paths[:3]))


def leaf_changes(then, now, path: str = "") -> list[tuple[str, object, object]]:
    """Every leaf that differs, as (dotted path, then, now)."""
    if then == now:  # most replays reproduce: one C-level comparison instead of every leaf
        return []
    if isinstance(then, dict) and isinstance(now, dict):
        out = []
        for key in sorted(set(then) | set(now)):
            out += leaf_changes(then.get(key), now.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(then, list) and isinstance(now, list) and len(then) == len(now):
        out = []
        for index, (a, b) in enumerate(zip(then, now)):
            out += leaf_changes(a, b, f"{path}[{index}]")
        return out
    return [] if then == now else [(path, then, now)]


def _flag_changes(then_plan: dict, now_plan: dict) -> list[str]:
    def index(plan):
        return {f["code"]: f for f in plan.get("flags", [])}
    then, now = index(then_plan), index(now_plan)
    out = []
    for code in sorted(set(then) | set(now)):
        if code not in now:
            out.append(f"flag {code} no longer raised [then by {', '.join(then[code]['rules']) or 'engine'}]")
        elif code not in then:
            out.append(f"flag {code} now raised [now by {', '.join(now[code]['rules']) or 'engine'}]")
        elif then[code] != now[code]:
            out.append(f"flag {code} changed: " + "; ".join(
                f"{p}: {a} -> {b}" for p, a, b in leaf_changes(then[code], now[code])))
    return out


def firing_line(firing: dict) -> str:
    """A firing in one line: rule, version, and the client's values it matched."""
    matched = ", ".join(f"{m['fact']} = {_value(m['value'])}" for m in firing.get("matched", []))
    joined = ", ".join(f"{d['fact']} (from {d['rule']})" for d in firing.get("derived_from", []))
    on = "; ".join(part for part in (matched, joined) if part)
    return f"{firing['rule_id']} v{firing['rule_version']}" + (f" on {on}" if on else "")


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "unknown"
    if isinstance(value, list):
        return "{" + ", ".join(map(str, value)) + "}"
    return str(value)


def plan_diff(then_plan: dict, now_plan: dict, then_trace: dict, now_trace: dict) -> PlanDiff:
    diff = PlanDiff(changes=_placement_changes(then_plan, now_plan),
                    flags=_flag_changes(then_plan, now_plan))
    handled = {"phases", "deferred", "avoided", "not_suitable", "flags", *IGNORED}
    rest_then = {k: v for k, v in then_plan.items() if k not in handled}
    rest_now = {k: v for k, v in now_plan.items() if k not in handled}
    diff.fields = [f"{p}: {a} -> {b}" for p, a, b in leaf_changes(rest_then, rest_now)]
    if not diff.changes:  # same placements: order or details inside a phase may still differ
        phases = leaf_changes({"phases": then_plan.get("phases")}, {"phases": now_plan.get("phases")})
        diff.fields += [f"{p}: {a} -> {b}" for p, a, b in phases]
    then_firings = [firing_line(f) for f in then_trace.get("firings", [])]
    now_firings = [firing_line(f) for f in now_trace.get("firings", [])]
    diff.fired_then_only = sorted(set(then_firings) - set(now_firings))
    diff.fired_now_only = sorted(set(now_firings) - set(then_firings))
    return diff
