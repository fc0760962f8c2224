"""A FHIR QuestionnaireResponse (or a Bundle holding one and its Patient) <-> Groundwork's
assessment JSON.

Reading walks the form (form.py) and the response's items side by side: each answer becomes the
JSON value of its field, each group an object, each repeated group a list, each instrument item's
group one rating. What the response says about itself fills what it does not answer: the subject
(or the Bundle's Patient) gives `client_id`, the author `assessor_id`, `authored` the assessment
date, and the Patient's birth date the age. The JSON is then validated exactly like a Groundwork
file, and every message names the linkId the user answered.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import ValidationError

from dsl.errors import Diagnostic, GroundworkError
from dsl.checked import CheckedKnowledgeBase as KnowledgeBase
from engine.intake import validate_assessment
from engine.models import Assessment
from groundwork.fhir import EXTENSION
from groundwork.fhir.form import RATINGS, Question, form, unmapped_fields
from groundwork.fhir.questionnaire import questionnaire_url

FIELD_EXTENSION = f"{EXTENSION}/assessment-field"  # a model field with no question form
VALUE_KEYS = {"string": "valueString", "integer": "valueInteger", "decimal": "valueDecimal",
              "boolean": "valueBoolean", "date": "valueDate", "dateTime": "valueDateTime",
              "choice": "valueCoding"}
FHIR_TYPES = ("QuestionnaireResponse", "Bundle")


def is_fhir(raw) -> bool:
    return isinstance(raw, dict) and raw.get("resourceType") in FHIR_TYPES


def _error(display: str, where: str, message: str, code: str = "E260",
           hint: str | None = None) -> GroundworkError:
    return GroundworkError([Diagnostic(code, message, display, field_path=where, hint=hint)])


def _item(link_id: str) -> str:
    return f"item '{link_id}'"


# ---- reading ----

def assessment_from_fhir(raw: dict, display: str, kb: KnowledgeBase) -> tuple[Assessment, dict]:
    """(validated Assessment, Groundwork JSON) from a QuestionnaireResponse or Bundle."""
    response, patient = unpack(raw, display)
    reader = _Reader(display, kb)
    data = reader.read(response, patient)
    try:
        return validate_assessment(data, display, kb), data
    except GroundworkError as error:
        raise GroundworkError([_renamed(d, reader.link_ids) for d in error.diagnostics]) from None


def unpack(raw: dict, display: str) -> tuple[dict, dict | None]:
    """(the QuestionnaireResponse, the Patient or None), each checked by fhir.resources."""
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
    kind = raw.get("resourceType")
    if kind not in FHIR_TYPES:
        shown = kind if isinstance(kind, str) and kind.isalpha() and len(kind) < 40 else "another"
        raise _error(display, "resourceType", f"a {shown} resource; Groundwork reads a "
                     "QuestionnaireResponse or a Bundle holding one (and its Patient)", code="E261")
    model = Bundle if kind == "Bundle" else QuestionnaireResponse
    try:
        model.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p != "__root__") or "(top level)"
        raise _error(display, where, f"not a valid FHIR R4 {model.__name__}: {first['msg']}",
                     code="E261") from None
    if model is QuestionnaireResponse:
        return raw, None
    resources = [e.get("resource") or {} for e in raw.get("entry") or []]
    responses = [r for r in resources if r.get("resourceType") == "QuestionnaireResponse"]
    patients = [r for r in resources if r.get("resourceType") == "Patient"]
    if len(responses) != 1:
        raise _error(display, "entry", f"the Bundle holds {len(responses)} QuestionnaireResponses; "
                                       "expected exactly one", code="E261")
    if len(patients) > 1:
        raise _error(display, "entry", "the Bundle holds more than one Patient", code="E261")
    return responses[0], patients[0] if patients else None


class _Reader:
    def __init__(self, display: str, kb: KnowledgeBase):
        self.display = display
        self.kb = kb
        self.link_ids: dict[str, str] = {}  # JSON field path -> linkId, for messages

    def read(self, response: dict, patient: dict | None) -> dict:
        self._check_questionnaire(response)
        data = self._group(form(self.kb.instrument), response.get("item") or [], "")
        data.update(self._extensions(response))
        self._fill_from_resource(data, response, patient)
        self._required(form(self.kb.instrument), data, "")
        return data

    def _check_questionnaire(self, response: dict) -> None:
        status = response.get("status")
        if status not in ("completed", "amended"):
            shown = status if status in ("in-progress", "entered-in-error", "stopped") else "another"
            raise _error(self.display, "status", f"the response is {shown}, not completed: only "
                         "a completed (or amended) response is assessed", code="E262",
                         hint="complete the questionnaire, then set status to completed")
        named = response.get("questionnaire")
        wanted = questionnaire_url(self.kb)
        if named and named.split("|", 1)[0] != wanted:
            raise _error(self.display, "questionnaire", "the response answers another "
                         "questionnaire", code="E262",
                         hint=f"Groundwork reads answers to {wanted} "
                              "(`groundwork fhir questionnaire` prints it)")

    def _group(self, questions: tuple[Question, ...], items: list, path: str) -> dict:
        known = {q.link_id: q for q in questions}
        by_id: dict[str, list] = {}
        for item in items:
            link_id = item.get("linkId", "")
            if link_id not in known and not link_id.endswith(".help"):
                raise _error(self.display, _item(link_id), "is not a question of the "
                             "Groundwork questionnaire", code="E263",
                             hint="answer the questionnaire `groundwork fhir questionnaire` prints")
            by_id.setdefault(link_id, []).append(item)
        out: dict = {}
        for question in questions:
            found = by_id.get(question.link_id)
            if found:
                out[question.key] = self._value(question, found, f"{path}{question.key}")
        return out

    def _value(self, question: Question, found: list, path: str):
        self.link_ids[path] = question.link_id
        if question.shape == "objects":
            out = []
            for index, item in enumerate(found):
                self.link_ids[f"{path}[{index}]"] = question.link_id
                out.append(self._group(question.items, item.get("item") or [], f"{path}[{index}]."))
            return out
        if len(found) > 1:
            raise _error(self.display, _item(question.link_id), "is answered more than once",
                         code="E263")
        item = found[0]
        if question.shape == "object":
            return self._group(question.items, item.get("item") or [], path + ".")
        if question.shape == "instrument":
            return self._ratings(question, item.get("item") or [], path)
        answers = item.get("answer") or []
        if question.shape == "values":
            return [self._decode(question, a) for a in answers]
        if len(answers) != 1:
            raise _error(self.display, _item(question.link_id),
                         "needs exactly one answer" if answers else "has no answer", code="E263")
        return self._decode(question, answers[0])

    def _ratings(self, question: Question, items: list, path: str) -> list:
        groups = self._group(question.items, items, "")
        out: list[dict] = []
        for child in question.items:  # the instrument's order
            if child.key in groups:
                index = len(out)
                for name, link_id in [(q.key, q.link_id) for q in child.items]:
                    self.link_ids[f"{path}[{index}].{name}"] = link_id
                self.link_ids[f"{path}[{index}]"] = child.link_id
                self._required(child.items, groups[child.key], f"{path}[{index}].")
                out.append(dict(child.fixed) | groups[child.key])
        return out

    def _decode(self, question: Question, answer: dict):
        key = VALUE_KEYS[question.type]
        if key not in answer:
            raise _error(self.display, _item(question.link_id),
                         f"expects {key} ({question.type})", code="E264")
        value = answer[key]
        if question.type != "choice":
            return value
        system, code = value.get("system"), value.get("code")
        option = next((o for o in question.options if o.code == code), None)
        if option is None or (system is not None and system != question.system):
            raise _error(self.display, _item(question.link_id), "the answer is not one of the "
                         "question's answerOptions", code="E264",
                         hint="codes: " + ", ".join(o.code for o in question.options))
        return option.value

    def _extensions(self, response: dict) -> dict:
        out = {}
        allowed = set(unmapped_fields())
        for extension in response.get("extension") or []:
            if extension.get("url") != FIELD_EXTENSION:
                continue
            parts = {e.get("url"): e.get("valueString") for e in extension.get("extension") or []}
            name = parts.get("field")
            if name not in allowed:
                raise _error(self.display, "extension", f"the {FIELD_EXTENSION} extension may "
                             "carry only fields the questionnaire does not ask", code="E263")
            try:
                out[name] = json.loads(parts.get("value") or "")
            except json.JSONDecodeError:
                raise _error(self.display, "extension", f"field '{name}': value is not JSON",
                             code="E264") from None
        return out

    def _fill_from_resource(self, data: dict, response: dict, patient: dict | None) -> None:
        """What the response says about itself, for what it does not answer."""
        subject = _reference_id(response.get("subject"), "Patient")
        client = (patient or {}).get("id") or subject
        if "client_id" not in data and client:
            data["client_id"] = client
        author = _reference_id(response.get("author"), None)
        if "assessor_id" not in data and author:
            data["assessor_id"] = author
        authored = (response.get("authored") or "")[:10]
        if "assessment_date" not in data and authored:
            data["assessment_date"] = authored
        born = (patient or {}).get("birthDate")
        if "age" not in data and born and len(born) == 10 and data.get("assessment_date"):
            data["age"] = _age(born, data["assessment_date"])

    def _required(self, questions: tuple[Question, ...], data: dict, path: str) -> None:
        for question in questions:
            if question.required and question.key not in data:
                raise _error(self.display, _item(question.link_id), "required answer is missing",
                             code="E265", hint=f"answer '{question.link_id}' "
                                               f"({question.text}) and try again")
            value = data.get(question.key)
            if question.shape == "object" and isinstance(value, dict):
                self._required(question.items, value, f"{path}{question.key}.")
            if question.shape == "objects" and isinstance(value, list):
                for index, element in enumerate(value):
                    self._required(question.items, element, f"{path}{question.key}[{index}].")


def _reference_id(reference, resource_type: str | None) -> str | None:
    text = (reference or {}).get("reference") or ""
    kind, _, ident = text.rpartition("/")
    if not ident or (resource_type and kind.rsplit("/", 1)[-1] != resource_type):
        return None
    return ident


def _age(born: str, on: str) -> dict:
    try:
        birth, day = dt.date.fromisoformat(born), dt.date.fromisoformat(on)
    except ValueError:
        return {}
    months = (day.year - birth.year) * 12 + day.month - birth.month - (day.day < birth.day)
    return {"years": max(months, 0) // 12, "months": max(months, 0) % 12}


def _renamed(diagnostic: Diagnostic, link_ids: dict[str, str]) -> Diagnostic:
    """A message about a JSON field path, re-pointed at the linkId that carried the value."""
    path = diagnostic.field_path or ""
    while path and path not in link_ids:
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    where = _item(link_ids[path]) if path else diagnostic.field_path
    return Diagnostic(diagnostic.code, diagnostic.message, diagnostic.path, field_path=where,
                      hint=diagnostic.hint)


# ---- writing ----

def response_from_assessment(raw: dict, kb: KnowledgeBase) -> dict:
    """A QuestionnaireResponse (FHIR JSON) answering the form with a Groundwork assessment."""
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
    from engine.pipeline import input_hash
    from groundwork.fhir.jsonout import resource_dict
    assessment = Assessment.model_validate(raw)
    data = assessment.model_dump(mode="json")
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse", "id": f"gw-{input_hash(raw)[:16]}",
        "questionnaire": f"{questionnaire_url(kb)}|{kb.instrument.version}", "status": "completed",
        "subject": {"reference": f"Patient/{assessment.client_id}"},
        "authored": assessment.assessment_date.isoformat(),
        "author": {"reference": f"Practitioner/{assessment.assessor_id}"},
        "item": _items(form(kb.instrument), data)}
    extensions = [{"url": FIELD_EXTENSION, "extension": [
        {"url": "field", "valueString": name},
        {"url": "value", "valueString": json.dumps(data[name], sort_keys=True)}]}
        for name in unmapped_fields() if name in raw]
    if extensions:
        response["extension"] = extensions
    return resource_dict(QuestionnaireResponse.model_validate(response))


def _items(questions: tuple[Question, ...], data: dict) -> list:
    out: list[dict[str, Any]] = []
    for question in questions:
        if question.key not in data and question.shape != "instrument":
            continue
        value: Any = data.get(question.key)
        if value is None and not any(o.value is None for o in question.options):
            continue  # a field left at null (its default): nothing to answer
        head = {"linkId": question.link_id, "text": question.text}
        if question.shape == "instrument":
            rated = {r["item"]: r for r in data.get(RATINGS, [])}
            groups = [{"linkId": q.link_id, "text": q.text, "item": _items(q.items, rated[q.key])}
                      for q in question.items if q.key in rated]
            out.append(head | {"item": groups})
        elif question.shape == "object":
            out.append(head | {"item": _items(question.items, value)})
        elif question.shape == "objects":
            out += [head | {"item": _items(question.items, element)} for element in value]
        elif question.shape == "values":
            if value:
                out.append(head | {"answer": [_encode(question, v) for v in value]})
        else:
            out.append(head | {"answer": [_encode(question, value)]})
    return [i for i in out if i.get("answer") or i.get("item")]


def _encode(question: Question, value) -> dict:
    if question.type != "choice":
        return {VALUE_KEYS[question.type]: value}
    option = next(o for o in question.options if o.value == value)
    return {"valueCoding": {"system": question.system, "code": option.code,
                            "display": option.display}}
