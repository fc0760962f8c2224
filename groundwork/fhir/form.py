"""The assessment form: one question per field of the pydantic Assessment model, one group per
item of the knowledge base's instrument.

Derived, never written by hand, so a field added to the model (or an item added to the
instrument) is a question of the Questionnaire and an answer read from a QuestionnaireResponse
without touching this package. A field whose type has no question form here travels in an
extension instead (response.py), so nothing the model accepts is lost.

linkIds are the field paths of Groundwork's JSON in dotted form (for example age.years, or the
current state of the arousal block); an instrument item's group is `ratings.<item id>` and its answers
`ratings.<item id>.value`, `ratings.<item id>.informant`.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from dsl import vocabulary
from dsl.instrument import Instrument
from engine.models import Assessment, Rating
from groundwork.fhir import CODESYSTEM

UNKNOWN = "unknown"  # the answer code for a rating left unknown (null in Groundwork's JSON)
RATINGS = "ratings"
LEAF_TYPES = {bool: "boolean", int: "integer", float: "decimal", str: "string", dt.date: "date",
              dt.datetime: "dateTime"}


@dataclass(frozen=True)
class Option:
    code: str
    display: str
    value: object  # the JSON value the answer stands for


@dataclass(frozen=True)
class Question:
    """One node of the form. `shape` says what it becomes in Groundwork's JSON:
    value (one leaf), values (a list of choices), object (a group), objects (a repeating group),
    or instrument (a group of item groups, each one element of `ratings` with `fixed` set)."""

    link_id: str
    key: str
    text: str
    type: str  # a Questionnaire item type: group, string, integer, decimal, boolean, date, choice
    shape: str
    required: bool = False
    repeats: bool = False
    options: tuple[Option, ...] = ()
    system: str | None = None
    items: tuple["Question", ...] = ()
    fixed: tuple[tuple[str, object], ...] = ()
    definition: str | None = None
    age_range: tuple[int | None, int | None] | None = None  # months, for enableWhen


def _vocabulary_name(values: tuple) -> str | None:
    """The name of the vocabulary tuple these choices come from (AROUSAL_STATES -> arousal-states)."""
    for name, declared in vars(vocabulary).items():
        if name.isupper() and isinstance(declared, tuple) and tuple(declared) == tuple(values):
            return name.lower().replace("_", "-")
    return None


def _unwrap(annotation) -> tuple[object, bool]:
    """(inner type, nullable) for `X | None` / Optional[X]."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _choices(annotation, link_id: str) -> tuple[tuple[Option, ...], str] | None:
    if typing.get_origin(annotation) is not typing.Literal:
        return None
    values = typing.get_args(annotation)
    name = _vocabulary_name(values) or "assessment-" + link_id.replace(".", "-").replace("_", "-")
    return tuple(Option(str(v), str(v).replace("_", " "), v) for v in values), f"{CODESYSTEM}/{name}"


def _field(name: str, info: FieldInfo, prefix: str) -> Question | None:
    link_id = f"{prefix}{name}"
    annotation, _ = _unwrap(info.annotation)
    common: dict[str, Any] = dict(link_id=link_id, key=name, text=info.title or name,
                                  required=info.is_required(), definition=info.description)
    origin = typing.get_origin(annotation)
    if origin in (tuple, list):
        inner = typing.get_args(annotation)[0]
        choices = _choices(inner, link_id)
        if choices:
            return Question(type="choice", shape="values", repeats=True, options=choices[0],
                            system=choices[1], **common)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return Question(type="group", shape="objects", repeats=True,
                            items=_children(inner, link_id + "."), **common)
        return None
    choices = _choices(annotation, link_id)
    if choices and len(choices[0]) == 1 and not info.is_required():
        return None  # a constant (the format's schema_version): nothing to ask
    if choices:
        return Question(type="choice", shape="value", options=choices[0], system=choices[1], **common)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return Question(type="group", shape="object", items=_children(annotation, link_id + "."),
                        **common)
    if annotation in LEAF_TYPES:
        return Question(type=LEAF_TYPES[annotation], shape="value", **common)
    return None  # carried by an extension (response.py)


def _children(model: type[BaseModel], prefix: str) -> tuple[Question, ...]:
    found = (_field(name, info, prefix) for name, info in model.model_fields.items())
    return tuple(q for q in found if q is not None)


def unmapped_fields() -> tuple[str, ...]:
    """Top-level Assessment fields with no question form: they travel in an extension."""
    return tuple(name for name, info in Assessment.model_fields.items()
                 if name != RATINGS and _field(name, info, "") is None and not _constant(info))


def _constant(info: FieldInfo) -> bool:
    annotation, _ = _unwrap(info.annotation)
    return typing.get_origin(annotation) is typing.Literal and len(typing.get_args(annotation)) == 1


def _rating_value(instrument: Instrument, link_id: str, info: FieldInfo) -> Question:
    options = tuple(Option(str(p.value), p.label, p.value) for p in instrument.scale)
    _, nullable = _unwrap(info.annotation)
    if nullable:
        options += (Option(UNKNOWN, "unknown: not known or not observed", None),)
    return Question(link_id=link_id, key="value", text=info.title or "Value", type="choice",
                    shape="value", required=True, options=options,
                    system=f"{CODESYSTEM}/rating-scale", definition=info.description)


def _age_range(item) -> tuple[int | None, int | None] | None:
    """The ages (months) in which an item is rated, when the instrument declares them."""
    low = next((getattr(item, n) for n in ("rated_from_months", "due_from_months",
                                            "min_age_months") if hasattr(item, n)), None)
    high = next((getattr(item, n) for n in ("rated_until_months", "due_until_months",
                                             "max_age_months") if hasattr(item, n)), None)
    return (low, high) if (low or high) else None


def _rating_group(instrument: Instrument, item) -> Question:
    link_id = f"{RATINGS}.{item.id}"
    children = []
    for name, info in Rating.model_fields.items():
        if name == "item":
            continue
        if name == "value":
            children.append(_rating_value(instrument, f"{link_id}.value", info))
        else:
            question = _field(name, info, link_id + ".")
            if question is not None:
                children.append(question)
    return Question(link_id=link_id, key=item.id, text=item.text, type="group", shape="object",
                    items=tuple(children), fixed=(("item", item.id),),
                    definition=f"Region {item.region}, domain {item.domain}",
                    age_range=_age_range(item))


@lru_cache(maxsize=8)
def form(instrument: Instrument) -> tuple[Question, ...]:
    """The whole form, in the model's field order; the ratings group holds one group per item."""
    out = []
    for name, info in Assessment.model_fields.items():
        if name == RATINGS:
            out.append(Question(link_id=RATINGS, key=RATINGS, text=info.title or RATINGS,
                                type="group", shape="instrument", required=True,
                                definition=info.description,
                                items=tuple(_rating_group(instrument, i) for i in instrument.items)))
            continue
        question = _field(name, info, "")
        if question is not None:
            out.append(question)
    return tuple(out)


def walk(questions: tuple[Question, ...]):
    """Every question, depth first."""
    for question in questions:
        yield question
        yield from walk(question.items)
