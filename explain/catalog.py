"""Finding the intervention a person typed: a catalog id, or a catalog name in any case.

An unknown name is bad input (exit 2) and the message names the nearest catalog ids.
"""

from __future__ import annotations

import difflib

from dsl.errors import Diagnostic, GroundworkError
from dsl.checked import CheckedKnowledgeBase

MAX_SUGGESTIONS = 3
MAX_SHOWN = 64  # what a person typed is echoed back, but never at any length


def resolve(kb: CheckedKnowledgeBase, typed: str) -> str:
    """The catalog id meant by `typed`, or GroundworkError naming the nearest ids."""
    wanted = typed.strip()
    if wanted in kb.interventions:
        return wanted
    by_name = {iv.name.lower(): iv.id for iv in kb.interventions.values() if iv.name}
    by_id = {i.lower(): i for i in kb.interventions}
    key = wanted.lower()
    if key in by_id or key in by_name:
        return by_id.get(key) or by_name[key]
    near = nearest_ids(kb, key)
    listing = ("; nearest catalog ids: " + ", ".join(near)) if near else ""
    shown = typed if len(typed) <= MAX_SHOWN else typed[:MAX_SHOWN] + "…"
    raise GroundworkError([Diagnostic(
        "E220", f"'{shown}' is not an intervention in the catalog{listing}",
        path=f"knowledge base {kb.name}", suggestions=tuple(near),
        hint="`groundwork graph` lists every intervention in the catalog")])


def nearest_ids(kb: CheckedKnowledgeBase, key: str) -> list[str]:
    """Ids (or names) close to `key`: containing it first, then the closest spellings."""
    key = key.replace(" ", "-")
    names = {iv.name.lower().replace(" ", "-"): iv.id for iv in kb.interventions.values() if iv.name}
    choices = {i: i for i in kb.interventions} | names
    found = [choices[c] for c in sorted(choices) if key and key in c]
    close = difflib.get_close_matches(key, sorted(choices), n=MAX_SUGGESTIONS * 2, cutoff=0.5)
    found += [choices[c] for c in close]
    return list(dict.fromkeys(found))[:MAX_SUGGESTIONS]
