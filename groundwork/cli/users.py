"""`groundwork users`: personal accounts for `groundwork serve`, each with a role and a token
(engine/audit/users.py). A token is printed once, when it is made; only its hash is kept."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from engine.audit import users
from engine.audit.store import AuditStore, utc_now
from groundwork.cli import app
from groundwork.cli.common import DbOption

users_app = typer.Typer(help="Personal accounts for the server: add, list, disable, new token.",
                        no_args_is_help=True)
app.add_typer(users_app, name="users")

ROLE_HELP = "clinician (assesses), qa-reviewer (reads and verifies only), trainer, admin."


def _shown_once(token: str) -> None:
    typer.echo(token)
    typer.echo("this token is shown once; only its hash is kept. Give it to its owner: they sign "
               "in with it on the web page, or send `Authorization: Bearer TOKEN`.", err=True)


@users_app.command("add")
def add(user_id: str = typer.Argument(..., metavar="ID", help="A pseudonymous id, never a name."),
        role: str = typer.Option(..., "--role", metavar="ROLE", help=ROLE_HELP),
        db: Optional[Path] = DbOption) -> None:
    """Add a user with a role; print their token (once)."""
    with AuditStore.open(db, mode="create") as store:
        token = store.transaction(lambda conn: users.add(conn, user_id, role, utc_now(), store.display))
    _shown_once(token)


@users_app.command("list")
def list_users(db: Optional[Path] = DbOption) -> None:
    """Every user: id, role, since when, disabled or not (never a token)."""
    with AuditStore.open(db) as store:
        found = store.users()
    for user in found:
        state = f"disabled {user.disabled_at}" if user.disabled_at else "active"
        typer.echo(f"{user.id:<24} {user.role:<12} since {user.created_at}  {state}")
    if not found:
        typer.echo("no users")


@users_app.command("disable")
def disable(user_id: str = typer.Argument(..., metavar="ID"), db: Optional[Path] = DbOption) -> None:
    """Disable a user: their token stops working at once (their records stay theirs)."""
    with AuditStore.open(db, mode="append") as store:
        store.transaction(lambda conn: users.disable(conn, user_id, utc_now(), store.display))
    typer.echo(f"user {user_id} disabled")


@users_app.command("token")
def token(user_id: str = typer.Argument(..., metavar="ID"), db: Optional[Path] = DbOption) -> None:
    """A new token for a user (the old one stops working); printed once."""
    with AuditStore.open(db, mode="append") as store:
        made = store.transaction(lambda conn: users.new_token(conn, user_id, store.display))
    _shown_once(made)
