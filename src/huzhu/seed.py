"""The demo data: a shop and an owner login; campaigns of each kind with participants and
assists are added here as the kinds land. Idempotent: running it twice changes nothing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.accounts.rules import Role
from huzhu.config import Settings

DEMO_SHOP_SLUG = "demo"
DEMO_OWNER_EMAIL = "owner@demo.huzhu"
DEMO_OWNER_PASSWORD = "huzhu-demo-2026"


def seed_demo(session: Session, settings: Settings) -> list[str]:
    from huzhu.accounts import repository as accounts_repo

    if accounts_repo.shop_by_slug(session, DEMO_SHOP_SLUG) is not None:
        return ["demo data already present"]
    shop = accounts.create_shop(session, slug=DEMO_SHOP_SLUG, name="互助小店 Demo Shop")
    accounts.create_operator(
        session,
        shop_id=shop.id,
        email=DEMO_OWNER_EMAIL,
        display_name="Demo Owner",
        password=DEMO_OWNER_PASSWORD,
        role=Role.OWNER,
    )
    return [f"shop '{shop.slug}' created"]
