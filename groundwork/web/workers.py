"""The app factory each worker process of `groundwork serve --workers N` imports.

uvicorn starts its workers from an import string, so they cannot be handed the parent's app or
Settings object. The parent checks the settings first (bad ones stop it with exit 2, before any
worker starts), then `hand_over` puts into the environment what the workers need to build the
same settings: the token (only if the parent generated it; it is then printed once, by the
parent), the audit store's path and the knowledge base's directory. Each worker loads the
knowledge base itself (from the compiled cache the parent filled).
"""

from __future__ import annotations

import os
from pathlib import Path

from groundwork.web.settings import TOKEN_ENV, Settings

DB_ENV = "GROUNDWORK_DB"
KB_ENV = "GROUNDWORK_SERVE_KB"  # private to serve: the --kb the parent was given


def hand_over(settings: Settings, store: str) -> None:
    """Make the parent's settings the ones every worker builds from the environment."""
    os.environ[TOKEN_ENV] = settings.token  # a generated one too: all workers must accept it
    os.environ[DB_ENV] = str(Path(store).resolve())
    if settings.kb is not None:
        os.environ[KB_ENV] = str(Path(settings.kb).resolve())
    else:
        os.environ.pop(KB_ENV, None)


def app():
    """uvicorn's factory (`groundwork.web.workers:app`): one worker's application."""
    from groundwork.web.app import create_app
    from groundwork.web.settings import from_environment

    kb = os.environ.get(KB_ENV)
    settings, _ = from_environment(Path(os.environ[DB_ENV]), Path(kb) if kb else None)
    return create_app(settings)
