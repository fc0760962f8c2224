"""The front end (parse, check, compile, register with durable-rules) against lark's bare LALR
parse of the same text, in the same process.

Every repetition writes the generated knowledge base with a different salt (a comment), so that
its content hash, and so its rule-set names, are new: durable-rules registers a name only once
per process and would otherwise skip the registration being measured. Building the parsers
(LALR tables) is left out of both sides; reading the files is in ours.
"""

from __future__ import annotations

import gc
from pathlib import Path
from time import perf_counter

from lark import Lark

import dsl.parser
from bench.generate import Shape, write_knowledge_base
from bench.measure import median
from dsl.compile import compile_knowledge_base
from dsl.kb import load_knowledge_base, rule_files
from engine.runtime import RuleRunner


def bare_parser() -> Lark:
    """Our grammar with lark's defaults for LALR: no positions, no transformer."""
    return Lark.open("grammar.lark", rel_to=dsl.parser.__file__, parser="lalr", lexer="basic")


def frontend(shape: Shape, workdir: Path, repetitions: int) -> dict:
    bare = bare_parser()
    dsl.parser._parser()  # built once per process, like lark's tables above
    runs = []
    for repetition in range(repetitions):
        root = write_knowledge_base(workdir / f"frontend-{shape.rules}-{repetition}", shape,
                                    salt=f"frontend repetition {repetition}")
        texts = [p.read_text(encoding="utf-8") for p in rule_files(root)]
        gc.collect()
        started = perf_counter()
        for text in texts:
            bare.parse(text)
        lark_seconds = perf_counter() - started
        gc.collect()
        times = {}
        started = perf_counter()
        kb = load_knowledge_base(root, "generated")
        times["parse_and_check"] = perf_counter() - started
        compiled = compile_knowledge_base(kb)
        times["compile"] = perf_counter() - started - times["parse_and_check"]
        RuleRunner(kb, compiled)
        total = perf_counter() - started
        times["register"] = total - times["parse_and_check"] - times["compile"]
        runs.append({"lark_s": lark_seconds, "frontend_s": total, **{f"{k}_s": v for k, v in times.items()},
                     "ratio": total / lark_seconds})
    result = {key: median(run[key] for run in runs) for key in runs[0]}
    result.update(rules=shape.rules, interventions=shape.interventions,
                  bytes=sum(len(t.encode()) for t in texts))
    return result
