"""Response fields that carry a credential, and answers kept without them.

A field made with `credential(...)` holds something that lets its bearer act: a sign-in
token, an integrator token, a webhook signing secret, a confirmation token, a share
link's token (and every URL that carries it). Such a value is shown once, to the caller
who asked for it, and never stored raw. The idempotency middleware keeps a replayable
answer for a day: before storing it, `withhold` sets every credential field to null and
lists their names under `withheld`, so a replay tells the truth (the request happened,
this is what it made) without handing the secret to whoever replays the key.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from pydantic import BaseModel, Field

MARK = "x-credential"
WITHHELD = "withheld"
ON_REPLAY = (
    " Null on an idempotent replay (`Idempotent-Replayed: true`): a credential is shown "
    "only once and never stored, and `withheld` names the fields left out."
)


def credential(description: str) -> Any:
    """A response field carrying a credential (see the module docstring)."""
    return Field(description=description + ON_REPLAY, json_schema_extra={MARK: True})


@cache
def credential_fields(model: object) -> tuple[str, ...]:
    """The names, as serialized, of a response model's credential fields (none for
    anything that is not a pydantic model: a list, a plain response)."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return ()
    found = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get(MARK):
            found.append(info.serialization_alias or info.alias or name)
    return tuple(found)


def withhold(body: bytes, fields: tuple[str, ...]) -> bytes:
    """The JSON answer with each credential field set to null and named in `withheld`.
    An answer that is not a JSON object (a problem+json is one, without those fields) is
    returned as it is."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    if not isinstance(document, dict):
        return body
    present = [name for name in fields if document.get(name) is not None]
    if not present:
        return body
    for name in present:
        document[name] = None
    document[WITHHELD] = present
    return orjson.dumps(document)
