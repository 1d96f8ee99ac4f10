"""Routes of the items domain: a shop's items and their price history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from huzhu.accounts.deps import require
from huzhu.accounts.rules import Permission, Principal
from huzhu.deps import SessionDep
from huzhu.items import service
from huzhu.items.schemas import (
    ItemCreate,
    ItemIdPath,
    ItemOut,
    ItemUpdate,
    PriceIn,
    PriceOut,
)
from huzhu.pagination import Page, PageParams, page_params

router = APIRouter(tags=["items"])

Reader = Annotated[Principal, Depends(require(Permission.CAMPAIGN_READ))]
Writer = Annotated[Principal, Depends(require(Permission.CAMPAIGN_WRITE))]
Paging = Annotated[PageParams, Depends(page_params)]


@router.post("/items", response_model=ItemOut, status_code=status.HTTP_201_CREATED)
def create_item(body: ItemCreate, session: SessionDep, who: Writer) -> ItemOut:
    """An item of the shop (409 `sku_taken` for a sku in use); its regular price is the
    first entry of its price history."""
    return service.create_item(session, shop_id=who.shop_id, body=body)


@router.get("/items", response_model=Page[ItemOut])
def list_items(session: SessionDep, who: Reader, params: Paging) -> Page[ItemOut]:
    return service.list_items(session, params, shop_id=who.shop_id)


@router.get("/items/{item_id}", response_model=ItemOut)
def get_item(item_id: ItemIdPath, session: SessionDep, who: Reader) -> ItemOut:
    return service.get_item(session, shop_id=who.shop_id, item_id=item_id)


@router.patch("/items/{item_id}", response_model=ItemOut)
def update_item(item_id: ItemIdPath, body: ItemUpdate, session: SessionDep, who: Writer) -> ItemOut:
    """Rename, or change the regular price (recorded in the history)."""
    return service.update_item(session, shop_id=who.shop_id, item_id=item_id, patch=body)


@router.post(
    "/items/{item_id}/prices", response_model=PriceOut, status_code=status.HTTP_201_CREATED
)
def record_price(item_id: ItemIdPath, body: PriceIn, session: SessionDep, who: Writer) -> PriceOut:
    """Record a price the item has now (a sale, a shelf price), timed by the server: a
    history cannot be written in the past."""
    return service.record_price(
        session, shop_id=who.shop_id, item_id=item_id, price_cents=body.price_cents
    )


@router.get("/items/{item_id}/prices", response_model=Page[PriceOut])
def price_history(
    item_id: ItemIdPath, session: SessionDep, who: Reader, params: Paging
) -> Page[PriceOut]:
    """Every price recorded for the item, newest first, with where it came from."""
    return service.price_history(session, params, shop_id=who.shop_id, item_id=item_id)
