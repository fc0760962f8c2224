"""Regression: fact paths whose segments are also keywords, and set facts without a dot, parse."""

from dsl import ast
from dsl.parser import parse_text

RULE = """rule r {
  when arousal.current <= alert and age.years < 3 and developmental_age.months >= 12
       and settings has school and not safeguarding has self_harm_risk
  then flag critical CODE "message"
}"""


def test_keyword_segments_and_dotless_set_facts_parse():
    rule = parse_text(RULE, "x.gw").items[0]
    paths = [n.path for n in ast.walk(rule.when) if hasattr(n, "path")]
    assert paths == ["arousal.current", "age.years", "developmental_age.months", "settings",
                     "safeguarding"]
    assert rule.actions[0].severity == "critical"
