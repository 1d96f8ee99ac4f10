"""The assists domain's states: what is stored and what the API documents agree."""

from __future__ import annotations

from typing import get_args

from huzhu.assists import schemas
from huzhu.assists.rules import AssistStatus, InstanceStatus


def test_the_api_documents_every_instance_status_the_engine_stores() -> None:
    assert set(get_args(schemas.InstanceStatus)) == {s.value for s in InstanceStatus}


def test_an_assist_answer_is_counted_or_held_never_voided() -> None:
    answered = set(get_args(schemas.AssistGiven.model_fields["status"].annotation))
    assert answered == {AssistStatus.COUNTED.value, AssistStatus.HELD.value}
