"""`groundwork lsp`: the language server for editors (docs/trainers.md, "Editing rules")."""

from __future__ import annotations

import typer

from groundwork.cli import app


@app.command()
def lsp(
    stdio: bool = typer.Option(True, "--stdio", help="Talk to the editor over stdin and stdout "
                               "(the only transport; accepted because editors pass it)."),
) -> None:
    """Run the language server: diagnostics, completion, hover, go to definition, symbols."""
    from groundwork.editor.server import main

    main()
