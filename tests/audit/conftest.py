"""The assists tests' world (a shop with its owner, campaigns, people) and its app."""

from tests.assists.conftest import client, world

__all__ = ["client", "world"]
