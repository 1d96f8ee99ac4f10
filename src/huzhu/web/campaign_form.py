"""The console's campaign form: which fields each kind shows, parsing what a person typed
(yuan with up to two decimals, UTC times) into the API's create body, and putting the
engine's refusals back next to the field they name.

The form's field names are the API's (`price_cents`, `prizes.0.value_cents` shown as
`prize_value_0`), so a refusal from `campaigns.service` — the same one the API gives —
lands next to the input it is about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import TypeAdapter, ValidationError

from huzhu.campaigns.rules import validation
from huzhu.campaigns.schemas import CampaignCreate
from huzhu.errors import validation_errors
from huzhu.kit.money import format_cny
from huzhu.web import words

Translate = Callable[[str], str]

KINDS = ("bargain", "groupbuy", "lottery", "unlock")
CHANNELS = ("web", "own_app", "wechat_miniprogram", "wechat_web", "qr_offline")
PRIZE_ROWS = 3
_adapter: TypeAdapter[Any] = TypeAdapter(CampaignCreate)


def _(message: str) -> str:
    return message  # a msgid, translated in the template


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str  # msgid
    type: str  # text | textarea | yuan | int | select | datetime | item (the shop's items)
    required: bool = True
    hint: str | None = None  # msgid
    options: tuple[str, ...] = ()


COMMON: tuple[FormField, ...] = (
    FormField("name", _("Name"), "text"),
    FormField("description", _("Description"), "textarea", required=False),
    FormField(
        "channel",
        _("Where it is shared"),
        "select",
        options=CHANNELS,
        hint=_("The engine refuses what the channel's rules forbid."),
    ),
    FormField("budget_cents", _("Subsidy budget (¥)"), "yuan", hint=_("Never exceeded.")),
    FormField("inventory_total", _("Inventory (units)"), "int", hint=_("Never exceeded.")),
)

# A price cut's item and reference price: the claim "was ¥X" is checked against the
# item's price history (campaigns.service.check_reference_price).
PRICED: tuple[FormField, ...] = (
    FormField(
        "item_id",
        _("Item"),
        "item",
        required=False,
        hint=_("The item sold. Its prices are recorded, and this campaign's price joins them."),
    ),
    FormField(
        "reference_price_cents",
        _("Reference price (¥)"),
        "yuan",
        required=False,
        hint=_(
            'The "was" price shown beside the price; the price itself when left empty. With '
            "an item, it may be at most the item's lowest price recorded in the days before "
            "launch."
        ),
    ),
)

BY_KIND: dict[str, tuple[FormField, ...]] = {
    "bargain": (
        FormField("price_cents", _("Price (¥)"), "yuan"),
        FormField("floor_cents", _("Floor price (¥)"), "yuan"),
        FormField(
            "max_helpers",
            _("Most helpers needed"),
            "int",
            hint=_("The cuts reach the floor within this many assists."),
        ),
        FormField(
            "split", _("How cuts are drawn"), "select", options=("double_mean", "front_loaded")
        ),
        *PRICED,
    ),
    "groupbuy": (
        FormField("team_size", _("Team size"), "int"),
        FormField("price_cents", _("Price (¥)"), "yuan"),
        FormField("group_price_cents", _("Group price (¥)"), "yuan"),
        *PRICED,
    ),
    "lottery": (
        FormField("draw_at", _("Draw time (UTC)"), "datetime"),
        FormField("entry_cap", _("Most entries per participant"), "int"),
        FormField("base_entries", _("Entries for starting"), "int"),
    ),
    "unlock": (
        FormField("helpers_needed", _("Assists needed"), "int"),
        FormField("reward_cents", _("Reward value (¥)"), "yuan"),
        FormField("reward_name", _("Reward"), "text", required=False),
    ),
}


def fields_of(kind: str) -> tuple[FormField, ...]:
    return COMMON + BY_KIND[kind]


def parse_yuan(text: str) -> int:
    """'199', '199.5', '199.50' → cents, exactly (Decimal, never float)."""
    value = Decimal(text.replace(",", "").replace("¥", "").strip())
    if value != value.quantize(Decimal("0.01")) or value < 0:
        raise InvalidOperation
    return int(value * 100)


def parse(kind: str, data: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """(create body, field errors of what could not even be read)."""
    body: dict[str, Any] = {"kind": kind}
    errors: dict[str, str] = {}
    for field in fields_of(kind):
        raw = data.get(field.name, "").strip()
        if not raw:
            if field.required:
                errors[field.name] = "required"
            continue
        try:
            body[field.name] = _convert(field.type, raw)
        except (InvalidOperation, ValueError):
            errors[field.name] = _bad_value(field.type)
    if kind == "lottery":
        body["prizes"] = _prizes(data, errors)
    return body, errors


def _convert(kind: str, raw: str) -> Any:
    if kind == "yuan":
        return parse_yuan(raw)
    if kind in ("int", "item"):
        return int(raw)
    if kind == "datetime":
        value = datetime.fromisoformat(raw)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return raw


def _bad_value(kind: str) -> str:
    """A code the template translates (see `error_text` in _macros.html)."""
    codes = {"yuan": "bad_yuan", "int": "bad_int", "datetime": "bad_datetime", "item": "bad_choice"}
    return codes.get(kind, "bad_value")


def _prizes(data: dict[str, str], errors: dict[str, str]) -> list[dict[str, Any]]:
    prizes: list[dict[str, Any]] = []
    for i in range(PRIZE_ROWS):
        name = data.get(f"prize_name_{i}", "").strip()
        value = data.get(f"prize_value_{i}", "").strip()
        quantity = data.get(f"prize_quantity_{i}", "").strip()
        if not (name or value or quantity):
            continue
        row: dict[str, Any] = {"name": name}
        try:
            row["value_cents"] = parse_yuan(value)
        except InvalidOperation:
            errors[f"prize_value_{i}"] = _bad_value("yuan")
        try:
            row["quantity"] = int(quantity)
        except ValueError:
            errors[f"prize_quantity_{i}"] = _bad_value("int")
        prizes.append(row)
    return prizes


def form_field(path: str) -> str:
    """The form input an engine error path names (`prizes.1.value_cents` → prize_value_1)."""
    parts = path.split(".")
    if parts[0] == "prizes":
        if len(parts) >= 3:
            column = {"value_cents": "value", "quantity": "quantity"}.get(parts[2], "name")
            return f"prize_{column}_{parts[1]}"
        return "prize_name_0"
    return parts[0]


def validate(body: dict[str, Any]) -> tuple[Any | None, list[dict[str, Any]]]:
    """The typed create body, or the schema's errors (as a problem's `errors` items,
    each with the check that failed as its code)."""
    try:
        return _adapter.validate_python(body), []
    except ValidationError as exc:
        # Drop the union's tag ("bargain.") so fields are named as the form names them.
        raw = [{**e, "loc": e["loc"][1:]} for e in exc.errors()]
        found = validation_errors(raw)
        return None, [
            {**item, "code": f"schema:{e['type']}", "params": _context(e.get("ctx"))}
            for item, e in zip(found, raw, strict=True)
        ]


def _context(ctx: object) -> dict[str, Any]:
    return dict(ctx) if isinstance(ctx, dict) else {}


# The schema's checks the form can fail, in words (pydantic's error types).
SCHEMA_CHECKS: dict[str, str] = {
    "schema:greater_than_equal": _("Enter at least %(ge)s."),
    "schema:greater_than": _("Enter more than %(gt)s."),
    "schema:less_than_equal": _("Enter at most %(le)s."),
    "schema:less_than": _("Enter less than %(lt)s."),
    "schema:string_too_long": _("Too long: at most %(max_length)s characters."),
    "schema:string_too_short": _("Too short: at least %(min_length)s characters."),
    "schema:too_long": _("Too many: at most %(max_length)s."),
    "schema:too_short": _("Too few: at least %(min_length)s."),
    "schema:missing": _("Required."),
    "schema:literal_error": _("Choose from the options shown."),
    "schema:int_parsing": _("Enter a whole number."),
    "schema:int_type": _("Enter a whole number."),
    "schema:extra_forbidden": _("This form does not take this field."),
}
SCHEMA_OTHER = _("Check this value.")


def by_field(found: list[dict[str, Any]], translate: Translate) -> dict[str, str]:
    """A refused config's errors by form field, each in the page's language: a refusal
    by its code and parameters (campaigns.rules.validation.MESSAGES), a schema check by
    its kind; anything else reads as the engine said it."""
    errors: dict[str, str] = {}
    for item in found:
        errors.setdefault(form_field(str(item["field"])), worded(item, translate))
    return errors


def worded(item: dict[str, Any], translate: Translate) -> str:
    code, params = str(item.get("code") or ""), dict(item.get("params") or {})
    message = validation.MESSAGES.get(code) or SCHEMA_CHECKS.get(code)
    if message is None and code.startswith("schema:"):
        message = SCHEMA_OTHER
    if message is None:
        return str(item.get("message") or "")
    if "kind" in params:  # a campaign's kind, said in words
        params["kind"] = words.word(translate, "campaign_kind", params["kind"])
    try:
        return validation.fill(translate(message), params, money=format_cny)
    except (KeyError, TypeError, ValueError):  # a parameter the message names is missing
        return str(item.get("message") or "")


def values_for_form(data: dict[str, str]) -> dict[str, str]:
    """What the person typed, to fill the form again after a refusal."""
    return {k: v for k, v in data.items() if k != "csrf_token"}
