"""Every error and warning code, declared once: its severity, title, exit code and documentation.

Diagnostics carry a code (`Diagnostic("E220", ...)`); this registry says what each code is.
docs/errors.md is generated from it (`python -m dsl.codes > docs/errors.md`; a test keeps the two
in step), the HTTP layer takes each code's status from here, and a test fails when a code is used
in the source but not declared here, or declared without documentation.

Exit codes follow DESIGN.md: 2 bad input or usage (a rule file, a knowledge base, an assessment,
an option), 1 the command ran and found problems (lint findings, failing rule tests, an audit
mismatch), 3 an internal failure (no plan is printed). `groundwork lint` reports knowledge-base
errors as findings (exit 1); every other command that loads a broken knowledge base exits 2.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Code:
    code: str
    title: str  # what went wrong, in a few words
    doc: str  # where it is explained, with an example: "docs/dsl.md#e001-syntax"
    exit_code: int = 2
    http_status: int = 422  # when the HTTP API reports it
    severity: Severity = "error"

    @property
    def anchor(self) -> str:
        """This code's entry in docs/errors.md."""
        return self.code.lower()


def section(document: str, heading: str) -> str:
    """A link to a heading, as GitHub anchors it: "docs/dsl.md" + "E001: syntax"."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
    return f"{document}#{slug}"


def _dsl(code: str, heading: str, title: str, **kw) -> Code:
    return Code(code, title, section("docs/dsl.md", heading), **kw)


def _lint(code: str, heading: str, title: str) -> Code:
    severity: Severity = "warning" if code.startswith("W") else "error"
    return Code(code, title, section("docs/dsl.md", heading), exit_code=1, severity=severity)


ERRORS = "docs/errors.md"
AUDIT = section("docs/audit.md", "Error codes")
FHIR = section("docs/fhir.md", "Reading a QuestionnaireResponse")
WEB = section("docs/web.md", "Errors")
TRAINERS = section("docs/trainers.md", "7. The scenario file format")

CODES: tuple[Code, ...] = (
    # ---- rule files and the knowledge base (docs/dsl.md section 14) ----
    _dsl("E001", "E001: syntax", "a rule file does not parse"),
    _dsl("E100", "E100: the knowledge base as a whole", "the knowledge base directory is missing or incomplete"),
    _dsl("E101", "E101: regions", "the regions are not declared correctly"),
    _dsl("E102", "E102: domains", "the domains are not declared correctly"),
    _dsl("E103", "E103: bands", "the band thresholds are not declared correctly"),
    _dsl("E105", "E105: the arousal reachability table", "the arousal reachability table is wrong"),
    _dsl("E110", "E110: unknown region or domain", "unknown region or domain"),
    _dsl("E111", "E111: unknown fact path", "unknown fact path"),
    _dsl("E112", "E112: unknown derived fact", "unknown derived fact"),
    _dsl("E113", "E113: unknown intervention", "unknown intervention"),
    _dsl("E114", "E114: a value that is not on the scale", "a value that is not on the fact's scale"),
    _dsl("E115", "E115: a comparison that does not fit the fact", "a comparison that does not fit the fact"),
    _dsl("E116", "E116: an empty range", "an empty range"),
    _dsl("E117", "E117: a word of a catalog set that names nothing",
         "a word of a catalog set that names nothing"),
    _dsl("E118", "E118: a catalog set that names two of a kind", "a catalog set that names two of a kind"),
    Code("W119", "a catalog set with no member", section("docs/dsl.md", "`defer … until`"),
         exit_code=1, severity="warning"),
    _dsl("E120", "E120: a header field is missing", "a rule header field is missing"),
    _dsl("E121", "E121: not a semantic version", "a version is not a semantic version"),
    _dsl("E122", "E122: unknown status or evidence level", "unknown rule status or evidence level"),
    _dsl("E130", "E130: a rule id used twice", "a rule id is used twice"),
    _dsl("E131", "E131: an intervention id used twice", "an intervention id is used twice"),
    _dsl("E140", "E140: negation that is not stratified", "negation that is not stratified"),
    _dsl("E141", "E141: an intervention that requires itself", "a prerequisite cycle"),
    _dsl("E142", "E142: a prerequisite from a higher region", "a prerequisite from a higher region"),
    _dsl("E150", "E150: an incomplete or inconsistent intervention or dose",
         "an incomplete or inconsistent intervention or dose"),
    _dsl("E151", "E151: unknown modality, setting, sensitivity, deliverer, track, routine or state",
         "unknown modality, setting, sensitivity, deliverer, track, routine or state"),
    _dsl("E152", "E152: support work gated on the client", "support work gated on the client's bands or state"),
    _dsl("E154", "E154: body contact without a no-touch alternative",
         "body-contact work without a valid no-touch alternative"),
    _dsl("E160", "E160: unknown flag severity", "unknown flag severity"),
    _dsl("E161", "E161: a critical flag that brings no action",
         "a critical flag that brings no action"),
    _dsl("E170", "E170: the instrument", "the instrument file is missing or wrong"),
    _dsl("E180", "E180, E181: a rule or chain too large for the engine", "a rule too large for the engine"),
    _dsl("E181", "E180, E181: a rule or chain too large for the engine",
         "a chain of rules too large for one rule set"),
    _dsl("E190", "E190: a number out of range", "a number out of the range of the place it stands"),
    # ---- lint findings (docs/dsl.md section 15) ----
    _lint("E401", "E401: a rule that can never fire", "a rule that can never fire"),
    _lint("E402", "E402: a gate that can never open", "a gate that can never open"),
    _lint("W403", "W403: a gate that never defers", "a gate that never defers"),
    _lint("W404", "W404: part of a condition that can never hold", "part of a condition that can never hold"),
    _lint("W405", "W405: a recommendation that can never become active",
          "a recommendation that can never become active"),
    _lint("W310", "W310: one rule recommends what another avoids", "one rule recommends what another avoids"),
    _lint("W311", 'W311: "no action needed" while another rule recommends work',
          '"no action needed" while another rule recommends work'),
    _lint("W312", "W312: two doses for the same intervention", "two doses for the same intervention"),
    _lint("W330", "W330: a redundant rule", "a redundant rule"),
    _lint("W340", "W340: a draft rule in a release", "a draft rule in a release"),
    _lint("W341", "W341: a fact that only retired rules derive", "a fact that only retired rules derive"),
    _lint("W342", "W342: a scenario that names a retired rule", "a scenario that names a retired rule"),
    _lint("W343", "W343: an intervention no rule uses", "an intervention no rule uses"),
    _lint("W350", "W350: relational or reasoning work with no gate on the regions below",
          "relational or reasoning work with no gate on the regions below"),
    _lint("W360", "W360: a client profile with no guidance", "a client profile with no guidance"),
    _lint("W370", "W370: a source without authors or a year", "a source without authors or a year"),
    # ---- assessments and command input ----
    Code("E200", "the assessment is invalid (the message names the field)", ERRORS),
    Code("E201", "the file cannot be read (missing, a directory, not UTF-8)", ERRORS),
    Code("E202", "the file is empty", ERRORS),
    Code("E203", "malformed JSON", ERRORS),
    Code("E204", "no cases found for a batch", ERRORS),
    Code("E205", "Dask is not installed, or its scheduler cannot be reached", ERRORS),
    Code("E206", "the directory for the results does not exist", ERRORS),
    Code("E208", "an option's value is out of range", ERRORS),
    Code("E240", "the input is beyond a limit (file size, nesting depth, text or list length, number size)",
         ERRORS),
    Code("E241", "a JSON object gives the same key twice", ERRORS),
    Code("E209", "`--base-results` is not a batch results file of the base knowledge base", ERRORS),
    Code("E220", "not an intervention in the catalog (the message names the nearest ids)", ERRORS,
         http_status=404),
    Code("E221", "the intervention is not recommended, so it has no derivation graph", ERRORS),
    Code("E230", "Graphviz is not installed: SVG output needs it", ERRORS, http_status=501),
    Code("E231", "Graphviz could not draw the graph", ERRORS, exit_code=3, http_status=500),
    # ---- FHIR input (docs/fhir.md) ----
    Code("E260", "the FHIR QuestionnaireResponse cannot be read as an assessment", FHIR),
    Code("E261", "not a FHIR R4 QuestionnaireResponse, or a Bundle without exactly one", FHIR),
    Code("E262", "the response is not completed, or answers another Questionnaire", FHIR),
    Code("E263", "an answer to no question, an answer given twice, or no answer", FHIR),
    Code("E264", "an answer of the wrong type, or not one of the answer options", FHIR),
    Code("E265", "a required answer is missing", FHIR),
    # ---- the engine ----
    Code("E300", "the rule engine failed; no plan was produced", ERRORS, exit_code=3, http_status=500),
    Code("E399", "an internal error; please report it with the command you ran", ERRORS,
         exit_code=3, http_status=500),
    # ---- rule scenarios (`groundwork test`) ----
    Code("E500", "no such scenario file", TRAINERS),
    Code("E501", "a scenario file is not valid (the message names the field)", TRAINERS),
    Code("E502", "a scenario gives both a profile and an assessment", TRAINERS),
    Code("E503", "a scenario name is used twice", TRAINERS),
    Code("E504", "no scenario found in the knowledge base, or `-k` matched none", TRAINERS),
    Code("E505", "a scenario's assessment is not a .json file inside the knowledge base directory",
         TRAINERS),
    Code("E510", "no ratings give the band a scenario asks for", ERRORS),
    # ---- the audit store (docs/audit.md) ----
    Code("E700", "the store path is a directory", AUDIT, http_status=500),
    Code("E701", "no store at that path", AUDIT, http_status=500),
    Code("E702", "not an SQLite database, or unreadable", AUDIT, http_status=500),
    Code("E703", "an SQLite file that is not a Groundwork audit store", AUDIT, http_status=500),
    Code("E704", "the store was written by a newer Groundwork", AUDIT, http_status=500),
    Code("E705", "the store has an older schema: run `groundwork audit migrate`", AUDIT, http_status=500),
    Code("E706", "the store's directory does not exist, or the file cannot be created", AUDIT,
         http_status=500),
    Code("E709", "SQLite failed while reading or writing", AUDIT, http_status=500),
    Code("E710", "no record with that id", AUDIT, http_status=404),
    Code("E711", "the record is of the other kind", AUDIT, http_status=404),
    Code("E712", "the intervention is not in that record's plan", AUDIT),
    Code("E713", "`--since` is not a date or time", AUDIT),
    Code("E714", "no records of that client", AUDIT, http_status=404),
    Code("E715", "`--expect-head` is not a 64-character hex hash", AUDIT),
    Code("E716", "an exported record's knowledge-base source is missing from the store", AUDIT),
    Code("E717", "the knowledge base changed on disk while it was in use", AUDIT),
    Code("E718", "an id that must be a pseudonym is not one", AUDIT),
    Code("E719", "audit replay: not a record id, a range FROM-TO or --all", AUDIT),
    Code("E720", "feedback: unknown outcome", AUDIT),
    Code("E721", "feedback: an override needs a reason", AUDIT),
    Code("E722", "feedback: a reason is given only when overriding", AUDIT),
    Code("E723", "feedback: unknown override reason", AUDIT),
    Code("E724", "feedback: the comment is too long", AUDIT),
    Code("E725", "feedback: a not-suitable item was never offered, so it cannot be accepted", AUDIT),
    Code("E730", "outcome: unknown event", AUDIT),
    Code("E731", "outcome: the date is not a day, or is in the future", AUDIT),
    Code("E732", "an unknown setting", AUDIT),
    Code("E733", "outcome: the code is not an id", AUDIT),
    Code("E734", "exposure: the period is not valid", AUDIT),
    Code("E735", "outcome or exposure: a field that does not belong there", AUDIT),
    Code("E736", "exposure: the period overlaps one already recorded", AUDIT),
    Code("E737", "program report or export: the dates are not valid", AUDIT),
    Code("E738", "program generate: the store already exists", AUDIT),
    Code("E739", "the previous record is another client's, or dated after this assessment", AUDIT),
    Code("E740", "the store is damaged: nothing is appended to it", AUDIT, http_status=503),
    Code("E741", "the store no longer holds the head last written here (truncated, replaced or "
                 "rewritten)", AUDIT, http_status=503),
    Code("E742", "the head file next to the store cannot be read", AUDIT, http_status=503),
    Code("E743", "audit anchor: the anchor file cannot be read or written, or there is no head yet",
         AUDIT),
    Code("E744", "audit anchor: the key cannot be read, is not Ed25519, or would be overwritten",
         AUDIT),
    # ---- the HTTP API, the web page and CDS Hooks (docs/web.md) ----
    Code("E800", "the HTTP request was refused (method, route)", WEB, http_status=405),
    Code("E801", "the stored plan cannot be rebuilt exactly here", WEB, http_status=409),
    Code("E802", "the request body is too large", WEB, http_status=413),
    Code("E803", "no or wrong API token", WEB, http_status=401),
    Code("E804", "a change without the page's CSRF token", WEB, http_status=403),
    Code("E805", "no, wrong, expired or reused CDS Hooks JWT", WEB, http_status=401),
    Code("E806", "no such CDS service", WEB, http_status=404),
    Code("E807", "a CDS Hooks call for another hook", WEB, http_status=400),
    Code("E809", "no such card or suggestion", WEB, http_status=404),
    Code("E811", "too many failed sign-ins from this address or for this account: try again later",
         WEB, http_status=429),
    Code("E812", "the server is not ready: its knowledge base or audit store cannot serve", WEB,
         http_status=503),
    Code("E810", "the server's settings are invalid", WEB),
    Code("E831", "CDS Hooks: the client's FHIR server refused or failed the read", WEB,
         http_status=412),
    Code("E832", "CDS Hooks: the response is about another patient", WEB, http_status=400),
    # ---- personal accounts and roles (docs/web.md, "Personal accounts") ----
    Code("E850", "users: unknown role (clinician, qa-reviewer, trainer, admin)", WEB),
    Code("E851", "users: the user id is not pseudonymous", WEB),
    Code("E852", "users: the user exists already", WEB, http_status=409),
    Code("E853", "users: no such user", WEB, http_status=404),
    Code("E854", "the user's account is disabled", WEB, http_status=401),
    Code("E855", "the signed-in user's role may not do this (a qa-reviewer cannot assess or write)",
         WEB, http_status=403),
    # ---- sign-in with the agency's identity provider, OpenID Connect (docs/web.md) ----
    Code("E856", "OpenID Connect sign-in: the state is unknown, used already, expired or from "
                 "another browser", WEB, http_status=400),
    Code("E857", "OpenID Connect sign-in: the identity provider refused (an error answer, or the "
                 "code was not accepted)", WEB, http_status=401),
    Code("E858", "OpenID Connect sign-in: the ID token does not check (signature, issuer, "
                 "audience, nonce or expiry)", WEB, http_status=401),
    Code("E859", "OpenID Connect sign-in: the user claim is missing or not a pseudonymous id",
         WEB, http_status=403),
    Code("E860", "OpenID Connect sign-in: the provider's user is not a user of this server", WEB,
         http_status=403),
    Code("E861", "OpenID Connect sign-in: the role claim does not name the user's role", WEB,
         http_status=403),
    Code("E862", "OpenID Connect sign-in: the identity provider cannot be reached or answers "
                 "wrongly", WEB, http_status=502),
)

BY_CODE = {c.code: c for c in CODES}


def lookup(code: str) -> Code:
    """The declaration of a code; KeyError for one nobody declared (a test finds those first)."""
    return BY_CODE[code]


def http_status(code: str, default: int = 422) -> int:
    found = BY_CODE.get(code)
    return found.http_status if found else default


# ---- docs/errors.md ----

def _link(code: Code) -> str:
    if code.doc == ERRORS:
        return "below"
    document, _, anchor = code.doc.partition("#")
    return f"[{document.removeprefix('docs/')}]({document.removeprefix('docs/')}#{anchor})"


def render() -> str:
    """docs/errors.md: every code, generated from CODES."""
    lines = [
        "# Error and warning codes",
        "",
        "Generated from `dsl/codes.py` by `python -m dsl.codes > docs/errors.md`; do not edit by",
        "hand (`tests/test_error_codes.py` fails when the two differ). Exit codes: 2 bad input or",
        "usage, 1 the command ran and found problems, 3 an internal failure (no plan is printed);",
        "`groundwork lint` reports knowledge-base errors as findings, with exit 1. Warnings fail",
        "only `groundwork lint --strict`.",
        "",
        "| code | severity | exit | HTTP | what | explained in |",
        "|---|---|---|---|---|---|",
    ]
    for code in sorted(CODES, key=lambda c: c.code):
        exit_code = "0 (1 with --strict)" if code.severity == "warning" else str(code.exit_code)
        lines.append(f'| <a id="{code.anchor}"></a>{code.code} | {code.severity} | {exit_code} | '
                     f"{code.http_status} | {code.title} | {_link(code)} |")
    lines += ["", "## Codes explained here", ""]
    for code in sorted(CODES, key=lambda c: c.code):
        if code.doc == ERRORS:
            lines += [f"### {code.code}", "", EXPLAINED[code.code], ""]
    return "\n".join(lines)


EXPLAINED = {
    "E200": "The assessment does not fit the assessment model or the knowledge base's instrument. "
            "The first line names the file and the field (`case.json: ratings[3].value: must be "
            "between 0 and 3, or null when unknown`); `groundwork schema` prints the model.",
    "E201": "The assessment file is missing, is a directory, or is not UTF-8 text. `-` reads the "
            "assessment from standard input instead.",
    "E202": "The assessment file (or standard input) is empty; an assessment is one JSON object.",
    "E203": "The assessment is not valid JSON; the message gives the line and column.",
    "E204": "`groundwork batch` found no cases: give `.json` files, directories of them, or `.jsonl` "
            "files with one assessment per line (docs/scale.md).",
    "E205": "`groundwork batch --dask ADDRESS` needs the `dask` extra (`pip install "
            "'groundwork-cds[dask]'`) and a scheduler that answers at that address.",
    "E206": "`groundwork batch --out FILE`: the directory FILE would go in does not exist.",
    "E208": "An option has a value it cannot take, such as `--workers 0`.",
    "E240": "The input is far larger than any assessment: over 1,000,000 bytes, nested more than 32 "
            "levels deep, a text over 10,000 characters, a list over 2,000 items, or an integer "
            "beyond 2^53 - 1 (9,007,199,254,740,991, the largest JSON keeps exact and RFC 8785 "
            "hashes). The message names the file and the line and column or the field. Nothing is "
            "read beyond the limit and nothing is written. A caseload goes to `groundwork batch` as "
            "a directory or a `.jsonl` file (docs/scale.md).",
    "E241": "A JSON object gives the same key twice (`\"arousal\"` twice, say). JSON readers differ "
            "on which one wins, so the assessment is refused rather than one silently dropped; the "
            "message names the key's field path. Keep one.",
    "E510": "A rule scenario asks for a band that no combination of ratings can give with this "
            "knowledge base's instrument and thresholds; give ratings instead of a band.",
    "E209": "`groundwork diff --base-results FILE` reuses the plans of a `groundwork batch` run "
            "under the base knowledge base; the file has a line that is not such a result, or plans "
            "made with another knowledge base. Run `groundwork batch --kb BASE --out FILE` again.",
    "E220": "The intervention named is not in the catalog. The message lists the nearest catalog "
            "ids; `groundwork graph` lists them all (over HTTP: `GET /api/knowledge-base`).",
    "E221": "`groundwork explain --format dot|svg` draws how a recommendation was derived; an "
            "intervention that is not recommended has no such graph. `groundwork why-not` says "
            "what holds it back.",
    "E230": "SVG output (`--format svg`) needs Graphviz, an optional system package: install it "
            "(Debian and Ubuntu: `apt-get install graphviz`; macOS: `brew install graphviz`), or "
            "ask for `--format dot` and draw the graph elsewhere. Nothing is wrong with the plan.",
    "E231": "Graphviz is installed but failed while drawing; the message gives its first line. "
            "The plan itself is fine: `--format dot` prints the graph's source.",
    "E300": "The rule engine failed while assessing; the assessment was aborted and no plan was "
            "printed or recorded. Please report it with the knowledge base version.",
    "E399": "Something failed that no check anticipated. Nothing was written. Please report it "
            "with the command you ran (never with a real case's data).",
}


if __name__ == "__main__":
    sys.stdout.write(render() + "\n")
