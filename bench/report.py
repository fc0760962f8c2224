"""The benchmark's results as a printed table (Markdown, so RESULTS.md can hold it) and targets."""

from __future__ import annotations

TARGETS = (
    # (name, how to read it from the results, comparison, bound)
    ("pipeline >= 0.5x raw durable-rules (generated knowledge base, 200 rules)",
     lambda r: r["throughput"][r["meta"]["small_generated"]]["pipeline_over_raw"], ">=", 0.5),
    ("pipeline >= 0.75x raw durable-rules (the shipped knowledge base)",
     lambda r: r["throughput"]["shipped"]["pipeline_over_raw"], ">=", 0.75),
    ("sequencing <= 10 % of the pipeline (the shipped knowledge base, share of the stages)",
     lambda r: 100 * r["stages"]["share"]["sequence"], "<=", 10.0),
    ("front end <= 3x bare lark parse (generated, 2,000 rules)",
     lambda r: r["frontend"]["ratio"], "<=", 3.0),
    ("RSS growth < 5 MB over the run (MB; the larger of the runs)",
     lambda r: max(m["growth_mb"] for m in r["memory"].values()), "<", 5.0),
    ("cold `groundwork assess` <= 2x import floor (cache filled)",
     lambda r: r["cold"]["ratio_cached"], "<=", 2.0),
    ("cold `groundwork --help` <= 0.5x import floor",
     lambda r: r["cold"]["ratio_help"], "<=", 0.5),
    ("cold `groundwork lint` of the bundled knowledge base <= 1 s",
     lambda r: r["cold"]["lint_s"], "<=", 1.0),
    ("batch: 2 workers >= 1.7x one",
     lambda r: r["batch"]["speedup_2_over_1"], ">=", 1.7),
    ("`groundwork diff`, one rule changed, 100,000 cases, 2 workers: seconds <= 60",
     lambda r: r["diff"]["screened_s"], "<=", 60.0),
    ("audit store <= 8 KB a record (the bundled examples' mix)",
     lambda r: r["audit"]["kb_per_record"], "<=", 8.0),
    ("`audit verify` >= 5,000 records/s",
     lambda r: r["audit"]["verify_rate"], ">=", 5000.0),
    ("`audit replay --all` >= 100 records/s",
     lambda r: r["audit"]["replay_rate"], ">=", 100.0),
    ("`serve`, 8 clients, audit on: 2 workers >= 1.8x the throughput of one",
     lambda r: r["serve"]["speedup_2_over_1"], ">=", 1.8),
    ("`serve`, 8 clients, audit on, 2 workers: p99 <= 3x p50",
     lambda r: r["serve"]["p99_over_p50_2"], "<=", 3.0),
)
_COMPARE = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, "<": lambda a, b: a < b}


def targets(results: dict) -> list[dict]:
    out = []
    for name, read, op, bound in TARGETS:
        try:
            value = read(results)
        except KeyError:
            continue  # that suite was not run
        out.append({"target": name, "value": value, "bound": f"{op} {bound:g}",
                    "met": _COMPARE[op](value, bound)})
    return out


def _rate(mode: dict) -> str:
    return f"{mode['per_second']:,.0f}/s, {mode['p50_ms']:.2f} / {mode['p99_ms']:.2f} ms"


def render(results: dict) -> str:
    lines = _header(results["meta"])
    for section in (_throughput, _stages, _frontend, _memory, _cold, _batch, _diff, _audit,
                    _serve, _targets):
        lines += section(results)
    return "\n".join(lines) + "\n"


def _header(meta: dict) -> list[str]:
    box = meta["machine"]
    return [f"# Groundwork benchmark, {meta['date']}", "",
            f"Machine: {box['cpu']}, {box['cores']} cores, {box['platform']}; Python "
            f"{box['python']}, durable-rules {box['packages']['durable_rules']}, lark "
            f"{box['packages']['lark']}.",
            f"Command: `{meta['command']}` ({meta['repetitions']} repetitions; medians; ratios "
            "taken within each repetition).",
            f"Load average at start {meta['load_start']}, at end {meta['load_end']}.", ""]


def _throughput(results: dict) -> list[str]:
    if "throughput" not in results:
        return []
    lines = ["## Throughput (assessments/s; latency p50 / p99)", "",
             "| knowledge base | rules | rule sets | raw durable-rules | reference evaluator "
             "| full pipeline | pipeline/raw | raw/reference |",
             "|---|---:|---:|---|---|---|---:|---:|"]
    for name, t in results["throughput"].items():
        lines.append(f"| {name} | {t['rules']} | {t['rule_sets']} | {_rate(t['raw'])} | "
                     f"{_rate(t['reference'])} | {_rate(t['pipeline'])} | "
                     f"{t['pipeline_over_raw']:.2f}x | {t['raw_over_reference']:.2f}x |")
    return lines + [""]


def _stages(results: dict) -> list[str]:
    if "stages" not in results:
        return []
    s = results["stages"]
    return ["## Where the time goes: the shipped knowledge base, per stage", "",
            "| " + " | ".join(s["us_per_case"]) + " |",
            "|" + "---:|" * len(s["us_per_case"]),
            "| " + " | ".join(f"{us:,.0f} µs ({s['share'][k]:.0%})"
                              for k, us in s["us_per_case"].items()) + " |", "",
            f"Dominant stage: **{s['dominant']}**.", ""]


def _frontend(results: dict) -> list[str]:
    if "frontend" not in results:
        return []
    f = results["frontend"]
    return [f"## Front end: {f['rules']:,} rules, {f['interventions']} interventions "
            f"({f['bytes'] / 1024:,.0f} KiB)", "",
            f"Bare lark LALR parse {f['lark_s']:.3f} s; ours {f['frontend_s']:.3f} s "
            f"(parse + check {f['parse_and_check_s']:.3f} s, compile {f['compile_s']:.3f} s, "
            f"register with durable-rules {f['register_s']:.3f} s): **{f['ratio']:.2f}x**.", ""]


def _memory(results: dict) -> list[str]:
    if "memory" not in results:
        return []
    lines = ["## Memory: resident set size over many full-pipeline assessments", ""]
    for name, m in results["memory"].items():
        lines.append(f"- {name}, {m['assessments']:,} assessments: RSS {m['start_mb']:.1f} MB after "
                     f"warm-up, {m['end_mb']:.1f} MB at the end: **{m['growth_mb']:+.2f} MB**; "
                     f"growth at each tenth: {m['samples_mb']} MB.")
    return lines + ["", f"Peak RSS of the benchmark process: {results['meta']['peak_rss_mb']:.0f} MB "
                    "(it holds every knowledge base measured above).", ""]


def _cold(results: dict) -> list[str]:
    if "cold" not in results:
        return []
    c = results["cold"]
    return ["## Cold start: whole commands in a new process", "",
            f"Import floor (`python -c \"import durable.lang, lark, networkx, pydantic\"`) "
            f"{c['floor_s']:.3f} s; assess with the knowledge-base cache filled "
            f"{c['cold_cached_s']:.3f} s (**{c['ratio_cached']:.2f}x**), with an empty cache "
            f"{c['cold_uncached_s']:.3f} s ({c['ratio_uncached']:.2f}x).", "",
            f"`groundwork --help` {c['help_s']:.3f} s (**{c['ratio_help']:.2f}x** the floor); "
            f"`groundwork lint` of the bundled knowledge base {c['lint_s']:.3f} s "
            f"({c['ratio_lint']:.2f}x the floor).", ""]


def _diff(results: dict) -> list[str]:
    if "diff" not in results:
        return []
    d = results["diff"]
    return ["## Impact diff: one rule's threshold changed, a JSON-lines caseload, 2 workers", "",
            f"Screened: {d['cases']:,} cases in {d['screened_s']:.1f} s ({d['screened_rate']:,.0f} "
            f"cases/s; {d['assessed']:,} re-assessed, the rest screened out). Full re-evaluation "
            f"(`--full`) of {d['full_cases']:,} of them: {d['full_s']:.1f} s "
            f"({d['full_rate']:,.0f} cases/s): the screen is **{d['speedup']:.0f}x** faster per "
            "case.", ""]


def _audit(results: dict) -> list[str]:
    if "audit" not in results:
        return []
    a = results["audit"]
    return ["## Audit store: `groundwork batch --audit` of the bundled examples' mix", "",
            f"{a['records']:,} records in {a['store_bytes'] / 2**20:,.1f} MB: **{a['kb_per_record']:.1f} "
            f"KB a record**, of which the input, plan and trace take {a['packed_kb_per_record']:.1f} KB "
            f"packed ({a['text_kb_per_record']:.1f} KB as text, "
            f"{a['text_kb_per_record'] / a['packed_kb_per_record']:.0f}x). "
            f"Reading every record back, unpacked (the floor) {a['read_rate']:,.0f}/s; `audit "
            f"verify` {a['verify_rate']:,.0f} records/s ({a['verify_over_read']:.1f}x the read); "
            f"`audit replay --all` {a['replay_rate']:,.0f} records/s "
            f"({a['replay_over_read']:.0f}x the read).", ""]


def _targets(results: dict) -> list[str]:
    lines = ["## Targets", "", "| target | measured | bound | met |", "|---|---:|---|---|"]
    for t in targets(results):
        lines.append(f"| {t['target']} | {t['value']:.2f} | {t['bound']} | "
                     f"{'yes' if t['met'] else '**no**'} |")
    return lines


def _serve(results: dict) -> list[str]:
    if "serve" not in results:
        return []
    s = results["serve"]
    one, two = s["workers_1"], s["workers_2"]
    return [f"## Serving: `groundwork serve`, {s['requests']:,} POST /api/assessments, "
            f"{s['clients']} concurrent clients, audit on (loopback)", "",
            f"1 worker {one['per_second']:,.1f} req/s (p50 {one['p50_ms']:,.0f} ms, p99 "
            f"{one['p99_ms']:,.0f} ms); 2 workers {two['per_second']:,.1f} req/s (p50 "
            f"{two['p50_ms']:,.0f} ms, p99 {two['p99_ms']:,.0f} ms, p99/p50 "
            f"{s['p99_over_p50_2']:.2f}): **{s['speedup_2_over_1']:.2f}x** (median; each "
            f"repetition {_list(s['speedups'])}, while two forked pure-Python loops ran "
            f"{_list(s['ceilings'])} faster than one). The 2-worker store passes `audit verify`: "
            f"{s['chain_intact']}.", ""]


def _batch(results: dict) -> list[str]:
    lines = []
    if "batch" in results:
        b, c = results["batch"], results["batch"]["check"]
        lines += [f"## Batch: `groundwork batch` on {b['cases']:,} generated cases", "",
                  f"1 worker {b['rate_1']:,.0f} cases/s, 2 workers {b['rate_2']:,.0f} cases/s: "
                  f"**{b['speedup_2_over_1']:.2f}x** (median; each repetition "
                  f"{_list(b['speedups'])}, while two forked pure-Python loops ran "
                  f"{_list(b['ceilings'])} faster than one: the parallelism the shared machine "
                  f"offered at that moment); identical result files: {b['identical_results']}. "
                  f"{c['lines']:,} result lines; {c['invalid']} invalid of {c['expected_invalid']} "
                  f"deliberately broken, each naming the expected field path: "
                  f"{c['all_invalid_with_expected_field']}; exit code {c['exit']}; first stderr line: "
                  f"`{c['first_stderr_line']}`.", ""]
    if "dask" in results:
        d = results["dask"]
        if "skipped" in d:
            lines += [f"Dask: skipped ({d['skipped']}).", ""]
        else:
            lines += [f"Dask `LocalCluster` on loopback, {d['cases']:,} cases: 1 worker "
                      f"{d['rate_1']:,.0f} cases/s, 2 workers {d['rate_2']:,.0f} cases/s "
                      f"({d['speedup_2_over_1']:.2f}x; two forked loops: {d['ceiling']:.2f}x); "
                      f"results identical to the local run: "
                      f"{d['identical_to_local_1'] and d['identical_to_local_2']}.", ""]
    return lines


def _list(values) -> str:
    return ", ".join(f"{v:.2f}x" for v in values)
