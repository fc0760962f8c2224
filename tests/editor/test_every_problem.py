"""Every problem at once: one `groundwork lint` run over a knowledge base with many kinds of
mistake, in several files, reports all of them — syntax errors do not hide the rest."""

from __future__ import annotations

from pathlib import Path

from dsl.recovery import parse_recovering
from tests.helpers import run_cli
from tests.kbfactory import make_kb, rule

# (file, text, the code and line it must be reported with)
SEEDED = {
    "20-syntax.gw": (
        rule("missing-then", "brainstem.band >= moderate", "recommend walk-and-talk")
        .replace("  then\n", "")                                    # E001 on line 10
        + rule("bad-region", "brainstm.band >= moderate", "recommend walk-and-talk")  # E110
        + "intervention broken {\n  name \"Broken\n}\n"              # E001, a string not closed
        + rule("uses-broken", "limbic.band = mild", "recommend broken")  # no cascade: set aside
    ),
    "30-semantic.gw": (
        rule("bad-intervention", "brainstem.band >= moderate", "recommend walk-and-tlak")  # E113
        + rule("bad-value", "limbic.band >= sever", "recommend dyadic-play")   # E114
        + rule("no-fact", "calm_at_home", "recommend walk-and-talk")           # E112
        + rule("bad-status", "cortex.band = severe", "recommend talking-therapy",
               status="aproved")                                               # E122
        + rule("never", "cortex.score < 1 and cortex.score > 2",
               "recommend talking-therapy")                                    # E401
    ),
}
SCENARIO = '''[[scenario]]
name = "names-a-missing-rule"
profile = { bands = { brainstem = "severe" } }
expect = { fired = ["no-such-rule"] }
'''


def test_one_lint_run_reports_every_seeded_problem(tmp_path):
    kb = make_kb(tmp_path / "kb", "")
    for name, text in SEEDED.items():
        (kb / name).write_text(text, encoding="utf-8")
    (kb / "broken.scenario.toml").write_text(SCENARIO, encoding="utf-8")
    result = run_cli("lint", "kb", cwd=tmp_path)
    assert result.returncode == 1
    heads = [line for line in result.stderr.splitlines() if ": error: " in line]
    codes = sorted(line.split(": error: ")[1].split(":")[0] for line in heads)
    assert codes == sorted(["E001", "E001", "E110", "E113", "E114", "E112", "E122", "E401",
                            "E502"]), result.stderr
    assert any(line.startswith("kb/20-syntax.gw:10:5: error: E001:") for line in heads)
    assert any("E113: unknown intervention 'walk-and-tlak'" in line for line in heads)
    assert not any("'broken'" in line and "E113" in line for line in heads)  # no cascade
    assert any("E401: rule 'never' can never fire" in line for line in heads)
    assert "9 errors" in result.stdout


def test_a_clean_file_parses_as_before():
    text = rule("fine", "brainstem.band >= moderate", "recommend walk-and-talk")
    recovered = parse_recovering(text, "x.gw")
    assert recovered.diagnostics == () and len(recovered.source.items) == 1


def test_recovery_keeps_the_blocks_around_an_error_with_their_own_positions():
    good = rule("good", "brainstem.band >= moderate", "recommend walk-and-talk")
    bad = rule("bad", "brainstem.band >= then", "recommend walk-and-talk")
    recovered = parse_recovering(good + bad + good.replace("good", "later"), "x.gw")
    assert [d.code for d in recovered.diagnostics] == ["E001"]
    assert recovered.diagnostics[0].line == 21
    assert [(i.id, i.pos.line) for i in recovered.source.items] == [("good", 1), ("later", 25)]
    assert [(u.kind, u.name) for u in recovered.unreadable] == [("rule", "bad")]


def test_an_unclosed_block_is_set_aside_and_the_next_one_kept():
    first = rule("open", "brainstem.band >= moderate", "recommend walk-and-talk").rstrip("}\n")
    second = rule("next", "brainstem.band >= moderate", "recommend walk-and-talk")
    recovered = parse_recovering(first + "\n" + second, "x.gw")
    assert [d.code for d in recovered.diagnostics] == ["E001"]
    assert [i.id for i in recovered.source.items] == ["next"]
    assert [u.name for u in recovered.unreadable] == ["open"]


def test_text_before_the_first_block_is_reported(tmp_path):
    recovered = parse_recovering("hello world\n" + rule("r", "brainstem.band = mild",
                                                         "recommend walk-and-talk"), "x.gw")
    assert [(d.code, d.line) for d in recovered.diagnostics] == [("E001", 1)]
    assert [i.id for i in recovered.source.items] == ["r"]


def test_an_error_in_the_model_still_reports_the_rest_but_skips_the_analyses(tmp_path):
    kb = make_kb(tmp_path / "kb", rule("bad-intervention", "brainstem.band >= moderate",
                                       "recommend walk-and-tlak")
                 + rule("never", "cortex.score < 1 and cortex.score > 2",
                        "recommend talking-therapy"))
    model = (kb / "00-model.gw").read_text(encoding="utf-8")
    (kb / "00-model.gw").write_text(model.replace("order 1 phase regulate", "order 1 phase regulat"),
                                    encoding="utf-8")
    result = run_cli("lint", "kb", cwd=tmp_path)
    assert result.returncode == 1
    assert "E113: unknown intervention 'walk-and-tlak'" in result.stderr
    assert "E401" not in result.stderr  # nothing reliable to analyse with a broken model
    assert Path(tmp_path / "kb").is_dir()
