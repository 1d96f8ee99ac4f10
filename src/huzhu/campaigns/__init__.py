"""Campaigns: definitions of the four kinds, validated configs, frozen rule versions,
channel profiles, budgets and inventory with reservations.

Invariants: budget_reserved + budget_spent <= budget and inventory_reserved +
inventory_used <= inventory_total at all times (CHECK constraints back the conditional
UPDATEs); a live campaign's edit makes a new version and never changes the terms an
existing instance started under; deceptive configs are refused, naming the field.
"""
