"""Reading rule scenarios: find the files, check them against the knowledge base, build clients.

Every problem in every file is collected before anything runs; a scenario file is input, so its
problems are reported as `path: field.path: message` (or `path:line:column` for TOML syntax) and
the run stops with exit code 2.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic_core import ErrorDetails

from pydantic import ValidationError

from dsl.errors import Diagnostic, GroundworkError, did_you_mean, read_utf8
from dsl.checked import CheckedKnowledgeBase
from engine.intake import field_path, read_assessment_file, validate_assessment
from engine.models import Assessment
from engine.synthetic.clients import ASSESSMENT_DATE, Caregiver, Profile, synthesise
from groundwork.trainer import scenario_format as fmt
from groundwork.trainer.references import check_references

SUFFIX = ".scenario.toml"


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    path: str  # the file, as shown to the user
    line: int  # where the scenario's name is written
    spec: fmt.ScenarioSpec
    assessment: Assessment
    raw: dict

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def scenario_files(paths: list[Path]) -> list[Path]:
    """Scenario files: the files given, and every `*.scenario.toml` below each directory given."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(path.rglob(f"*{SUFFIX}"), key=lambda p: p.as_posix()))
        else:
            out.append(path)
    return list(dict.fromkeys(out))


def display_path(path: Path, kb_root: Path, kb_display: str) -> str:
    try:
        relative = path.resolve().relative_to(kb_root.resolve())
    except ValueError:
        return str(path)
    return f"{kb_display.rstrip('/')}/{relative.as_posix()}"


def load_scenarios(files: list[tuple[Path, str]], kb: CheckedKnowledgeBase, expectations: bool = True,
                   roots: tuple[Path, ...] = ()) -> tuple[list[Scenario], list[Diagnostic]]:
    """(scenarios, diagnostics) for (file, display) pairs; diagnostics include W342 warnings.
    Without `expectations`, only the clients are checked (for running them as cases). A scenario's
    assessment file must be inside `roots` (default: the knowledge base's directory)."""
    scenarios: list[Scenario] = []
    diagnostics: list[Diagnostic] = []
    seen: dict[str, str] = {}
    for path, display in files:
        parsed = _parse(path, display, diagnostics)
        if parsed is None:
            continue
        text, spec_file = parsed
        for index, spec in enumerate(spec_file.scenario):
            where = f"scenario[{index}]"
            if spec.name in seen:
                diagnostics.append(_field(display, f"{where}.name", "E503",
                                          f"scenario '{spec.name}' is already defined in "
                                          f"{seen[spec.name]}"))
                continue
            seen[spec.name] = display
            problems = check_references(spec, where, kb, expectations)
            diagnostics.extend(_field(display, p.path, p.code, p.message, p.severity)
                               for p in problems)
            if any(p.severity == "error" for p in problems):
                continue
            built = _client(spec, where, path, display, kb, diagnostics, roots)
            if built is not None:
                scenarios.append(Scenario(spec.name, spec.description, display,
                                          _line_of(text, spec.name, index), spec, *built))
    return scenarios, diagnostics


def _parse(path: Path, display: str, diagnostics: list[Diagnostic]):
    try:
        text = read_utf8(path, display, "E500")
    except FileNotFoundError:
        diagnostics.append(Diagnostic("E500", "no such scenario file", display))
        return None
    except IsADirectoryError:
        diagnostics.append(Diagnostic("E500", "a directory, not a scenario file", display))
        return None
    except GroundworkError as error:  # not UTF-8: the line and column of the first bad byte
        diagnostics.extend(error.diagnostics)
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        diagnostics.append(_toml_error(error, text, display))
        return None
    except ValueError:  # tomllib's own int() of a number thousands of digits long
        diagnostics.append(Diagnostic("E500", "a number too large for a scenario file", display))
        return None
    except RecursionError:
        diagnostics.append(Diagnostic("E500", "malformed TOML: nested too deeply", display))
        return None
    try:
        return text, fmt.ScenarioFile.model_validate(data)
    except ValidationError as error:
        errors = error.errors()
        # A list whose items failed is also reported as too short; the items say more.
        errors = [e for e in errors if not (e["type"] == "too_short" and any(
            o["loc"][:len(e["loc"])] == e["loc"] and len(o["loc"]) > len(e["loc"]) for o in errors))]
        diagnostics.extend(_field(display, field_path(e["loc"]), "E501", _message(e))
                           for e in errors)
        return None


def _toml_error(error, text: str, display: str) -> Diagnostic:
    match = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
    if not match:
        return Diagnostic("E500", f"malformed TOML: {message}", display)
    line, column = int(match.group(1)), int(match.group(2))
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else None
    return Diagnostic("E500", f"malformed TOML: {message}", display, line, column,
                      source_line=source)


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        hint = did_you_mean(key, fmt.known_keys())
        return "unknown key" + (f" ({hint})" if hint else "") + \
            "; docs/trainers.md lists the scenario format"
    if kind == "missing":
        return "required key is missing"
    if kind == "string_pattern_mismatch":
        return "must be letters, digits, '-' or '_' (at most 64), starting with a letter or digit"
    return error["msg"]


def _field(display, path, code, message, severity="error") -> Diagnostic:
    return Diagnostic(code, message, display, severity=severity, field_path=path)


def _line_of(text: str, name: str, index: int) -> int:
    pattern = re.compile(r"^\s*name\s*=\s*[\"']" + re.escape(name) + r"[\"']", re.M)
    match = pattern.search(text)
    if match:
        return text.count("\n", 0, match.start()) + 1
    starts = [m.start() for m in re.finditer(r"^\s*\[\[scenario\]\]", text, re.M)]
    return text.count("\n", 0, starts[index]) + 1 if index < len(starts) else 1


def _client(spec, where, path: Path, display: str, kb, diagnostics, roots: tuple[Path, ...] = ()):
    """(Assessment, raw) for a scenario, or None after recording why not."""
    try:
        if isinstance(spec.assessment, str):
            return read_assessment_file(_inside(path.parent / spec.assessment, roots or (kb.root,),
                                                display, where), kb)
        if isinstance(spec.assessment, dict):
            return validate_assessment(spec.assessment, display, kb), spec.assessment
        return synthesise(to_profile(spec.profile or fmt.ProfileSpec()), kb,
                          client_id=spec.name, display=display)
    except GroundworkError as error:
        for d in error.diagnostics:
            if d.code == "E505":
                diagnostics.append(d)
                continue
            if d.field_path is not None and d.path == display:
                d = Diagnostic(d.code, d.message, display, field_path=f"{where}.assessment."
                               f"{d.field_path}" if spec.assessment is not None else
                               f"{where}.profile ({d.field_path})")
            diagnostics.append(d)
        return None


def _inside(target: Path, roots, display: str, where: str) -> Path:
    """`target` if it is a .json file inside one of the knowledge-base directories `roots`: a
    scenario file is shared like a rule file, and must not make `groundwork test` read (and
    quote, in an error) any file its runner can read."""
    resolved = target.resolve()
    if resolved.suffix == ".json" and any(resolved.is_relative_to(Path(r).resolve()) for r in roots):
        return target
    raise GroundworkError([Diagnostic(
        "E505", "the assessment must be a .json file inside the knowledge base directory "
                "(a path relative to this scenario file)", display, field_path=f"{where}.assessment",
        hint="copy the assessment into the knowledge base, e.g. scenarios/clients/")])


def to_profile(spec: fmt.ProfileSpec) -> Profile:
    age = spec.age if isinstance(spec.age, fmt.AgeSpec) else fmt.AgeSpec(years=spec.age)
    return Profile(
        bands=dict(spec.bands), ratings=dict(spec.ratings),
        age_years=age.years, age_months=age.months,
        arousal_current=spec.arousal.current, arousal_baseline=spec.arousal.baseline,
        dissociative=spec.arousal.dissociative,
        sensitivities=spec.sensitivities, safeguarding=spec.safeguarding, settings=spec.settings,
        caregivers=tuple(Caregiver(c.role, c.regulation, c.settings) for c in spec.caregivers),
        relational_health=spec.relational_health.model_dump(),
        history={p: (h.adversity, h.relational_poverty) for p, h in spec.history.items()},
        extra=_safety_fields(spec),
    )


def _safety_fields(spec: fmt.ProfileSpec) -> dict:
    """The profile's touch, safeguarding detail, review, screen and established work, written as
    the assessment JSON writes them (only what the profile sets, so that defaults stay defaults)."""
    extra: dict = {"touch": spec.touch.model_dump()}
    if spec.touch_policies:
        extra["touch_policies"] = [{"setting": s, "policy": p} for s, p in spec.touch_policies.items()]
    if spec.suspected_harm:
        extra["suspected_harm"] = [{"concern": c, "suspected": s}
                                   for c, s in spec.suspected_harm.items()]
    if spec.safety_review is not None:
        date = dt.date.fromisoformat(ASSESSMENT_DATE) - dt.timedelta(weeks=spec.safety_review.weeks_ago)
        extra["safety_review"] = {"date": date.isoformat(),
                                  "evocative_work": spec.safety_review.evocative_work}
    extra["trauma_screen"] = {"result": spec.trauma_screen}
    if spec.established:
        extra["established"] = list(spec.established)
    return extra
