"""`groundwork serve`: the HTTP API, the CDS Hooks service and the clinician's web page.

Binds to loopback unless told otherwise. `--workers N` runs N processes (uvicorn's supervisor
restarts one that dies); everything they share (accounts, sessions, the JWT replay cache, the
audit chain) is in the audit store, so a request may land on any of them. The API token comes
from $GROUNDWORK_TOKEN, or a new one is generated and printed once, here, at start. Access logs
show method, path and status only: never a request body, a query string or a header.
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from engine.audit.store import AuditStore
from groundwork.cli import app
from groundwork.cli.common import DbOption, KbOption

LOG_CONFIG = {
    "version": 1, "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
                   "access": {"()": "groundwork.web.logs.AccessFormatter",
                              "format": "%(asctime)s [%(process)d] access: %(message)s"}},
    "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"},
                 "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stderr"}},
    "loggers": {"uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
                "uvicorn.error": {"handlers": ["default"], "level": "INFO", "propagate": False},
                "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
                "groundwork.web": {"handlers": ["default"], "level": "INFO", "propagate": False}},
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", metavar="ADDRESS",
                             help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, metavar="PORT", help="Port to listen on."),
    db: Optional[Path] = DbOption,
    kb: Optional[Path] = KbOption,
    workers: int = typer.Option(1, "--workers", min=1, max=64, metavar="N",
                                help="Worker processes (one per core is usual); sessions and "
                                     "accounts are shared through the audit store."),
) -> None:
    """Serve the HTTP API, CDS Hooks and the web page (see docs/web.md)."""
    import uvicorn

    from groundwork.web.app import create_app
    from groundwork.web.settings import from_environment

    settings, generated = from_environment(db, kb)
    application = create_app(settings)  # loads the knowledge base: a bad --kb stops here, exit 2
    with AuditStore.open(db, mode="create") as store:  # created (or migrated) before any request
        where = store.display
    if generated:
        print(f"API token (shown once; set GROUNDWORK_TOKEN to choose your own): {settings.token}",
              file=sys.stderr)
    if not is_loopback(host):
        print(f"warning: listening on {host}, beyond this machine: put a TLS-terminating proxy in "
              "front (the session cookie and the token must not cross a network in clear)",
              file=sys.stderr)
    print(f"audit store {where}; knowledge base {application.state.kb.name} "
          f"{application.state.kb.version}; open http://{host}:{port}/", file=sys.stderr)
    # An idle keep-alive connection is closed after 5 s and at most 200 are served at once by each
    # worker (503 beyond): slow or idle clients cannot hold the server. Uvicorn has no header
    # timeout; a proxy in front provides one (docs/web.md, Security).
    options: dict[str, Any] = dict(host=host, port=port, log_config=LOG_CONFIG,
                                   server_header=False, proxy_headers=True,
                                   forwarded_allow_ips="127.0.0.1", timeout_keep_alive=5,
                                   limit_concurrency=200, h11_max_incomplete_event_size=16_384)
    if workers == 1:
        uvicorn.run(application, **options)
        return
    # Several processes: uvicorn starts each from an import string, and each builds its app from
    # the environment exactly as this one did (settings were checked above, before any worker).
    from groundwork.web.workers import hand_over

    hand_over(settings, where)
    print(f"{workers} worker processes", file=sys.stderr)
    uvicorn.run("groundwork.web.workers:app", factory=True, workers=workers, **options)
