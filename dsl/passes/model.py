"""The model declarations: header, regions, domains, bands, gate policy, reachability, review."""

from __future__ import annotations

import re

from dsl import ast
from dsl.errors import Collector, Diagnostic, did_you_mean
from dsl.vocabulary import AROUSAL_STATES, BANDS, INSUFFICIENT, REFERRALS, Phase

SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
PHASES = tuple(p.value for p in Phase)


def _items(kb, kind):
    return [i for f in kb.files for i in f.items if isinstance(i, kind)]


def check_model(kb, out: Collector) -> None:
    headers = _items(kb, ast.KbHeader)
    if not headers:
        out.add("E100", "the knowledge base has no header", path=kb.shown_root,
                hint='add: knowledge_base "name" version "1.0.0"')
    for extra in headers[1:]:
        out.add("E100", "a second knowledge_base header; a knowledge base has one", extra.pos)
    for header in headers[:1]:
        if not SEMVER.match(header.version):
            out.add("E121", f"version '{header.version}' is not a semantic version", header.pos,
                    hint="write MAJOR.MINOR.PATCH, e.g. \"1.2.0\"")
    _check_regions(kb, out)
    _check_domains(kb, out)
    _check_bands(kb, out)
    _check_reachability(kb, out)


def _check_regions(kb, out):
    seen_names, seen_orders = set(), set()
    for region in _items(kb, ast.RegionDecl):
        if region.name in seen_names:
            out.add("E101", f"region '{region.name}' is declared twice", region.pos)
        if region.order in seen_orders:
            out.add("E101", f"two regions have order {region.order}", region.pos)
        if region.phase not in PHASES:
            out.add("E101", f"unknown phase '{region.phase}'", region.pos,
                    hint=did_you_mean(region.phase, PHASES) or "phases: " + ", ".join(PHASES))
        seen_names.add(region.name)
        seen_orders.add(region.order)
    if not seen_names:
        out.add("E101", "the knowledge base declares no regions", path=kb.shown_root)
    ordered = [r for r in kb.regions if r.phase in PHASES]
    for lower, higher in zip(ordered, ordered[1:]):
        if list(PHASES).index(lower.phase) > list(PHASES).index(higher.phase):
            out.add("E101", f"region '{higher.name}' is above '{lower.name}' but in an earlier "
                    "phase; phases must follow the region order", higher.pos)


def _check_domains(kb, out):
    seen = set()
    for domain in _items(kb, ast.DomainDecl):
        if domain.name in seen:
            out.add("E102", f"domain '{domain.name}' is declared twice", domain.pos)
        seen.add(domain.name)
        if domain.primary_region not in kb.region_names:
            out.add("E110", f"unknown region '{domain.primary_region}'"
                    + _suggest(domain.primary_region, kb.region_names), domain.pos)
        if domain.name in kb.region_names:
            out.add("E102", f"domain '{domain.name}' has the name of a region", domain.pos)


def _check_bands(kb, out):
    decls = _items(kb, ast.BandsDecl)
    if not decls:
        out.add("E103", "the knowledge base declares no band thresholds", path=kb.shown_root,
                hint="add: bands { typical from 0  mild from 0.75  moderate from 1.5  severe from 2.25 }")
        return
    for extra in decls[1:]:
        out.add("E103", "bands are declared twice", extra.pos)
    names = [t.band for t in decls[0].thresholds]
    for threshold in decls[0].thresholds:
        if threshold.band not in BANDS:
            out.add("E114", f"unknown band '{threshold.band}'" + _suggest(threshold.band, BANDS),
                    threshold.pos)
    if sorted(names, key=lambda b: BANDS.index(b) if b in BANDS else 99) != names or \
            [t.from_score for t in decls[0].thresholds] != sorted(t.from_score for t in decls[0].thresholds):
        out.add("E103", "band thresholds must rise from typical to severe", decls[0].pos)
    if set(names) != set(BANDS):
        missing = [b for b in BANDS if b not in names]
        if missing:
            out.add("E103", "bands must give a threshold for every band; missing: "
                    + ", ".join(missing), decls[0].pos)
    for decl in _items(kb, ast.CompromisedDecl):
        for band in decl.bands:  # `insufficient`: too few ratings hold work too (fail closed)
            if band not in BANDS + (INSUFFICIENT,):
                out.add("E114", f"unknown band '{band}'" + _suggest(band, BANDS), decl.pos)


def _check_reachability(kb, out):
    seen = set()
    for decl in _items(kb, ast.ReachDecl):
        if decl.state not in AROUSAL_STATES:
            out.add("E105", f"unknown arousal state '{decl.state}'"
                    + _suggest(decl.state, AROUSAL_STATES), decl.pos)
        if decl.state in seen:
            out.add("E105", f"arousal state '{decl.state}' is declared twice", decl.pos)
        seen.add(decl.state)
        for phase in decl.phases:
            if phase not in PHASES:
                out.add("E105", f"unknown phase '{phase}'" + _suggest(phase, PHASES), decl.pos)
        if "regulate" not in decl.phases:
            out.add("E105", "regulate work must be reachable in every state", decl.pos,
                    hint="regulating activity is how a client comes back to calm")
    missing = [s for s in AROUSAL_STATES if s not in seen]
    if missing and _items(kb, ast.ReachDecl):
        out.add("E105", "reachability is not declared for: " + ", ".join(missing),
                _items(kb, ast.ReachDecl)[0].pos)


def check_instrument(kb, out: Collector) -> None:
    instrument = kb.instrument
    if instrument is None:
        return
    path = f"{kb.shown_root}/instrument.toml"
    seen = set()
    for index, item in enumerate(instrument.items):
        where = f"items[{index}]"
        if item.id in seen:
            _field(out, path, f"{where}.id", f"item '{item.id}' appears twice")
        seen.add(item.id)
        if item.region not in kb.region_names:
            _field(out, path, f"{where}.region", f"unknown region '{item.region}'"
                   + _suggest(item.region, kb.region_names))
        if item.domain not in kb.domain_names:
            _field(out, path, f"{where}.domain", f"unknown domain '{item.domain}'"
                   + _suggest(item.domain, kb.domain_names))
    values = [p.value for p in instrument.scale]
    if values != list(range(len(values))):
        _field(out, path, "scale", "scale values must be 0, 1, 2 … in order")
    for index, referral in enumerate(instrument.referrals):
        if referral.id not in REFERRALS:
            _field(out, path, f"referrals[{index}].id", f"unknown referral '{referral.id}'"
                   + _suggest(referral.id, REFERRALS) + "; referrals: " + ", ".join(REFERRALS))


def _field(out, path, field_path, message):
    out.diagnostics.append(Diagnostic("E170", message, path, field_path=field_path))


def _suggest(name, choices) -> str:
    hint = did_you_mean(name, choices)
    return f" ({hint})" if hint else ""
