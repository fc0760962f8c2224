"""Clinician feedback on one recommendation: the one documented vocabulary.

Modelled on CDS Hooks' feedback (a card accepted or overridden, with override reasons). The HTTP
API uses these same lists; docs/audit.md documents them. Add a reason at the end; never rename or
remove one (stored records refer to them).
"""

from __future__ import annotations

import re

from dsl.errors import did_you_mean
from engine.audit.diff import placements
from engine.audit.errors import audit_error
from engine.audit.store import Appended, AuditStore

OUTCOMES = ("accepted", "overridden")

# code -> what it means (shown by `groundwork audit feedback --help` and docs/audit.md)
OVERRIDE_REASONS: dict[str, str] = {
    "not_appropriate_now": "right for this client, but not at this time",
    "client_declined": "the client or their family declined it",
    "already_in_place": "the client already receives it or something equivalent",
    "resource_unavailable": "no one or nothing available to deliver it",
    "contraindicated": "a condition or sensitivity the assessment did not record rules it out",
    "clinical_judgement": "the clinician judged another course better for this client",
    "other": "none of the above (say why in the comment)",
}

MAX_COMMENT = 2000


def check_feedback(outcome: str, reason: str | None, comment: str | None) -> None:
    """Raise a GroundworkError (exit 2) unless the outcome, reason and comment fit the vocabulary."""
    if outcome not in OUTCOMES:
        raise audit_error("E720", f"unknown outcome '{outcome}'; expected accepted or overridden")
    if outcome == "overridden" and reason is None:
        raise audit_error("E721", "an override needs --reason CODE",
                          hint="one of: " + ", ".join(OVERRIDE_REASONS))
    if outcome == "accepted" and reason is not None:
        raise audit_error("E722", "a reason is given only when overriding; leave --reason out")
    if reason is not None and reason not in OVERRIDE_REASONS:
        # echo it only when it looks like a code: free text typed here may identify a person
        shown = f" '{reason}'" if re.fullmatch(r"[a-z_]{1,40}", reason) else ""
        hint = did_you_mean(reason, OVERRIDE_REASONS) if shown else None
        raise audit_error("E723", f"unknown override reason{shown}",
                          hint=(hint + " " if hint else "") + "known: " + ", ".join(OVERRIDE_REASONS))
    if comment is not None and len(comment) > MAX_COMMENT:
        # the comment itself is never echoed: it may identify a person
        raise audit_error("E724", f"the comment is {len(comment)} characters; at most {MAX_COMMENT}")


def record_feedback(store: AuditStore, record_id: int, intervention: str, outcome: str,
                    reason: str | None, comment: str | None, by: str | None,
                    engine_version: str) -> Appended:
    """Check the feedback, then append it to `store` as a record chained after the plan's record.

    Used by `groundwork audit feedback`, the HTTP API and the CDS Hooks feedback endpoint alike.
    """
    check_feedback(outcome, reason, comment)
    target = store.record(record_id, kind="assessment")
    known = placements(target.plan)
    if intervention not in known:
        shown = f" '{intervention}'" if re.fullmatch(r"[a-z0-9-]{1,64}", intervention) else ""
        hint = did_you_mean(intervention, known) if shown else None
        raise audit_error("E712", f"intervention{shown} is not in the plan of record {record_id}",
                          store.display, hint=hint or "in that plan: " + ", ".join(sorted(known)))
    if known[intervention].status == "not_suitable" and outcome == "accepted":
        # nothing was offered, so nothing can be accepted; using it anyway is an override
        why = str(known[intervention].detail.get("reason", "")).rstrip(".")
        raise audit_error("E725", f"{intervention} is not suitable for this client in record "
                                  f"{record_id} ({why}): it was never offered, so it cannot be "
                                  "accepted", store.display,
                          hint="to record that it is used anyway, give `overridden` with a reason; "
                               "otherwise there is nothing to record")
    return store.append_feedback(target, intervention, outcome, reason, comment, by, engine_version)
