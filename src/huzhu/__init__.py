"""Huzhu (互助): an engine for social assist campaigns.

The package is laid out by domain (see STYLE.md). `create_app` in `huzhu.app` wires the
web service; `huzhu.cli.main` is the `huzhu` command.
"""

__version__ = "0.1.0"
