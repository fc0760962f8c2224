"""The rule language: parse (lark) → typed AST → checked knowledge base → compiled rule sets."""
