"""`huzhu shop create`: bootstrap a shop and its first owner on a production database."""

from __future__ import annotations

import typer
from rich.console import Console

from huzhu.accounts import service as accounts
from huzhu.accounts.rules import Role
from huzhu.config import load_settings
from huzhu.db import Database
from huzhu.errors import HuzhuError

app = typer.Typer(help="Shops and their owners.", no_args_is_help=True)


@app.command("create")
def create(
    slug: str = typer.Option(..., help="short unique name, used in URLs"),
    name: str = typer.Option(..., help="display name"),
    owner_email: str = typer.Option(..., help="the first owner's sign-in email"),
    owner_password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="HUZHU_OWNER_PASSWORD",
        help="at least 10 characters; prompted when not given",
    ),
) -> None:
    """Create a shop with one owner who can then add operators and API tokens."""
    console = Console()
    if len(owner_password) < 10:
        console.print("[red]the password needs at least 10 characters[/red]")
        raise typer.Exit(2)
    settings = load_settings()
    db = Database(settings.db)
    try:
        with db.unit_of_work() as session:
            shop = accounts.create_shop(session, slug=slug, name=name)
            accounts.create_operator(
                session,
                shop_id=shop.id,
                email=owner_email,
                display_name=owner_email.split("@")[0],
                password=owner_password,
                role=Role.OWNER,
            )
    except HuzhuError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    console.print(
        f"[green]shop '{slug}' created[/green]; sign in at /api/v1/auth/login as {owner_email}"
    )
