"""Rule headers: every rule says who wrote it, its status, version, evidence and public source."""

from __future__ import annotations

from dsl.errors import Collector, did_you_mean
from dsl.passes.model import SEMVER
from dsl.vocabulary import EVIDENCE_LEVELS, RULE_STATUSES

HEADER_FIELDS = ("version", "title", "status", "evidence", "source", "author", "rationale")


def check_rule_headers(kb, out: Collector) -> None:
    seen: dict[str, object] = {}
    for rule in kb.rules:
        if rule.id in seen:
            out.add("E130", f"rule '{rule.id}' is declared twice (first at {seen[rule.id]})",
                    rule.pos, hint="rule ids are unique across the whole knowledge base")
        else:
            seen[rule.id] = rule.pos
        for name in HEADER_FIELDS:
            value = getattr(rule, name)
            if value is None or not str(value).strip():
                out.add("E120", f"rule '{rule.id}' has no {name}", rule.pos,
                        hint=f"add '{name} …' to the rule header")
        if rule.version and not SEMVER.match(rule.version):
            out.add("E121", f"version '{rule.version}' is not a semantic version",
                    rule.position_of("version"), hint='write MAJOR.MINOR.PATCH, e.g. "1.0.0"')
        if rule.status and rule.status not in RULE_STATUSES:
            hint = did_you_mean(rule.status, RULE_STATUSES)
            out.add("E122", f"unknown status '{rule.status}'" + (f" ({hint})" if hint else ""),
                    rule.position_of("status"), hint="statuses: " + ", ".join(RULE_STATUSES))
        if rule.evidence and rule.evidence not in EVIDENCE_LEVELS:
            hint = did_you_mean(rule.evidence, EVIDENCE_LEVELS)
            out.add("E122", f"unknown evidence level '{rule.evidence}'" + (f" ({hint})" if hint else ""),
                    rule.position_of("evidence"), hint="levels: " + ", ".join(EVIDENCE_LEVELS))
