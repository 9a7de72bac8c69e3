"""Reader-account commands. The lead registers them on the main app::

    from .community import register
    register(app)          # newsdesk create-admin | reset-password | set-role

    newsdesk create-admin alice [--email a@example.org] [--password-file FILE]
    newsdesk reset-password alice          # prints a single-use reset link (no mail needed)
    newsdesk set-role bob moderator

Without ``--password-file`` the password is prompted for (twice, hidden). Library errors
become one clean line and a non-zero exit (``cli/main.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..community import CommunityError
from ..community.accounts import ROLES, Accounts

USERNAME = typer.Argument(None, help="Login name of the admin.", show_default=False)
USERNAME_OPTION = typer.Option(None, "--username", "-u", help="The same, as an option.")
EMAIL = typer.Option(None, "--email", help="E-mail address (for password resets).")
PASSWORD_FILE = typer.Option(None, "--password-file", help="Read the password from this file "
                             "(first line) instead of prompting.")
BASE_URL = typer.Option("http://127.0.0.1:8000", "--base-url", help="Site address for the link.")


def create_admin(ctx: typer.Context, username: Optional[str] = USERNAME,
                 username_option: Optional[str] = USERNAME_OPTION, email: Optional[str] = EMAIL,
                 password_file: Optional[Path] = PASSWORD_FILE) -> None:
    """Create an admin account (the first admin must come from here); it logs in at /login
    and reaches /admin and /moderation."""
    if username and username_option and username != username_option:
        raise CommunityError("give the username once (as NAME or --username)")
    username = username or username_option
    if not username:
        raise CommunityError("give the admin's username: newsdesk create-admin NAME")
    password = _password(password_file)
    user = Accounts(ctx.obj.db).signup(username, password, email, role="admin")
    typer.echo(f"admin {user.username} created (id {user.id}); log in at /login")


def reset_password(ctx: typer.Context, username: str = typer.Argument(..., help="Username or e-mail."),
                   base_url: str = BASE_URL) -> None:
    """Print a single-use password-reset link for an account (valid for an hour)."""
    found = Accounts(ctx.obj.db).start_reset(username, ip="cli")
    if found is None:
        raise CommunityError(f"no active account {username[:40]!r}")
    typer.echo(f"{base_url.rstrip('/')}/password/reset?token={found[1]}")


def set_role(ctx: typer.Context, username: str = typer.Argument(...),
             role: str = typer.Argument(..., help="reader, moderator or admin")) -> None:
    """Make an account a reader, moderator or admin."""
    if role not in ROLES:
        raise CommunityError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    accounts = Accounts(ctx.obj.db)
    user = accounts.set_role(accounts.by_name(username).id, role)
    typer.echo(f"{user.username} is now {user.role}")


def _password(path: Optional[Path]) -> str:
    if path is None:
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CommunityError(f"cannot read the password file: {exc.strerror}") from None
    if not lines or not lines[0]:
        raise CommunityError("the password file is empty")
    return lines[0]


def register(app: typer.Typer) -> None:
    app.command("create-admin")(create_admin)
    app.command("reset-password")(reset_password)
    app.command("set-role")(set_role)
