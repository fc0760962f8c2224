"""`groundwork lsp`: the language server (pygls) that editors start over stdio.

Diagnostics: after each change, debounced (DEBOUNCE seconds after the last keystroke), the quick
checks run on the unsaved text (syntax, names, types: workspace.py); when a file is opened or
saved, every check of `groundwork lint` runs on the saved files, off the event loop. Problems are
published for every file of the knowledge base, not only the open one, since a change in one file
(a renamed intervention) can break another. Completion, hover, go to definition and document
symbols come from features.py; formatting is `groundwork fmt` (dsl/format.py).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from dsl import ast
from dsl.errors import Diagnostic, GroundworkError
from dsl.format import format_text
from engine import __version__
from groundwork.editor import features
from groundwork.editor.workspace import Workspace

DEBOUNCE = 0.3  # seconds of quiet after a keystroke before the quick checks run
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[A-Za-z_][\w.-]*|\S')

SYMBOL_KINDS = {"rule": types.SymbolKind.Function, "intervention": types.SymbolKind.Class,
                "region": types.SymbolKind.Namespace, "domain": types.SymbolKind.Namespace,
                "fact": types.SymbolKind.Constant, "declaration": types.SymbolKind.Property}
ITEM_KINDS = {"keyword": types.CompletionItemKind.Keyword,
              "intervention": types.CompletionItemKind.Class,
              "rule": types.CompletionItemKind.Function, "fact": types.CompletionItemKind.Field,
              "region": types.CompletionItemKind.Module, "domain": types.CompletionItemKind.Module,
              "value": types.CompletionItemKind.EnumMember}


class GroundworkServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("groundwork", __version__)
        self.knowledge_bases: dict[Path, Workspace] = {}
        self.published: dict[Path, set[str]] = {}  # per knowledge base: files given problems
        self.pending: dict[Path, asyncio.Task] = {}

    def workspace_for(self, uri: str) -> Workspace:
        path = Path(to_fs_path(uri) or uri)
        root_path = self.workspace.root_path if self.workspace else None
        candidate = Workspace.for_file(path, Path(root_path) if root_path else None)
        return self.knowledge_bases.setdefault(candidate.root, candidate)

    def publish(self, ws: Workspace, diagnostics: list[Diagnostic]) -> None:
        by_file: dict[str, list[types.Diagnostic]] = {}
        for diagnostic in diagnostics:
            if not diagnostic.path or not Path(diagnostic.path).is_file():
                continue
            by_file.setdefault(str(Path(diagnostic.path).resolve()), []).append(
                to_lsp(diagnostic, ws.text_of(str(Path(diagnostic.path).resolve()))))
        earlier = self.published.get(ws.root, set())
        for path in sorted(set(by_file) | earlier | set(ws.files())):
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=from_fs_path(path), diagnostics=by_file.get(path, [])))
        self.published[ws.root] = set(by_file)

    async def check(self, ws: Workspace, generation: int, full: bool) -> None:
        """Run the checks off the event loop; publish unless a newer edit overtook them."""
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(None, ws.quick)
        if generation != ws.generation:
            return
        self.publish(ws, found)
        if full and not any(d.severity == "error" for d in found):
            found = await loop.run_in_executor(None, ws.full)
            if generation == ws.generation:
                self.publish(ws, found)

    def schedule(self, ws: Workspace, generation: int, full: bool, delay: float) -> None:
        earlier = self.pending.pop(ws.root, None)
        if earlier is not None and not earlier.done():
            earlier.cancel()

        async def later() -> None:
            await asyncio.sleep(delay)
            await self.check(ws, generation, full)
        self.pending[ws.root] = asyncio.ensure_future(later())


def to_lsp(diagnostic: Diagnostic, text: str) -> types.Diagnostic:
    """A finding as the protocol has it: 0-based range over the word it points at."""
    line = (diagnostic.line or 1) - 1
    column = (diagnostic.column or 1) - 1
    lines = text.split("\n")
    end = column
    if diagnostic.line is not None and line < len(lines):
        match = _TOKEN.match(lines[line], column)
        end = match.end() if match else column
    message = diagnostic.message
    if diagnostic.field_path:
        message = f"{diagnostic.field_path}: {message}"
    if diagnostic.hint:
        message += f"\nhint: {diagnostic.hint}"
    return types.Diagnostic(
        range=types.Range(start=types.Position(line=line, character=column),
                          end=types.Position(line=line, character=end)),
        message=message, code=diagnostic.code, source="groundwork",
        severity=types.DiagnosticSeverity.Error if diagnostic.severity == "error"
        else types.DiagnosticSeverity.Warning)


def _range(pos: ast.Pos, length: int = 0) -> types.Range:
    start = types.Position(line=pos.line - 1, character=pos.column - 1)
    return types.Range(start=start, end=types.Position(line=pos.line - 1,
                                                       character=pos.column - 1 + length))


def build() -> GroundworkServer:
    server = GroundworkServer()

    def document(uri: str) -> tuple[Workspace, str, str]:
        ws = server.workspace_for(uri)
        path = str(Path(to_fs_path(uri) or uri).resolve())
        return ws, path, server.workspace.get_text_document(uri).source

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: GroundworkServer, params: types.DidOpenTextDocumentParams) -> None:
        ws, path, _ = document(params.text_document.uri)
        generation = ws.edit(path, params.text_document.text)
        ls.schedule(ws, generation, full=True, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: GroundworkServer, params: types.DidChangeTextDocumentParams) -> None:
        ws, path, text = document(params.text_document.uri)
        generation = ws.edit(path, text)
        ls.schedule(ws, generation, full=False, delay=DEBOUNCE)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: GroundworkServer, params: types.DidSaveTextDocumentParams) -> None:
        ws, path, text = document(params.text_document.uri)
        generation = ws.edit(path, text)
        ls.schedule(ws, generation, full=True, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: GroundworkServer, params: types.DidCloseTextDocumentParams) -> None:
        ws = server.workspace_for(params.text_document.uri)
        path = str(Path(to_fs_path(params.text_document.uri) or "").resolve())
        ls.schedule(ws, ws.edit(path, None), full=False, delay=DEBOUNCE)

    def model(ws: Workspace):
        if ws.model is None:
            ws.quick()
        return ws.model

    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=[" ", ".", "{"]))
    def completion(ls: GroundworkServer, params: types.CompletionParams) -> types.CompletionList:
        ws, _, text = document(params.text_document.uri)
        items = features.complete(model(ws), text, params.position.line,
                                  params.position.character)
        return types.CompletionList(is_incomplete=False, items=[
            types.CompletionItem(label=i.label, kind=ITEM_KINDS.get(i.kind), detail=i.detail)
            for i in items])

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: GroundworkServer, params: types.HoverParams) -> types.Hover | None:
        ws, _, text = document(params.text_document.uri)
        found = features.hover(model(ws), text, params.position.line, params.position.character)
        if found is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                        value=found))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: GroundworkServer, params: types.DefinitionParams) -> types.Location | None:
        ws, _, text = document(params.text_document.uri)
        pos = features.definition(model(ws), text, params.position.line,
                                  params.position.character)
        if pos is None:
            return None
        word = features.word_at(text, params.position.line, params.position.character) or ""
        return types.Location(uri=from_fs_path(str(Path(pos.file).resolve())),
                              range=_range(pos, len(word)))

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: GroundworkServer, params: types.DocumentFormattingParams) \
            -> list[types.TextEdit] | None:
        _, path, text = document(params.text_document.uri)
        try:
            formatted = format_text(text, path)
        except GroundworkError:
            return None  # a syntax error is already shown as a problem; leave the text alone
        if formatted == text:
            return []
        lines = text.split("\n")
        whole = types.Range(start=types.Position(line=0, character=0),
                            end=types.Position(line=len(lines), character=0))
        return [types.TextEdit(range=whole, new_text=formatted)]

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbols(ls: GroundworkServer, params: types.DocumentSymbolParams) \
            -> list[types.DocumentSymbol]:
        _, path, text = document(params.text_document.uri)
        lines = text.split("\n")
        out = []
        for symbol in features.symbols(text, path):
            end_line = symbol.end - 1
            whole = types.Range(start=types.Position(line=symbol.start - 1, character=0),
                                end=types.Position(line=end_line,
                                                   character=len(lines[end_line])
                                                   if end_line < len(lines) else 0))
            out.append(types.DocumentSymbol(
                name=symbol.name, detail=symbol.detail, kind=SYMBOL_KINDS[symbol.kind],
                range=whole, selection_range=_range(symbol.selection, len(symbol.name))))
        return out

    return server


def main() -> None:
    build().start_io()
