"""The items tests share the campaigns tests' app and shop per module and backend."""

from tests.campaigns.conftest import env  # noqa: F401  (the fixture, re-exported)
