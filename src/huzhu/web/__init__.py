"""Participant pages and the operator console, server-rendered in Simplified Chinese and
English (Jinja2 + gettext catalogs), with our own small CSS and script and nothing
loaded from elsewhere.

Page routes call domain services only, never queries (STYLE.md), and each request's
work runs in one unit of work. Errors from services become an HTML error page with the
same status and code the API would give.
"""
