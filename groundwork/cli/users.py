"""`groundwork users add|list|disable|token`: personal accounts for the server (docs/web.md).

An admin runs these on the server's machine, against the server's audit store (`--db`). A token is
printed once, on standard output alone (so it can be piped into a password manager), and is never
stored: only its scrypt hash is (engine/audit/accounts.py). Bad input exits 2 and writes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from engine.audit import accounts
from engine.audit.store import AuditStore
from groundwork.cli import app
from groundwork.cli.common import DbOption

ROLES_HELP = "; ".join(f"{role}: {what}" for role, what in accounts.ROLES.items())
users_app = typer.Typer(no_args_is_help=True, help="Personal accounts for `groundwork serve`: add, "
                        "list, disable, and issue a new token (roles: clinician, qa-reviewer, "
                        "trainer, admin).")
app.add_typer(users_app, name="users")
IdArgument = typer.Argument(..., metavar="ID", help="The user's pseudonymous id (e.g. clin-07), "
                            "never a name.")

_SHOWN_ONCE = ("this token is shown once and stored only as a hash; give it to {id} over a safe "
               "channel (they sign in with it, or send it as `Authorization: Bearer`)")


@users_app.command("add")
def add(user_id: str = IdArgument,
        role: str = typer.Option(..., "--role", metavar="ROLE", help=ROLES_HELP),
        db: Optional[Path] = DbOption) -> None:
    """Add a user with a role; print their token (once)."""
    accounts.check_id(user_id)  # checked before the store is opened: bad input writes nothing
    accounts.check_role(role)
    with AuditStore.open(db, mode="create") as store:
        with store.operational() as conn:
            token = accounts.add_user(conn, user_id, role)
    print(_SHOWN_ONCE.format(id=user_id), file=sys.stderr)
    typer.echo(token)


@users_app.command("list")
def list_users(db: Optional[Path] = DbOption) -> None:
    """List users: id, role, when added, whether disabled (never a token)."""
    with AuditStore.open(db) as store:
        found = accounts.users(store.conn)
    if not found:
        typer.echo("no users yet: `groundwork users add ID --role ROLE`")
        return
    width = max(len(u.id) for u in found)
    for u in found:
        state = f"disabled {u.disabled_at}" if u.disabled_at else "active"
        typer.echo(f"{u.id:<{width}}  {u.role:<11}  added {u.created_at}  {state}")


@users_app.command("disable")
def disable(user_id: str = IdArgument, db: Optional[Path] = DbOption) -> None:
    """Disable a user: their token and sessions stop working at once (records keep their id)."""
    accounts.check_id(user_id)
    with AuditStore.open(db, mode="append") as store:
        with store.operational() as conn:
            changed = accounts.disable_user(conn, user_id)
    typer.echo(f"user {user_id} disabled" if changed else f"user {user_id} was disabled already")


@users_app.command("token")
def token(user_id: str = IdArgument, db: Optional[Path] = DbOption) -> None:
    """Give a user a new token (print it once); the old one and their sessions stop working."""
    accounts.check_id(user_id)
    with AuditStore.open(db, mode="append") as store:
        with store.operational() as conn:
            issued = accounts.new_token(conn, user_id)
    print(_SHOWN_ONCE.format(id=user_id), file=sys.stderr)
    typer.echo(issued)
