"""What every interface does with a case, composed once: the CLI, the HTTP API and CDS Hooks all
call these functions, so a plan is assessed, recorded and explained the same way everywhere.

Stages are only composed here (intake -> pipeline -> explain -> audit store); none is re-decided.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from dsl.errors import Diagnostic, GroundworkError
from dsl.checked import CheckedKnowledgeBase
from engine.audit.store import Appended, AuditStore, Record
from engine.intake import parse_assessment, validate_assessment
from engine.models import Assessment
from engine.pipeline import assess, plan_json
from explain.context import Context

if TYPE_CHECKING:
    from explain.models import Why, WhyNot

# Replaying a stored plan, the progress since a previous one and the explanations of a single
# activity are imported where they are used: a plain `groundwork assess` (the README's first
# command, a cold process every time) needs none of them.


def assessed(assessment: Assessment, raw: dict, kb: CheckedKnowledgeBase, drafts: bool = False) -> Context:
    """One validated assessment through the pipeline, with everything needed to explain it."""
    return Context(kb, assess(assessment, raw, kb, drafts=drafts))


def assess_text(text: str, display: str, kb: CheckedKnowledgeBase, drafts: bool = False) -> tuple[Context, dict]:
    """JSON text -> validated assessment -> plan; bad input raises GroundworkError naming the field."""
    assessment, raw = parse_assessment(text, display, kb)
    return assessed(assessment, raw, kb, drafts), raw


def assess_raw(raw, display: str, kb: CheckedKnowledgeBase, drafts: bool = False) -> tuple[Context, dict]:
    """An already decoded JSON value -> validated assessment -> plan."""
    assessment = validate_assessment(raw, display, kb)
    return assessed(assessment, raw, kb, drafts), raw


def with_previous(ctx: Context, db: Path | str | None) -> Context:
    """The plan with `since_previous` when the assessment names its previous record (read from the
    audit store; exit 2 / 422 when that record is missing or is not this client's earlier one)."""
    previous = ctx.outcome.assessment.previous_record
    if previous is None:
        return ctx
    from engine.reports.progress import since_previous
    with AuditStore.open(db) as store:
        plan = since_previous(store, ctx.plan, previous)
    return Context(ctx.kb, replace(ctx.outcome, plan=plan))


def record_plan(ctx: Context, raw: dict, db: Path | str | None, actor: str | None = None) -> Appended:
    """Append the plan to the audit store (created if missing): no plan reaches a clinician unrecorded.
    `actor`: the signed-in user the record names (the server); None keeps the assessment's own."""
    with AuditStore.open(db, mode="create") as store:
        return store.append_assessment(ctx.outcome, raw, ctx.kb, actor)


def explanation(ctx: Context, intervention: str) -> Why | WhyNot:
    """why, for an active recommendation; otherwise why not (`intervention` is a catalog id)."""
    from explain.why import explain_why
    from explain.why_not import explain_why_not
    why = explain_why(ctx, intervention)
    return why if why is not None else explain_why_not(ctx, intervention)


class NotReproduced(GroundworkError):
    """A stored plan that this engine cannot rebuild exactly, so it cannot be explained here."""


def stored_context(store: AuditStore, record: Record, current: CheckedKnowledgeBase) -> Context:
    """The explanation context of a stored plan, rebuilt from the record's own input and KB.

    The current knowledge base is used when its content hash is the record's; otherwise the KB
    stored with the record (the replay machinery). The rebuilt plan must be byte-identical to the
    stored one: an explanation is only ever of the plan as the clinician received it.
    """
    from engine.audit.replay import ReplayFailure, rerun, restore_since_previous, stored_kb
    try:
        kb = current if current.content_hash == record.kb_hash else stored_kb(store, record)
        outcome = rerun(record, kb)
        outcome = replace(outcome, plan=restore_since_previous(store, record, outcome.plan))
    except ReplayFailure as failure:
        raise _not_reproduced(record, str(failure)) from None
    if plan_json(outcome.plan) != record.plan_json:
        raise _not_reproduced(record, "this engine now produces a different plan from the stored "
                                      "input and knowledge base")
    return Context(kb, outcome)


def _not_reproduced(record: Record, why: str) -> NotReproduced:
    return NotReproduced([Diagnostic(
        "E801", f"record {record.id} cannot be explained here: {why}", f"record {record.id}",
        hint=f"`groundwork audit replay {record.id}` shows the difference; "
             f"`groundwork audit show {record.id}` shows the plan as stored")])
