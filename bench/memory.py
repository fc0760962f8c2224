"""Memory over a long run: resident set size across many full-pipeline assessments.

Growth is measured from after a warm-up (caches filled, the allocator settled) to the end, with
samples along the way so that a slow leak shows as a slope rather than as noise.
"""

from __future__ import annotations

import gc

from bench.measure import peak_rss_mb, rss_mb
from bench.throughput import prepare
from dsl.kb import KnowledgeBase
from engine.batch.local import CaseInput, evaluate_case

WARM_UP = 2000
SAMPLES = 10


def rss_growth(kb: KnowledgeBase, assessments: int, distinct: int = 500) -> dict:
    texts = prepare(kb, distinct)["texts"]
    for index in range(WARM_UP):
        evaluate_case(CaseInput("case", "case", text=texts[index % distinct]), kb)
    gc.collect()
    start = rss_mb()
    step = max(1, assessments // SAMPLES)
    samples = []
    for index in range(assessments):
        evaluate_case(CaseInput("case", "case", text=texts[index % distinct]), kb)
        if (index + 1) % step == 0:
            samples.append(round(rss_mb() - start, 2))
    gc.collect()
    end = rss_mb()
    return {"assessments": assessments, "start_mb": start, "end_mb": end,
            "growth_mb": end - start, "samples_mb": samples, "peak_rss_mb": peak_rss_mb()}
