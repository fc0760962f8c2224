"""A knowledge base: a directory loaded whole, checked, and identified by its content hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Self, TypeVar

from dsl import ast
from dsl.errors import Collector, Diagnostic, GroundworkError, read_utf8
from dsl.instrument import Instrument, load_instrument
from dsl.facts import FactType, fact_types

if TYPE_CHECKING:
    from dsl.checked import CheckedKnowledgeBase
from dsl.vocabulary import Phase

RULE_SUFFIX = ".gw"
# DESIGN.md's default when a knowledge base declares no reachability table: reason only in calm or
# alert, relate not in fear or terror, regulate always.
DEFAULT_REACHABLE = {
    "calm": ("regulate", "relate", "reason"), "alert": ("regulate", "relate", "reason"),
    "alarm": ("regulate", "relate"), "fear": ("regulate",), "terror": ("regulate",),
}
INSTRUMENT_FILE = "instrument.toml"
T = TypeVar("T")


@dataclass(frozen=True)
class KnowledgeBase:
    name: str
    version: str
    root: str
    content_hash: str
    files: tuple[ast.SourceFile, ...]
    sources: dict[str, str] = field(compare=False, repr=False)
    regions: tuple[ast.RegionDecl, ...] = ()
    domains: tuple[ast.DomainDecl, ...] = ()
    thresholds: tuple[ast.BandThreshold, ...] = ()
    compromised: tuple[str, ...] = ("moderate", "severe")
    reachable: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    facts: dict[str, ast.FactDecl] = field(default_factory=dict, compare=False)
    review: ast.ReviewDecl | None = None
    budgets: tuple[ast.BudgetDecl, ...] = ()
    interventions: dict[str, ast.Intervention] = field(default_factory=dict, compare=False)
    rules: tuple[ast.Rule, ...] = ()
    instrument: Instrument | None = None
    warnings: tuple[Diagnostic, ...] = ()
    display_root: str = field(default="", compare=False)  # as the user named it, for messages

    @property
    def shown_root(self) -> str:
        return self.display_root or self.root

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions)

    @property
    def domain_names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.domains)

    def region(self, name: str) -> ast.RegionDecl:
        found = self._index("_region_index", self.regions, "name").get(name)
        return found if found is not None else next(r for r in self.regions if r.name == name)

    def phase_of_region(self, name: str) -> Phase:
        # asked for every intervention of every plan: the enum built once per region
        phases = self.kept("_phase_index", lambda kb: {r.name: Phase(r.phase) for r in kb.regions})
        found = phases.get(name)
        return found if found is not None else Phase(self.region(name).phase)

    def fact_types(self) -> dict[str, FactType]:
        return fact_types(self.region_names, self.domain_names)

    def rule(self, rule_id: str) -> ast.Rule | None:
        return self._index("_rule_index", self.rules, "id").get(rule_id)

    def _index(self, attribute: str, items, key: str) -> dict:
        """Items by key (asked for on every assessment). The first of duplicates wins, as a scan
        would find it."""
        def build(_) -> dict:
            index: dict = {}
            for item in items:
                index.setdefault(getattr(item, key), item)
            return index
        return self.kept(attribute, build)

    def kept(self, attribute: str, build: Callable[[Self], T]) -> T:
        """What is worked out from the knowledge base alone, built on first use and kept with it:
        it never changes once built (a copy made with `dataclasses.replace` builds its own)."""
        found = self.__dict__.get(attribute)
        if found is None:
            found = build(self)
            object.__setattr__(self, attribute, found)
        return found

    def active_rules(self, drafts: bool = False) -> tuple[ast.Rule, ...]:
        allowed = {"approved", "draft"} if drafts else {"approved"}
        return tuple(r for r in self.rules if r.status in allowed)


def rule_files(root: Path) -> list[Path]:
    """Every rule file below `root`, in sorted relative-path order."""
    return sorted((p for p in root.rglob(f"*{RULE_SUFFIX}") if p.is_file()),
                  key=lambda p: p.relative_to(root).as_posix())


def content_hash(root: Path) -> str:
    """SHA-256 over the sorted relative paths and bytes of every file that affects a plan."""
    digest = hashlib.sha256()
    paths = rule_files(root) + [root / INSTRUMENT_FILE]
    for path in sorted(paths, key=lambda p: p.relative_to(root).as_posix()):
        if not path.exists():
            continue
        relative = path.relative_to(root).as_posix().encode()
        data = path.read_bytes()
        digest.update(len(relative).to_bytes(8, "big") + relative)
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def load_knowledge_base(root: Path | str, display_root: str | None = None) -> CheckedKnowledgeBase:
    """Parse and check a knowledge base directory. Raises GroundworkError listing every problem."""
    loaded = load_all(root, display_root)
    if loaded.kb is None:
        raise GroundworkError([d for d in loaded.diagnostics if d.severity == "error"])
    return loaded.kb


@dataclass(frozen=True)
class Loaded:
    """Everything one read of a knowledge base found. `kb` is the checked knowledge base when
    nothing is wrong; otherwise `draft` is what could be read (for lint and the editor), and
    `unreadable` the blocks that a syntax error set aside."""

    kb: CheckedKnowledgeBase | None
    diagnostics: tuple[Diagnostic, ...]
    draft: KnowledgeBase | None = None
    unreadable: tuple = ()


def load_all(root: Path | str, display_root: str | None = None,
             overrides: dict[str, str] | None = None) -> Loaded:
    """Read, parse and check a knowledge base, going on after every error so that one run
    reports every problem in every file. `overrides` maps a file's display path to text that
    replaces what is on disk (an editor's unsaved buffer)."""
    from dsl.check import check  # the passes need KnowledgeBase; import here to keep one direction
    from dsl.recovery import parse_recovering

    root = Path(root)
    shown = display_root if display_root is not None else str(root)
    if not root.is_dir():
        return Loaded(None, (Diagnostic("E100", "knowledge base directory not found", shown,
                                        hint="pass --kb DIR with a directory of .gw files"),))
    collector = Collector()
    files: list[ast.SourceFile] = []
    unreadable: list = []
    for path in rule_files(root):
        display = f"{shown.rstrip('/')}/{path.relative_to(root).as_posix()}"
        try:
            text = (overrides or {}).get(display)
            text = _read_text(path, display) if text is None else text
        except GroundworkError as error:
            collector.diagnostics.extend(error.diagnostics)
            continue
        collector.sources[display] = text
        recovered = parse_recovering(text, display)
        files.append(recovered.source)
        collector.diagnostics.extend(recovered.diagnostics)
        unreadable.extend((display, u) for u in recovered.unreadable)
    if not files and not collector.diagnostics:
        collector.add("E100", f"no {RULE_SUFFIX} rule files in the knowledge base", path=shown)
        return Loaded(None, tuple(collector.diagnostics))
    try:
        instrument = load_instrument(root / INSTRUMENT_FILE,
                                     f"{shown.rstrip('/')}/{INSTRUMENT_FILE}")
    except GroundworkError as error:
        collector.diagnostics.extend(error.diagnostics)
        instrument = None
    draft = replace(assemble(files, collector.sources, str(root), content_hash(root), instrument),
                    display_root=shown.rstrip("/") or shown)
    syntax_errors = len(collector.diagnostics)
    try:
        kb = check(draft, collector)
    except GroundworkError:
        kb = None
    except Exception:  # noqa: BLE001 - a pass tripping over a half-read file: report what we have
        if not syntax_errors:
            raise
        kb = None
    if kb is not None and not collector.errors:
        return Loaded(kb, tuple(kb.warnings), kb)
    kept = [d for d in collector.diagnostics if not follows_from_unreadable(d, unreadable)]
    return Loaded(None, tuple(sorted(kept, key=Diagnostic.sort_key)), draft, tuple(unreadable))


# An unknown name whose declaration could not be read is already reported as a syntax error.
_CASCADES = {"E112": "fact", "E113": "intervention", "E110": "region", "E502": None}


def follows_from_unreadable(diagnostic: Diagnostic, unreadable) -> bool:
    """Whether a diagnostic only repeats that a block set aside by a syntax error is missing."""
    if diagnostic.code not in _CASCADES:
        return False
    kinds = (_CASCADES[diagnostic.code],) if _CASCADES[diagnostic.code] else ("intervention", "rule")
    return any(f"unknown {u.kind} '{u.name}'" in diagnostic.message
               for _, u in unreadable if u.kind in kinds and u.name)


def _read_text(path: Path, display: str) -> str:
    return read_utf8(path, display, "E001")


def assemble(files, sources, root, digest, instrument) -> KnowledgeBase:
    """Gather the declarations of all files into one (not yet checked) knowledge base."""
    items = [item for f in files for item in f.items]
    header = next((i for i in items if isinstance(i, ast.KbHeader)), None)
    bands = next((i for i in items if isinstance(i, ast.BandsDecl)), None)
    compromised = next((i for i in items if isinstance(i, ast.CompromisedDecl)), None)
    interventions: dict[str, ast.Intervention] = {}
    for item in items:
        if isinstance(item, ast.Intervention):
            interventions.setdefault(item.id, item)
    return KnowledgeBase(
        name=header.name if header else "",
        version=header.version if header else "",
        root=root,
        content_hash=digest,
        files=tuple(files),
        sources=dict(sources),
        regions=tuple(sorted((i for i in items if isinstance(i, ast.RegionDecl)),
                             key=lambda r: r.order)),
        domains=tuple(i for i in items if isinstance(i, ast.DomainDecl)),
        thresholds=tuple(sorted(bands.thresholds, key=lambda t: t.from_score)) if bands else (),
        compromised=compromised.bands if compromised else ("moderate", "severe"),
        reachable={i.state: i.phases for i in items if isinstance(i, ast.ReachDecl)}
        or dict(DEFAULT_REACHABLE),
        facts={i.name: i for i in items if isinstance(i, ast.FactDecl)},
        review=next((i for i in items if isinstance(i, ast.ReviewDecl)), None),
        budgets=tuple(i for i in items if isinstance(i, ast.BudgetDecl)),
        interventions=interventions,
        rules=tuple(i for i in items if isinstance(i, ast.Rule)),
        instrument=instrument,
    )
