"""FHIR R4 in and out (R4B models of `fhir.resources`).

- form.py: the assessment form, derived from the pydantic Assessment model and the knowledge
  base's instrument (one question per field; one group per instrument item);
- questionnaire.py: that form as a Questionnaire, and the CodeSystems its answers and our plans use;
- response.py: a QuestionnaireResponse (or a Bundle holding one and its Patient) -> Groundwork's
  assessment JSON, and back;
- plan.py: a plan -> a Bundle (CarePlan, DetectedIssue per flag, Provenance);
- jsonout.py: deterministic FHIR JSON.

Nothing here decides anything clinical: the mapping only moves fields between two spellings.
"""

BASE = "https://groundwork-cds.org/fhir"
EXTENSION = f"{BASE}/StructureDefinition"
CODESYSTEM = f"{BASE}/CodeSystem"
