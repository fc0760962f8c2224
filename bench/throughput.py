"""Assessments per second on one knowledge base: raw durable-rules, the reference evaluator and the
full pipeline, interleaved in every repetition so that a busy machine slows all three alike.

- raw: engine/runtime.py's RuleRunner.run on fact values prepared beforehand (the compiled rule
  sets, facts asserted, firings recorded; no validation, sequencing or explanation);
- reference: bench/reference.py, dsl/evaluate.py over the AST, derived facts to a fixpoint;
- pipeline: engine/batch/local.py's evaluate_case on the case's JSON text: read and validate, derive
  facts, run, sequence, explain, serialise the result line — what `groundwork batch` does per case.
"""

from __future__ import annotations

import gc
import json
from time import perf_counter

from bench.cases import caseload
from bench.measure import median, rate_and_latency, timed_each
from bench.reference import ReferenceRunner
from dsl.kb import KnowledgeBase
from engine.batch.local import CaseInput, evaluate_case
from engine.facts import build_facts
from engine.intake import parse_assessment
from engine.pipeline import provenance_for
from engine.runtime import runner_for
from engine.sequence import Sequencer, gather

MODES = ("raw", "reference", "pipeline")


def prepare(kb: KnowledgeBase, count: int, seed: int = 11) -> dict:
    """The cases as JSON text (pipeline input) and as fact values (raw and reference input)."""
    cases = [case for case, _ in caseload(count, seed=seed)]
    texts = [json.dumps(case) for case in cases]
    values = [build_facts(parse_assessment(text, "case", kb)[0], kb).values for text in texts]
    return {"texts": texts, "values": values}


def throughput(kb: KnowledgeBase, count: int, repetitions: int) -> dict:
    """Per mode: median rate and latency over the repetitions; ratios taken per repetition."""
    data = prepare(kb, count)
    runner, reference = runner_for(kb), ReferenceRunner(kb)
    work = {
        "raw": (runner.run, data["values"]),
        "reference": (reference.run, data["values"]),
        "pipeline": (lambda text: evaluate_case(CaseInput("case", "case", text=text), kb),
                     data["texts"]),
    }
    for function, inputs in work.values():  # warm up: first-use caches, lazily built indexes
        for item in inputs[:20]:
            function(item)
    runs: dict[str, list[dict]] = {mode: [] for mode in MODES}
    for _ in range(repetitions):
        for mode in MODES:
            gc.collect()
            function, inputs = work[mode]
            runs[mode].append(rate_and_latency(*timed_each(function, inputs)))
    result = {mode: {key: median(r[key] for r in runs[mode]) for key in runs[mode][0]}
              for mode in MODES}
    result["pipeline_over_raw"] = median(p["per_second"] / r["per_second"]
                                         for p, r in zip(runs["pipeline"], runs["raw"]))
    result["raw_over_reference"] = median(r["per_second"] / f["per_second"]
                                          for r, f in zip(runs["raw"], runs["reference"]))
    result["cases"] = count
    result["rules"] = len(kb.active_rules())
    result["rule_sets"] = len(runner.compiled.rulesets)
    return result


class _TimedSequencer(Sequencer):
    """The sequencer with the explanation step (each recommendation's reasons) timed apart."""

    explain_seconds = 0.0

    def reasons(self, rules):
        started = perf_counter()
        try:
            return super().reasons(rules)
        finally:
            _TimedSequencer.explain_seconds += perf_counter() - started


# "hash": the input's RFC 8785 hash for the plan's provenance (what the audit trail is keyed on),
# apart from "sequence", the sequencer's own work, which issue #20 bounds at 10 % of the pipeline.
STAGES = ("validate", "facts", "match", "hash", "sequence", "explain", "serialise")


def stages(kb: KnowledgeBase, count: int, repetitions: int) -> dict:
    """Mean microseconds per assessment in each stage of the pipeline (median over repetitions)."""
    texts = prepare(kb, count)["texts"]
    runner = runner_for(kb)
    for text in texts[:20]:  # warm up, and make sure the staged copy is the real pipeline
        line = _staged(text, kb, runner, dict.fromkeys(STAGES, 0.0))
        if line != evaluate_case(CaseInput("case", "case", text=text), kb).line:
            raise AssertionError("bench/throughput.py's staged pipeline differs from evaluate_case")
    totals = []
    for _ in range(repetitions):
        gc.collect()
        spent = dict.fromkeys(STAGES, 0.0)
        for text in texts:
            _staged(text, kb, runner, spent)
        totals.append(spent)
    per_case = {stage: median(t[stage] for t in totals) / count * 1e6 for stage in STAGES}
    whole = sum(per_case.values())
    return {"us_per_case": per_case, "share": {s: per_case[s] / whole for s in STAGES},
            "dominant": max(per_case, key=per_case.get), "cases": count}


def _staged(text: str, kb: KnowledgeBase, runner, spent: dict) -> str:
    """The steps of engine/batch/local.py's evaluate_case for a valid case, each timed."""
    clock = perf_counter
    t0 = clock()
    assessment, raw = parse_assessment(text, "case", kb)
    t1 = clock()
    facts = build_facts(assessment, kb)
    t2 = clock()
    firings, derived = runner.run(facts.values)
    t3 = clock()
    provenance = provenance_for(kb, raw)
    t3h = clock()
    _TimedSequencer.explain_seconds = 0.0
    plan = _TimedSequencer(kb, assessment, facts, derived).build(gather(kb, firings), provenance)
    t4 = clock()
    line = f'{{"source":"case","status":"ok","plan":{plan.model_dump_json()}}}'
    t5 = clock()
    explain = _TimedSequencer.explain_seconds
    for stage, seconds in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t3h - t3, t4 - t3h - explain,
                                       explain, t5 - t4)):
        spent[stage] += seconds
    return line
