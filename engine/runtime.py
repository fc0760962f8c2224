"""The one place that talks to durable-rules; docs/durable-rules.md lists the traps it guards against.

- One quiet host per process: durable-rules' registry is process-wide and names can never be
  registered twice, so compiled knowledge bases are named by content hash and registered once.
- The host's background timer threads are never started: they could run our actions on another
  thread and hand back incomplete results. Every action runs on the caller's thread.
- Each assessment gets its own session id; its state is deleted afterwards (memory stays flat). A
  sentinel rule fires on every profile, so deletion never meets a session with no action (SIGSEGV).
- Actions only record the firing and assert derived facts; an exception inside one is captured
  and re-raised as EngineFailure after the run, never swallowed.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field

from durable import engine as durable

from dsl import ast
from dsl.compile import SENTINEL, CompiledKnowledgeBase, CompiledRuleSet
from dsl.encoding import DERIVED, PROFILE, encode_profile
from dsl.errors import EngineFailure
from dsl.facts import FactType
from dsl.checked import CheckedKnowledgeBase


@dataclass(frozen=True)
class Firing:
    """One rule firing: which rule, on which facts, and what it derived."""

    rule_id: str
    rule_version: str
    ruleset: str
    stratum: int
    matched: tuple[tuple[str, object], ...]  # (profile field, encoded value) the rule looked at
    derived_from: tuple[tuple[str, str], ...]  # (derived fact, rule that derived it) joined on
    asserted: tuple[str, ...]  # derived facts this firing asserted

    def sort_key(self) -> tuple:
        return (self.stratum, self.rule_id, self.derived_from, self.matched)


class _QuietHost(durable.Host):
    def _run(self):  # no timer threads: actions must run on the caller's thread only
        pass


@dataclass
class _Session:
    sid: str
    firings: list[Firing] = field(default_factory=list)
    seen: set[Firing] = field(default_factory=set)  # the same firings, for a constant-time check
    derived: dict[str, list[str]] = field(default_factory=dict)  # fact → deriving rules
    errors: list[str] = field(default_factory=list)
    pending: list[dict] = field(default_factory=list)


_host: _QuietHost | None = None
_registered: set[str] = set()
_compiled: dict[tuple[str, bool], "RuleRunner"] = {}
_lock = threading.Lock()
_session_ids = itertools.count(1)


def _get_host() -> _QuietHost:
    global _host
    if _host is None:
        _host = _QuietHost()
    return _host


def runner_for(kb: CheckedKnowledgeBase, drafts: bool = False) -> "RuleRunner":
    """The compiled, registered runner for a knowledge base (built once per process)."""
    key = (kb.content_hash, drafts)
    with _lock:
        if key not in _compiled:
            _compiled[key] = RuleRunner(kb, kb.compiled(drafts))
        return _compiled[key]


class RuleRunner:
    def __init__(self, kb: CheckedKnowledgeBase, compiled: CompiledKnowledgeBase):
        self.kb = kb
        self.compiled = compiled
        self.types: dict[str, FactType] = kb.fact_types()
        self._rules = {r.id: r for r in kb.rules}
        self._session: _Session | None = None
        host = _get_host()
        for ruleset in compiled.rulesets:
            if ruleset.name in _registered:
                continue
            definition = {rule_id: dict(spec, run=self._action(ruleset, rule_id))
                          for rule_id, spec in ruleset.definition.items()}
            host.register_rulesets({ruleset.name: definition})
            _registered.add(ruleset.name)

    def run(self, values: dict) -> tuple[tuple[Firing, ...], dict[str, tuple[str, ...]]]:
        """Fire the rules on one client's facts: (firings in canonical order, derived facts)."""
        with _lock:  # one session at a time per process: the host is shared
            session = _Session(sid=f"s{next(_session_ids)}")
            self._session = session
            profile = encode_profile(values, self.types, session.sid)  # the same for every set
            try:
                for ruleset in self.compiled.rulesets:
                    self._run_ruleset(ruleset, profile, session)
            finally:
                self._session = None
        firings = tuple(sorted(session.firings, key=Firing.sort_key))
        derived = {fact: tuple(sorted(set(rules))) for fact, rules in sorted(session.derived.items())}
        return firings, derived

    def _run_ruleset(self, ruleset: CompiledRuleSet, profile: dict, session: _Session) -> None:
        host = _get_host()
        try:
            # Facts from lower strata go in first, so a negated pattern already sees them.
            for fact in sorted(session.derived):
                if fact in ruleset.observes:
                    host.assert_fact(ruleset.name, {"t": DERIVED, "name": fact,
                                                    "by": "+".join(session.derived[fact]),
                                                    "sid": session.sid})
            host.assert_fact(ruleset.name, profile)  # durable-rules only serialises it
            state = host.get_state(ruleset.name, session.sid)
        except Exception as error:  # noqa: BLE001 - anything from the C engine aborts the run
            raise EngineFailure(f"rule set {ruleset.name} failed: {type(error).__name__}: {error}") from None
        finally:
            try:
                host.delete_state(ruleset.name, session.sid)
            except Exception:  # noqa: BLE001 - a failed cleanup must not hide the real error
                pass
        if session.errors:
            raise EngineFailure("; ".join(session.errors))
        if state.get("exception"):
            raise EngineFailure(f"rule set {ruleset.name}: an action failed inside the engine")

    def _action(self, ruleset: CompiledRuleSet, rule_id: str):
        if rule_id == SENTINEL:
            return lambda c: None
        rule = self._rules[rule_id]
        derives = tuple(a.fact for a in rule.actions if isinstance(a, ast.Derive))
        referenced = _referenced_fields(rule)

        def act(c):
            session = self._session
            try:
                if session is None or c.s.sid != session.sid:
                    raise EngineFailure(f"rule {rule_id} fired outside its session")
                profile, joined = _matched(c._m)
                matched = tuple((k, profile.get(k)) for k in referenced)
                firing = Firing(rule_id, rule.version or "", ruleset.name, ruleset.stratum,
                                matched, joined, derives)
                if firing in session.seen:
                    return  # the same match seen again through another alternative
                session.seen.add(firing)
                session.firings.append(firing)
                for fact in derives:
                    first = fact not in session.derived
                    session.derived.setdefault(fact, []).append(rule_id)
                    if first and fact in ruleset.observes:
                        c.assert_fact({"t": DERIVED, "name": fact, "by": rule_id, "sid": c.s.sid})
            except Exception as error:  # noqa: BLE001 - recorded, then raised after the run
                if session is not None:
                    session.errors.append(f"rule {rule_id}: {type(error).__name__}: {error}")
        return act


def _referenced_fields(rule: ast.Rule) -> tuple[str, ...]:
    from dsl.encoding import field_name
    fields = []
    for node in ast.walk(rule.when):
        if isinstance(node, ast.Has):
            fields.append(field_name(node.path, node.member))
        elif hasattr(node, "path"):
            fields.append(field_name(node.path))
    return tuple(sorted(set(fields)))


def _matched(message) -> tuple[dict, tuple[tuple[str, str], ...]]:
    """The profile fact and the (fact, deriving rule) pairs a match was made of."""
    profile: dict = {}
    joined: list[tuple[str, str]] = []
    stack = [message]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("t") == PROFILE:
                profile = item
            elif item.get("t") == DERIVED:
                joined.append((item["name"], item["by"]))
            else:
                stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return profile, tuple(sorted(joined))
