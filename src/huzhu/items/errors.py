"""Errors of the items domain."""

from huzhu.errors import Conflict, NotFound


class ItemNotFound(NotFound):
    code = "item_not_found"
    title = "No such item"


class SkuTaken(Conflict):
    code = "sku_taken"
    title = "Another item of this shop has this sku"
