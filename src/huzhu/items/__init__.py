"""Items: a shop's items (sku, name, the shop's regular price) and their price history —
what a reference price ("was ¥X") is checked against.

Invariants: a price observation is appended, never changed or deleted, and is timed by
the engine's clock when it is recorded (no caller may date one in the past: a history a
shop could backfill would prove nothing); a sku names one item per shop; every price is
integer cents above zero. Observations come from three sources (`rules.PriceSource`):
the item's regular price when it is set, a price recorded over the API, and the price of
every campaign naming the item when it is created, edited and launched.
"""
