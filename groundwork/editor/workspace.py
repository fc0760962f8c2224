"""What the language server knows about the knowledge base being edited: the text of the open
files, the last model that could be read, and the problems in every file.

Two depths of checking, so that the editor stays responsive as the trainer types:
- `quick`: every file is parsed (with recovery) and the semantic passes run — syntax, names,
  types, headers, the catalog; about as fast as loading the knowledge base. Run (debounced) after
  each change, on the unsaved text of the open files.
- `full`: everything `groundwork lint` runs (the static analyses, coverage gaps, the scenarios),
  on the files as saved. Run when a file is opened or saved; it takes seconds on a large
  knowledge base, so the server runs it off the event loop and drops a result that a newer edit
  has overtaken.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from dsl.errors import Diagnostic
from dsl.kb import KnowledgeBase, load_all
from groundwork.trainer import locate


@dataclass
class Workspace:
    root: Path  # the knowledge base directory (it holds instrument.toml)
    open_files: dict[str, str] = field(default_factory=dict)  # absolute path -> unsaved text
    model: KnowledgeBase | None = None  # the last knowledge base that could be read
    generation: int = 0  # counts edits, so that a slow result for older text can be dropped
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def for_file(cls, path: Path, fallback: Path | None = None) -> "Workspace":
        root = locate.kb_root_of(path) or fallback or path.parent
        return cls(root.resolve())

    @property
    def display(self) -> str:
        return str(self.root)

    def edit(self, path: str, text: str | None) -> int:
        with self.lock:
            if text is None:
                self.open_files.pop(path, None)
            else:
                self.open_files[path] = text
            self.generation += 1
            return self.generation

    def quick(self) -> list[Diagnostic]:
        """Syntax and semantic checks of the knowledge base with the unsaved text of open files."""
        with self.lock:
            overrides = dict(self.open_files)
        loaded = load_all(self.root, self.display, overrides)
        model = loaded.kb or loaded.draft
        if model is not None:
            self.model = model
        return list(loaded.diagnostics)

    def full(self) -> list[Diagnostic]:
        """Every check `groundwork lint` makes, on the files as saved."""
        from groundwork.trainer.lint import lint_path

        report = lint_path(self.root)
        return report.diagnostics

    def files(self) -> list[str]:
        """Every rule file of the knowledge base (those on disk and those open)."""
        from dsl.kb import rule_files

        on_disk = {str(p.resolve()) for p in rule_files(self.root)}
        return sorted(on_disk | {p for p in self.open_files if p.endswith(".gw")})

    def text_of(self, path: str) -> str:
        with self.lock:
            if path in self.open_files:
                return self.open_files[path]
        try:
            return Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return ""
