"""The console's audit log page, for owners: the shop's entries with filters by kind,
actor, account, subject and date, a page at a time, and the same selection as a CSV or
JSON download. Everything through `audit.service`, with the API's permission
(audit.read, owners only)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from huzhu.accounts.rules import Permission, Principal
from huzhu.audit import service as audit
from huzhu.audit.schemas import AuditFilter
from huzhu.config import Settings
from huzhu.deps import in_one_unit_of_work
from huzhu.errors import Forbidden
from huzhu.kit.export import plain
from huzhu.kit.i18n import N_
from huzhu.pagination import PageParams
from huzhu.web import auth
from huzhu.web.pages import PageRoute, redirect
from huzhu.web.templating import gettext, render

router = APIRouter(prefix="/console", route_class=PageRoute, include_in_schema=False)
PAGE = 50
FILTERS = ("kind", "actor", "account_id", "subject_type", "subject_id", "since", "until")
DAY_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
COLUMNS = (
    "id",
    "seq",
    "created_at",
    "actor",
    "action",
    "subject_type",
    "subject_id",
    "account_id",
    "reason",
    "reason_erased",
    "details",
    "prev_hash",
    "hash",
)
# A cell a spreadsheet would run as a formula (someone's words in a report can start so).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
INVALID = N_("These filters are not valid: %(fields)s")


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _owner(request: Request) -> Principal | None:
    settings = _settings(request)
    principal = await in_one_unit_of_work(request, lambda s: auth.operator(request, s, settings))
    if principal is not None and not auth.may(principal, Permission.AUDIT_READ):
        raise Forbidden(f"role {principal.role.value} lacks {Permission.AUDIT_READ.value}")
    return principal


def _chosen(request: Request) -> dict[str, str]:
    return {k: v.strip() for k in FILTERS if (v := request.query_params.get(k, "")).strip()}


def _filter(chosen: dict[str, str]) -> AuditFilter:
    """The filter the form asks for; a bare day in "until" means through that day."""
    where = AuditFilter.model_validate(chosen)
    if where.until is not None and DAY_ONLY.fullmatch(chosen.get("until", "")):
        try:
            where = where.model_copy(update={"until": where.until + timedelta(days=1)})
        except OverflowError:  # through 9999-12-31: no end at all
            where = where.model_copy(update={"until": None})
    return where


def _invalid(request: Request, exc: ValidationError) -> str:
    fields = sorted({str(e["loc"][0]) for e in exc.errors() if e.get("loc")})
    return gettext(request, INVALID, fields=", ".join(fields))


@router.get("/audit")
async def audit_log(request: Request) -> Response:
    principal = await _owner(request)
    if principal is None:
        return redirect("/console/login", next="/console/audit")
    chosen = _chosen(request)
    viewer = await auth.viewer(request, _settings(request), principal=principal)
    cursor = request.query_params.get("cursor", "")
    try:
        where = _filter(chosen)
        params = PageParams(limit=PAGE, cursor=int(cursor) if cursor.isdigit() else None)
    except ValidationError as exc:
        return render(
            request,
            "console/audit.html",
            status=422,
            viewer=viewer,
            entries=[],
            chosen=chosen,
            error=_invalid(request, exc),
            query="",
            next_cursor=None,
        )
    entries, next_cursor = await in_one_unit_of_work(
        request,
        lambda s: audit.list_entries(s, params, shop_id=principal.shop_id, where=where),
    )
    return render(
        request,
        "console/audit.html",
        viewer=viewer,
        entries=entries,
        chosen=chosen,
        error=None,
        query=urlencode(chosen),
        next_cursor=next_cursor,
    )


def _row(view: audit.AuditView) -> dict[str, Any]:
    return {
        "id": view.id,
        "seq": view.seq,
        "created_at": plain(view.created_at),
        "actor": view.actor,
        "action": view.action,
        "subject_type": view.subject_type,
        "subject_id": view.subject_id,
        "account_id": view.account_id,
        "reason": view.reason,
        "reason_erased": view.reason_erased,
        "details": view.details,
        "prev_hash": view.prev_hash,
        "hash": view.hash,
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in COLUMNS])
    return "\ufeff" + out.getvalue()  # the BOM tells spreadsheet programs it is UTF-8


@router.get("/audit.{fmt}")
async def audit_export(fmt: str, request: Request) -> Response:
    principal = await _owner(request)
    if principal is None:
        return redirect("/console/login", next="/console/audit")
    if fmt not in ("csv", "json"):
        return redirect("/console/audit")
    try:
        where = _filter(_chosen(request))
    except ValidationError as exc:
        return Response(_invalid(request, exc), status_code=422, media_type="text/plain")
    rows = await in_one_unit_of_work(
        request,
        lambda s: [
            _row(v) for v in audit.export_entries(s, shop_id=principal.shop_id, where=where)
        ],
    )
    headers = {
        "Content-Disposition": f'attachment; filename="huzhu-audit-{principal.shop_id}.{fmt}"',
        "Cache-Control": "no-store",
    }
    if fmt == "json":
        body = json.dumps({"entries": rows}, ensure_ascii=False, indent=2)
        return Response(body, media_type="application/json", headers=headers)
    return Response(_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)
