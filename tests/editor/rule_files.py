"""Hypothesis strategies for whole rule files: every construct of grammar.lark, in random order,
with random line breaks, indentation and comments between the words. Syntax only: the files parse,
but need not pass the checker."""

from __future__ import annotations

from hypothesis import strategies as st

KEYWORDS = {
    "action", "and", "arousal", "author", "avoid", "bands", "because", "between", "by",
    "compromised", "contraindicated", "critical", "day", "defer", "derive", "description",
    "domain", "dose", "every", "evidence", "fact", "false", "flag", "frequency", "from", "has",
    "in", "intervention", "knowledge_base", "min_developmental_age", "minutes", "modality",
    "months", "name", "needed", "no", "not", "of", "or", "order", "per", "phase", "primary",
    "priority", "rationale", "reaches", "recommend", "region", "requires", "review", "rule",
    "scale", "settings", "source", "status", "then", "title", "true", "until", "version",
    "week", "weeks", "when", "work", "years",
    # the load budget, age ranges, routines, state guidance and tracks (issue #14)
    "activities", "ages", "budget", "deliverer", "do", "embedded", "fits", "guide", "setting",
    "to", "track",
    # catalog markers, the no-touch alternative and what a flag brings (issue #13)
    "brings", "marks", "no_touch_alternative",
}

names = st.from_regex(r"[a-z_][a-z0-9_]{0,7}(-[a-z0-9]{1,5})?", fullmatch=True).filter(
    lambda n: n not in KEYWORDS and n.split("-")[0] not in KEYWORDS)
# within every place's range (dsl/parser.py NUMBER_RANGES, E190)
numbers = st.one_of(st.integers(0, 100).map(str),
                    st.tuples(st.integers(0, 9), st.integers(0, 99)).map(lambda t: f"{t[0]}.{t[1]}"))
weeks = st.integers(1, 120).map(str)  # a review interval is at least a week (E190)
strings = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30) \
    .map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"')
comments = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
                   max_size=20).map(lambda s: "# " + s.strip())


def id_list(min_size=1):
    return st.lists(names, min_size=min_size, max_size=4).map(lambda ns: " , ".join(ns).split())


def dose():
    return st.tuples(numbers, st.sampled_from(["day", "week"]), numbers,
                     st.lists(names, min_size=1, max_size=3)).map(
        lambda t: [t[0], "per", t[1], ",", t[2], "minutes", ",", "by",
                   *" or ".join(t[3]).split()])


path_words = st.one_of(names, st.sampled_from(["arousal", "settings", "months", "years"]))
paths = st.tuples(st.one_of(names, st.just("arousal")), st.lists(path_words, max_size=2)).map(
    lambda t: [t[0], *[w for word in t[1] for w in (".", word)]])
values = st.one_of(numbers, names, st.sampled_from(["true", "false"]))


def atoms():
    return st.one_of(
        st.tuples(paths, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), values)
        .map(lambda t: [*t[0], t[1], t[2]]),
        st.tuples(paths, st.lists(values, min_size=1, max_size=3))
        .map(lambda t: [*t[0], "in", "{", *" , ".join(t[1]).split(), "}"]),
        st.tuples(paths, numbers, numbers).map(lambda t: [*t[0], "between", t[1], "and", t[2]]),
        st.tuples(paths, names).map(lambda t: [*t[0], "has", t[1]]),
        names.map(lambda n: [n]),
    )


conditions = st.recursive(
    atoms(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda cs: _joined(cs, "and")),
        st.lists(inner, min_size=2, max_size=3).map(lambda cs: _joined(cs, "or")),
        inner.map(lambda c: ["not", *c]),
        inner.map(lambda c: ["(", *c, ")"]),
    ), max_leaves=6)


def _joined(parts, operator):
    out = []
    for index, part in enumerate(parts):
        if index:
            out.append(operator)
        # an operand that is itself an `or` inside an `and` needs parentheses to stay one operand
        out += ["(", *part, ")"] if ("or" in part or "and" in part) else part
    return out


actions = st.one_of(
    st.tuples(names, st.lists(st.one_of(
        dose().map(lambda d: ["dose", *d]), id_list().map(lambda ids: ["in", *ids]),
        numbers.map(lambda n: ["priority", n])), max_size=2))
    .map(lambda t: ["recommend", t[0], *[w for option in t[1] for w in option]]),
    st.tuples(names, strings).map(lambda t: ["avoid", t[0], "because", t[1]]),
    st.tuples(names, conditions).map(lambda t: ["defer", t[0], "until", *t[1]]),
    st.tuples(st.sampled_from(["info", "warning", "critical"]), names, strings)
    .map(lambda t: ["flag", *t]),
    st.tuples(st.sampled_from(["info", "warning", "critical"]), names, strings, id_list())
    .map(lambda t: ["flag", *t[:3], "brings", *t[3]]),
    names.map(lambda n: ["derive", n]),
    strings.map(lambda s: ["no", "action", "needed", "because", s]),
    st.tuples(names, numbers, numbers).map(
        lambda t: ["scale", "dose", "of", t[0], "work", "minutes", "by", t[1], "frequency", "by",
                   t[2]]),
    st.tuples(names, st.sampled_from(["do", "avoid"]), strings).map(lambda t: ["guide", *t]),
)


def age_span():
    unit = st.sampled_from(["months", "years"])
    return st.tuples(numbers, unit, numbers, unit).map(lambda t: [t[0], t[1], "to", t[2], t[3]])


budget_limits = st.one_of(
    numbers.map(lambda n: ["activities", "per", "deliverer", n]),
    numbers.map(lambda n: ["activities", "per", "setting", n]),
    numbers.map(lambda n: ["minutes", "per", "day", "per", "deliverer", n]),
)

header_fields = st.one_of(
    st.tuples(st.sampled_from(["version", "title", "source", "author", "rationale"]), strings)
    .map(list),
    st.tuples(st.sampled_from(["status", "evidence"]), names).map(list),
)

iv_fields = st.one_of(
    st.tuples(st.sampled_from(["name", "source", "description"]), strings).map(list),
    st.tuples(st.sampled_from(["region", "phase", "modality"]), names).map(list),
    dose().map(lambda d: ["dose", *d]),
    st.tuples(st.sampled_from(["settings", "requires", "contraindicated"]), id_list())
    .map(lambda t: [t[0], *t[1]]),
    st.tuples(numbers, st.sampled_from(["months", "years"]))
    .map(lambda t: ["min_developmental_age", *t]),
    names.map(lambda n: ["track", n]),
    age_span().map(lambda a: ["ages", *a]),
    id_list().map(lambda ids: ["embedded", "in", *ids]),
    id_list().map(lambda ids: ["fits", *ids]),
    id_list().map(lambda ids: ["marks", *ids]),
    names.map(lambda n: ["no_touch_alternative", n]),
)

declarations = st.one_of(
    st.tuples(strings, strings).map(lambda t: ["knowledge_base", t[0], "version", t[1]]),
    st.tuples(names, numbers, names, st.one_of(st.just([]), strings.map(lambda s: [s])))
    .map(lambda t: ["region", t[0], "order", t[1], "phase", t[2], *t[3]]),
    st.tuples(names, names, st.one_of(st.just([]), strings.map(lambda s: [s])))
    .map(lambda t: ["domain", t[0], "primary", t[1], *t[2]]),
    st.lists(st.tuples(names, numbers), min_size=1, max_size=4)
    .map(lambda ts: ["bands", "{", *[w for n, x in ts for w in (n, "from", x)], "}"]),
    id_list().map(lambda ids: ["compromised", "bands", *ids]),
    st.tuples(names, id_list()).map(lambda t: ["arousal", t[0], "reaches", *t[1]]),
    st.tuples(names, strings).map(lambda t: ["fact", *t]),
    st.tuples(weeks, st.one_of(st.just([]), weeks.map(
        lambda n: [",", "critical", "every", n, "weeks"])))
    .map(lambda t: ["review", "every", t[0], "weeks", *t[1]]),
    st.tuples(age_span(), st.lists(budget_limits, min_size=1, max_size=3))
    .map(lambda t: ["budget", "ages", *t[0], "{", *[w for lim in t[1] for w in lim], "}"]),
    st.tuples(names, st.lists(iv_fields, max_size=6))
    .map(lambda t: ["intervention", t[0], "{", *[w for f in t[1] for w in f], "}"]),
    st.tuples(names, st.lists(header_fields, max_size=7), conditions,
              st.lists(actions, min_size=1, max_size=4))
    .map(lambda t: ["rule", t[0], "{", *[w for f in t[1] for w in f], "when", *t[2], "then",
                    *[w for a in t[3] for w in a], "}"]),
)

# What goes between two words: a space, line breaks and indentation, or a comment.
separators = st.one_of(st.just(" "), st.just(" "), st.just("\n"), st.just("\n\n  "),
                       st.just("   "), comments.map(lambda c: "  " + c + "\n"),
                       comments.map(lambda c: "\n" + c + "\n\n"))


@st.composite
def rule_files(draw) -> str:
    words = [w for d in draw(st.lists(declarations, min_size=1, max_size=6)) for w in d]
    out = [draw(st.one_of(st.just(""), comments.map(lambda c: c + "\n")))]
    for index, word in enumerate(words):
        out.append(word)
        if index + 1 < len(words):
            out.append(draw(separators))
    out.append(draw(st.one_of(st.just("\n"), comments.map(lambda c: "  " + c + "\n"))))
    return "".join(out)
