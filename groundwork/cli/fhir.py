"""`groundwork fhir questionnaire` / `groundwork fhir response CASE.json`: FHIR R4 for EHRs.

The Questionnaire (with the CodeSystems its answers and Groundwork's plans use) is what an EHR
loads to collect an assessment; `response` turns a Groundwork assessment into the
QuestionnaireResponse that answers it (what `groundwork assess` and CDS Hooks read back).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from groundwork.cli import app
from groundwork.cli.common import KbOption, load_kb, write_output

fhir_app = typer.Typer(no_args_is_help=True, help="FHIR R4: the instrument as a Questionnaire; "
                                                  "assessments as QuestionnaireResponses.")
app.add_typer(fhir_app, name="fhir")
OutOption = typer.Option(None, "--out", "-o", metavar="FILE", help="Write to this file instead.")


@fhir_app.command()
def questionnaire(kb: Optional[Path] = KbOption, out: Optional[Path] = OutOption) -> None:
    """Print the instrument as a FHIR Questionnaire, with its CodeSystems, as one Bundle."""
    from groundwork.fhir.jsonout import dumps
    from groundwork.fhir.questionnaire import questionnaire_bundle
    write_output(dumps(questionnaire_bundle(load_kb(kb))), out)


@fhir_app.command()
def response(case: Path = typer.Argument(..., help="Groundwork assessment JSON file.",
                                         metavar="CASE.json"),
             kb: Optional[Path] = KbOption, out: Optional[Path] = OutOption) -> None:
    """Print a Groundwork assessment as the QuestionnaireResponse that answers the Questionnaire."""
    import json

    from engine.intake import read_assessment_file
    from groundwork.fhir.response import response_from_assessment
    knowledge = load_kb(kb)
    _, raw = read_assessment_file(case, knowledge)
    text = json.dumps(response_from_assessment(raw, knowledge), indent=2, ensure_ascii=False)
    write_output(text + "\n", out)
