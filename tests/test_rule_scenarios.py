"""`groundwork test`: scenario files, expectations, failure reports, coverage, bad input."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import knowledge_base
from dsl.vocabulary import AROUSAL_STATES, BANDS, INSUFFICIENT
from engine.facts import build_facts
from engine.synthetic.clients import Profile, synthesise
from tests.helpers import CORE_KB, ROOT, run_cli
from tests.kbfactory import make_kb, rule

KB = knowledge_base.load()


def test_the_shipped_scenarios_pass_and_fire_every_rule():
    result = run_cli("test", "--coverage")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"\d+ passed, 0 failed", lines[-1])
    assert int(lines[-1].split()[0]) >= 30
    assert any(line.startswith("rule coverage: 100.0% (") for line in lines)
    assert "not fired" not in result.stdout


@pytest.mark.parametrize("region", KB.region_names)
@pytest.mark.parametrize("band", BANDS + (INSUFFICIENT,))
def test_a_synthetic_client_has_the_bands_asked_for(region, band):
    assessment, _ = synthesise(Profile(bands={region: band}, arousal_current="fear"), KB)
    facts = build_facts(assessment, KB).values
    assert facts[f"{region}.band"] == band
    assert all(facts[f"{r}.band"] == "typical" for r in KB.region_names if r != region)
    assert facts["arousal.current"] == "fear" and facts["arousal.baseline"] == AROUSAL_STATES[0]


# ---- a small knowledge base with scenarios of its own ----

def _kb(tmp_path: Path, scenario: str, rules: str | None = None) -> Path:
    rules = rules if rules is not None else (
        rule("walk-when-compromised", "brainstem.band >= moderate", "recommend walk-and-talk")
        + rule("play-when-limbic", "limbic.band >= moderate",
               "recommend dyadic-play\n    flag warning LIMBIC \"Limbic work.\"")
        + rule("try-talking", "cortex.band >= mild", "recommend talking-therapy", status="draft"))
    root = make_kb(tmp_path / "kb", rules)
    (root / "scenarios").mkdir()
    (root / "scenarios" / "mine.scenario.toml").write_text(scenario, encoding="utf-8")
    return root


PASSING = '''
[[scenario]]
name = "brainstem-moderate"
profile = { bands = { brainstem = "moderate" } }
expect = { recommended = ["walk-and-talk"], not_recommended = ["dyadic-play"], fired = ["walk-when-compromised"] }

[[scenario]]
name = "limbic-moderate-waits"
profile = { bands = { brainstem = "moderate", limbic = "moderate" } }

[scenario.expect]
deferred = [{ intervention = "dyadic-play", gate = "brainstem" }]
flags = [{ code = "LIMBIC", severity = "warning" }]
explanations = [{ intervention = "walk-and-talk", contains = "brainstem.band = moderate, required >= moderate: true" }]
'''

FAILING = '''
[[scenario]]
name = "expects-too-much"
profile = { bands = { limbic = "moderate" }, arousal = { current = "fear" } }

[scenario.expect]
recommended = [{ intervention = "dyadic-play", phase = "relate" }, "walk-and-talk"]
'''


def test_passing_scenarios_print_pass_and_the_closing_line(tmp_path):
    result = run_cli("test", str(_kb(tmp_path, PASSING)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["PASS  brainstem-moderate", "PASS  limbic-moderate-waits",
                                          "2 passed, 0 failed"]


def test_a_failure_shows_expected_actual_and_why(tmp_path):
    root = _kb(tmp_path, PASSING + FAILING)
    result = run_cli("test", str(root))
    assert result.returncode == 1
    out = result.stdout
    assert f"FAIL  expects-too-much  ({root}/scenarios/mine.scenario.toml:17)" in out
    assert "expected: 'dyadic-play' recommended in phase relate\n" in out
    assert "actual:   'dyadic-play' is deferred until the client is calm or alert or alarm " \
           "(now: arousal.current = fear); rules: play-when-limbic" in out
    assert "expected: 'walk-and-talk' recommended\n" in out
    assert "why:      rule walk-when-compromised did not fire: 'brainstem.band >= moderate' " \
           "is false (actual typical)" in out
    assert out.splitlines()[-1] == "2 passed, 1 failed"


def test_k_selects_scenarios_by_name(tmp_path):
    result = run_cli("test", str(_kb(tmp_path, PASSING + FAILING)), "-k", "WAITS")
    assert result.returncode == 0
    assert result.stdout.splitlines() == ["PASS  limbic-moderate-waits", "1 passed, 0 failed"]


def test_k_that_matches_nothing_is_a_usage_error(tmp_path):
    result = run_cli("test", str(_kb(tmp_path, PASSING)), "-k", "nothing-like-this")
    assert result.returncode == 2
    assert result.stderr == "error: E504: no scenario matches -k 'nothing-like-this'\n"


def test_coverage_lists_rules_no_scenario_fires(tmp_path):
    result = run_cli("test", str(_kb(tmp_path, PASSING)), "--coverage")
    lines = result.stdout.splitlines()
    assert "rule coverage: 66.7% (2 of 3 rules fired by at least one scenario)" in lines
    assert lines[lines.index("rule coverage: 66.7% (2 of 3 rules fired by at least one scenario)")
                 + 1].startswith("  not fired: try-talking (")


def test_draft_rules_fire_in_rule_tests_unless_asked_not_to(tmp_path):
    scenario = ('[[scenario]]\nname = "talk"\nprofile = { bands = { cortex = "mild" } }\n'
                'expect = { fired = ["try-talking"] }\n')
    root = _kb(tmp_path, scenario)
    assert run_cli("test", str(root)).returncode == 0
    without = run_cli("test", str(root), "--no-drafts")
    assert without.returncode == 1
    assert "rule try-talking is a draft, and drafts are not included in this run" in without.stdout


def test_a_scenario_can_use_a_full_assessment_file(tmp_path):
    case = ROOT / "examples" / "school-age-child.json"
    if not case.exists():
        pytest.skip("examples/ not present")
    root = make_kb(tmp_path / "kb", "")
    shutil.rmtree(root)
    shutil.copytree(CORE_KB, root)
    shutil.copy(case, root / "scenarios" / "client.json")
    (root / "scenarios" / "real.scenario.toml").write_text(
        '[[scenario]]\nname = "real-client"\nassessment = "client.json"\n'
        'expect = { no_action = false }\n', encoding="utf-8")
    result = run_cli("test", str(root / "scenarios" / "real.scenario.toml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["PASS  real-client", "1 passed, 0 failed"]


# ---- bad scenario files: one precise message each, exit 2, nothing run ----

@pytest.mark.parametrize("text, first_line", [
    ('[[scenario]]\nname = "x"\nexpect = { recomended = ["walk-and-talk"] }\n',
     "scenario[0].expect.recomended: unknown key (did you mean 'recommended' or 'not_recommended'?); "
     "docs/trainers.md lists the scenario format"),
    ('[[scenario]]\nname = "x"\nexpect = { recommended = ["walk-and-tlak"] }\n',
     "scenario[0].expect.recommended[0].intervention: unknown intervention 'walk-and-tlak' "
     "(did you mean 'walk-and-talk'?)"),
    ('[[scenario]]\nname = "x"\nprofile = { bands = { brainstom = "mild" } }\n'
     'expect = { no_action = true }\n',
     "scenario[0].profile.bands.brainstom: unknown region 'brainstom' (did you mean 'brainstem'?)"),
    ('[[scenario]]\nname = "x"\nexpect = { recommended = [{ intervention = "dyadic-play", '
     'phase = "reason" }] }\n',
     "scenario[0].expect.recommended[0].phase: 'dyadic-play' targets limbic, so it is always in "
     "phase relate"),
    ('[[scenario]]\nname = "x"\nexpect = { flags = ["LIMBICK"] }\n',
     "scenario[0].expect.flags[0].code: unknown flag 'LIMBICK' (did you mean 'LIMBIC'?)"),
    ('[[scenario]]\nname = "x"\nexpect = {}\n',
     "scenario[0].expect: a scenario needs at least one expectation, or it can never fail"),
    ('[[scenario]]\nname = "two words"\nexpect = { no_action = true }\n',
     "scenario[0].name: must be letters, digits, '-' or '_' (at most 64), starting with a "
     "letter or digit"),
])
def test_a_bad_scenario_gives_one_precise_message_and_exit_2(tmp_path, text, first_line):
    root = _kb(tmp_path, text)
    result = run_cli("test", str(root))
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == f"{root}/scenarios/mine.scenario.toml: {first_line}"
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_malformed_toml_is_reported_with_line_and_column(tmp_path):
    root = _kb(tmp_path, '[[scenario]]\nname = "x"\nexpect = { no_action = tru }\n')
    result = run_cli("test", str(root))
    assert result.returncode == 2
    assert re.match(rf"{re.escape(str(root))}/scenarios/mine.scenario.toml:3:\d+: error: E500: "
                    r"malformed TOML: ", result.stderr)


def test_a_scenario_name_used_twice_is_an_error(tmp_path):
    root = _kb(tmp_path, PASSING + PASSING.replace("limbic-moderate-waits", "other"))
    result = run_cli("test", str(root))
    assert result.returncode == 2
    assert "scenario[2].name: scenario 'brainstem-moderate' is already defined in" in result.stderr


def test_no_scenarios_is_a_usage_error(tmp_path):
    root = make_kb(tmp_path / "kb", "")
    result = run_cli("test", str(root))
    assert result.returncode == 2
    assert result.stderr == f"error: E504: no scenario (*.scenario.toml) found in {root}\n"


def test_the_scenarios_of_the_shipped_knowledge_base_lint_clean():
    result = run_cli("lint", "--format", "json")
    import json
    data = json.loads(result.stdout)
    assert not [d for d in data["diagnostics"] if d["path"].endswith(".scenario.toml")]
