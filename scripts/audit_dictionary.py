"""Train the compression dictionary of the audit store (engine/audit/packing.py) and write it to
engine/audit/dictionaries/. Run from the repository root:

    python scripts/audit_dictionary.py

A dictionary is part of the store format: once a release has written records with it, its file
is never changed or removed (a later dictionary gets the next id and a new file). So this script
refuses to overwrite a file that exists; it is here to say how the file was made, and to make the
next one.

The samples are the input, plan and trace texts of synthetic assessments (bench/cases.py, a fixed
seed) run through the bundled knowledge base: never the bundled examples, whose mix the benchmark
measures, so that the dictionary is not fitted to the figure it is judged by.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import zstandard

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CASES = 200
SEED = 20


def samples() -> list[bytes]:
    import knowledge_base
    from bench.cases import bundled_instrument, valid_case
    from engine.audit.store import assessment_fields
    from engine.intake import validate_assessment
    from engine.pipeline import assess

    kb, instrument, rng = knowledge_base.load(None), bundled_instrument(), random.Random(SEED)
    out = []
    for index in range(CASES):
        raw = valid_case(rng, index, instrument)
        fields = assessment_fields(assess(validate_assessment(raw, "sample", kb), raw, kb), raw)
        out += [fields[name].encode("utf-8") for name in ("input_json", "plan_json", "trace_json")]
    return out


def main() -> int:
    from engine.audit import packing

    target = packing.dictionary_path(packing.DICTIONARY_ID)
    if target.exists():
        print(f"{target.relative_to(REPO)} exists: a released dictionary is never replaced",
              file=sys.stderr)
        return 1
    trained = zstandard.train_dictionary(packing.DICTIONARY_SIZE, samples(), k=1024, d=8,
                                         dict_id=packing.DICTIONARY_ID, level=packing.LEVEL)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(trained.as_bytes())
    print(f"wrote {target.relative_to(REPO)} ({len(trained.as_bytes())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
