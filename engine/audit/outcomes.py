"""Outcome events and exposure time: what a program counts to see whether its clients do better.

An outcome event (a restraint, a placement move …) and an exposure period (days in placement, or
bed-days) are records of the audit store, chained like every other record. Both are pseudonymous
and carry no free text: a client pseudonym, a date, a setting from the one vocabulary of settings,
and for an event a code (the agency's incident reference or classification, itself checked to be
an id, not words). Their fields are stored as canonical JSON in `input_json` (so the hash covers
them) and are copied by a trigger into outcome_events for SQL (engine/audit/schema.py).

Recorded through `groundwork outcome record|exposure`, `POST /api/outcomes|/api/exposures` and the
web page's outcome form alike; bad input is refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dsl import vocabulary as v
from dsl.errors import Diagnostic, GroundworkError
from engine.audit.errors import audit_error
from engine.audit.store import Appended, AuditStore, Record
from engine.models import PSEUDONYM
from engine.pipeline import canonical_json, input_hash

# Add new events at the end; never rename or remove one (stored records name them).
EVENTS: dict[str, str] = {
    "restraint": "physical restraint of the client",
    "seclusion": "the client kept alone in a room or area they cannot leave",
    "critical_incident": "an incident the agency reports as critical (harm, risk to life, police)",
    "placement_move": "an unplanned move to another placement",
    "school_exclusion": "a fixed-term or permanent exclusion from school",
    "missing_episode": "the client missing from their placement",
    "hospital_admission": "an admission to hospital (physical or mental health)",
}
KINDS = ("outcome", "exposure")
CODE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
MAX_PERIOD_DAYS = 366
EARLIEST = dt.date(1900, 1, 1)  # the store's calendar of months starts here (engine/audit/schema.py)
PAYLOAD_FORMAT = 1

if TYPE_CHECKING:  # the type checker sees a plain string; pydantic sees the closed list
    EventName = str
else:
    EventName = Literal[tuple(EVENTS)]
SettingName = Literal[v.SETTINGS]  # type: ignore[valid-type]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutcomeEventIn(_In):
    client_id: str = Field(title="Client pseudonym", pattern=PSEUDONYM,
                           description="Pseudonymous id of the client; never a name")
    event: EventName = Field(title="Event", description="What happened: " + ", ".join(EVENTS))
    date: dt.date = Field(title="Date", description="The day it happened (not in the future)")
    setting: SettingName = Field(title="Setting", description="Where: " + ", ".join(v.SETTINGS))
    code: str = Field(title="Code", pattern=CODE,
                      description="The agency's incident reference or classification code "
                                  "(letters, digits, '.', '-', '_'; no free text)")
    recorded_by: str | None = Field(None, title="Recorded by", pattern=PSEUDONYM,
                                    description="Pseudonymous id of whoever records it")

    @model_validator(mode="after")
    def _not_future(self):
        if self.date > today():
            raise ValueError("date: the event's date is in the future")
        if self.date < EARLIEST:
            raise ValueError(f"date: the event's date is before {EARLIEST}")
        return self


class ExposureIn(_In):
    client_id: str = Field(title="Client pseudonym", pattern=PSEUDONYM,
                           description="Pseudonymous id of the client; never a name")
    setting: SettingName = Field(title="Setting", description="The placement's setting: "
                                 + ", ".join(v.SETTINGS))
    start: dt.date = Field(title="First day", description="First day in placement in this period")
    end: dt.date = Field(title="Last day", description="Last day in placement in this period "
                                                       "(inclusive; not in the future)")
    recorded_by: str | None = Field(None, title="Recorded by", pattern=PSEUDONYM,
                                    description="Pseudonymous id of whoever records it")

    @model_validator(mode="after")
    def _period(self):
        if self.end < self.start:
            raise ValueError("end: the last day (--to) is before the first day (--from)")
        if self.end > today():
            raise ValueError("end: the last day (--to) is in the future")
        if self.start < EARLIEST:
            raise ValueError(f"start: the first day (--from) is before {EARLIEST}")
        if self.days > MAX_PERIOD_DAYS:
            raise ValueError(f"end: a period is at most {MAX_PERIOD_DAYS} days; record a long "
                             "placement as one period per month or year")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


# field -> error code, for messages that name the field the way the CLI and API spell it
FIELD_CODES = {"client_id": "E718", "recorded_by": "E718", "event": "E730", "date": "E731",
               "setting": "E732", "code": "E733", "start": "E734", "end": "E734"}
MESSAGES = {
    "client_id": "the client must be a pseudonymous id: letters, digits, '-' or '_' (at most 64)",
    "recorded_by": "recorded by must be a pseudonymous id: letters, digits, '-' or '_' (at most 64)",
    "event": "unknown event; known: " + ", ".join(EVENTS),
    "setting": "unknown setting; known: " + ", ".join(v.SETTINGS),
    "code": "the code must be an id of at most 32 letters, digits, '.', '-' or '_' (no free text)",
    "date": "the date must be a day YYYY-MM-DD",
    "start": "the first day (--from) must be a day YYYY-MM-DD",
    "end": "the last day (--to) must be a day YYYY-MM-DD",
}


Parsed = TypeVar("Parsed", bound="_In")


def parse(model: type[Parsed], data: dict, where: str = "outcome") -> Parsed:
    """Validate `data`, or raise one GroundworkError (exit 2, HTTP 422) per problem field.

    Messages never echo the value: a free-text or name typed by mistake stays out of the output.
    """
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems: dict[str, Diagnostic] = {}
        for item in error.errors():
            field, message = _problem(item)
            problems.setdefault(field, Diagnostic(FIELD_CODES.get(field, "E735"), message, where))
        raise GroundworkError(problems.values()) from None


def field_of(diagnostic: Diagnostic) -> str:
    """The input field a diagnostic from `parse` is about (its message starts with it)."""
    field = diagnostic.message.split(":", 1)[0]
    return field if field in FIELD_CODES else "(body)"


def _problem(item) -> tuple[str, str]:
    loc = [str(p) for p in item.get("loc", ())]
    if loc:
        field = loc[0]
        if item.get("type") == "extra_forbidden":
            return field, f"{field}: unknown field"
        if item.get("type") == "missing":
            return field, f"{field}: required"
        return field, f"{field}: {MESSAGES.get(field, item.get('msg', 'invalid'))}"
    message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
    field = message.split(":", 1)[0]
    return (field if field in FIELD_CODES else "(input)"), message


def event_payload(event: OutcomeEventIn) -> dict:
    return {"format": PAYLOAD_FORMAT, "event": event.event, "date": event.date.isoformat(),
            "setting": event.setting, "code": event.code}


def exposure_payload(exposure: ExposureIn) -> dict:
    return {"format": PAYLOAD_FORMAT, "event": "exposure", "date": exposure.start.isoformat(),
            "to": exposure.end.isoformat(), "days": exposure.days, "setting": exposure.setting}


def _fields(kind: str, client: str, by: str | None, payload: dict, engine_version: str) -> dict:
    return {"kind": kind, "client_id": client, "assessor_id": by, "engine_version": engine_version,
            "input_json": canonical_json(payload), "input_hash": input_hash(payload)}


def record_event(store: AuditStore, event: OutcomeEventIn, engine_version: str) -> Appended:
    """Append one outcome event to the chain (already validated by `parse`)."""
    fields = _fields("outcome", event.client_id, event.recorded_by, event_payload(event),
                     engine_version)
    return store.append_records([fields])[0]


def record_exposure(store: AuditStore, exposure: ExposureIn, engine_version: str) -> Appended:
    """Append one exposure period, unless it overlaps one already recorded for the client (the
    days would be counted twice and every rate would fall)."""
    clash = store.conn.execute(
        "SELECT record_id, event_date, period_end FROM outcome_events WHERE kind = 'exposure' "
        "AND client_id = ? AND event_date <= ? AND period_end >= ? ORDER BY record_id LIMIT 1",
        (exposure.client_id, exposure.end.isoformat(), exposure.start.isoformat())).fetchone()
    if clash is not None:
        raise audit_error("E736", f"the period overlaps exposure record {clash[0]} of this client "
                                  f"({clash[1]} to {clash[2]}); days would be counted twice",
                          store.display, hint="record only the days not yet recorded")
    fields = _fields("exposure", exposure.client_id, exposure.recorded_by,
                     exposure_payload(exposure), engine_version)
    return store.append_records([fields])[0]


def record_problems(record: Record) -> list[str]:
    """What `audit verify` checks in an outcome or exposure record beyond its hash."""
    try:
        payload = json.loads(record.input_json or "")
    except ValueError:
        return ["its event is not valid JSON"]
    if input_hash(payload, record.hash_format) != record.input_hash:
        return ["its event does not match its input hash"]
    if not isinstance(payload, dict):
        return ["its event is not an object"]
    data = {k: payload.get(k) for k in ("event", "date", "setting", "code")}
    data |= {"client_id": record.client_id, "recorded_by": record.assessor_id}
    try:
        if record.kind == "exposure":
            parsed = ExposureIn.model_validate({"client_id": record.client_id, "setting":
                                                payload.get("setting"), "start": payload.get("date"),
                                                "end": payload.get("to"),
                                                "recorded_by": record.assessor_id})
            if payload.get("days") != parsed.days:
                return ["its days do not match its period"]
        else:
            OutcomeEventIn.model_validate(data)
    except ValidationError:
        return [f"its {record.kind} is not a valid {record.kind} record"]
    return []
