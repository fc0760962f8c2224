"""The trainer's editor: the language server behind `groundwork lsp` (docs/trainers.md)."""
