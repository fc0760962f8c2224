"""`engine/` reads as the pipeline (issue #12): its top-level modules are the pipeline's stages and
models; what is built on the pipeline lives in sub-packages or in the interfaces package."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# strict_json is the intake stage's reader: the limits every interface's case JSON is read under
# sequence_index is the sequencer's knowledge-base-only half, built once per knowledge base
PIPELINE = {"__init__", "models", "intake", "strict_json", "scoring", "ratings", "profile", "item_flags",
            "facts", "carry",
            "runtime", "graph", "dosing", "sequence", "sequence_index", "decisions", "plan", "pipeline"}
PACKAGES = {"audit", "batch", "reports", "synthetic"}


def test_engine_holds_the_pipeline_and_its_sub_packages_only():
    modules = {p.stem for p in (ROOT / "engine").glob("*.py")}
    packages = {p.name for p in (ROOT / "engine").iterdir() if (p / "__init__.py").exists()}
    assert modules == PIPELINE, "a new engine/ module: is it a pipeline stage? " + str(modules - PIPELINE)
    assert packages == PACKAGES


def test_the_pipeline_never_imports_what_is_built_on_it():
    for path in (ROOT / "engine").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for package in ("engine.batch", "engine.reports", "engine.synthetic", "groundwork"):
            assert f"from {package}" not in text and f"import {package}" not in text, (path, package)
