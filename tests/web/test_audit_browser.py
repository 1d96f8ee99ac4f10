"""The owner's audit log in a real Chromium against the demo server: an operator's look
at an instance is there, the filters narrow it, bad filters are told, the CSV and JSON
downloads hold the same selection, and an analyst (whose work it records) has no way in."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from huzhu.seed import (
    DEMO_ANALYST_EMAIL,
    DEMO_ANALYST_PASSWORD,
    DEMO_OWNER_EMAIL,
    DEMO_OWNER_PASSWORD,
)
from tests.web.conftest import Demo, accessibility_problems, operator_sign_in

HAN = re.compile(r"[\u4e00-\u9fff]")


def _download(page: Any, selector: str, folder: Path) -> str:
    with page.expect_download() as caught:
        page.locator(selector).click()
    saved = folder / caught.value.suggested_filename
    caught.value.save_as(saved)
    return saved.read_text(encoding="utf-8-sig")


def test_owner_sees_reads_filters_and_exports_the_log(
    demo: Demo, page_for: Any, tmp_path: Path
) -> None:
    instance_id = demo.instance_of("alice", "bargain")["id"]
    page = page_for("en-US")
    operator_sign_in(page, demo, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    page.goto(f"{demo.url}/console/instances/{instance_id}")
    page.get_by_role("link", name="Audit log").click()
    page.wait_for_url(re.compile(r"/console/audit$"))
    assert accessibility_problems(page) == []

    page.get_by_label("Kind").select_option("assists.read")
    page.get_by_label("Subject id").fill(str(instance_id))
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"kind=assists.read"))
    rows = page.locator("[data-audit] tbody tr")
    assert rows.count() >= 1
    actions = page.locator("[data-audit] [data-action]")
    actors = page.locator("[data-audit] [data-actor]")
    assert {actions.nth(i).get_attribute("data-action") for i in range(rows.count())} == {
        "assists.read"
    }
    # Said in words, not as the stored code, and so is what each entry is about.
    assert set(actions.all_inner_texts()) == {"Helpers of an activity viewed"}
    assert set(page.locator("[data-audit] [data-subject]").all_inner_texts()) == {
        f"A participant's activity #{instance_id}"
    }
    assert all(
        str(actors.nth(i).get_attribute("data-actor")).startswith("operator:")
        for i in range(rows.count())
    )
    assert all(said.startswith("Operator #") for said in actors.all_inner_texts())

    shown = rows.count()
    table = list(csv.DictReader(io.StringIO(_download(page, "[data-export=csv]", tmp_path))))
    assert len(table) == shown
    assert {(r["action"], r["subject_type"], r["subject_id"]) for r in table} == {
        ("assists.read", "instance", str(instance_id))
    }
    assert all(len(r["hash"]) == 64 for r in table)
    document = json.loads(_download(page, "[data-export=json]", tmp_path))
    assert [e["id"] for e in document["entries"]] == [int(r["id"]) for r in table]

    page.get_by_label("About account").fill("not-a-number")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert "account_id" in page.locator("[data-error]").inner_text()
    assert page.locator("[data-audit]").count() == 0


def test_the_log_is_in_chinese_and_closed_to_an_analyst(demo: Demo, page_for: Any) -> None:
    page = page_for("zh-CN")
    operator_sign_in(page, demo, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    page.goto(f"{demo.url}/console/audit")
    assert page.locator("h1").inner_text() == "审计日志"
    # The demo's own steps (campaigns launched, cases opened), each in Chinese words.
    said = page.locator("[data-audit] [data-action]").all_inner_texts()
    assert "上线活动" in said
    assert all(HAN.search(text) and not re.search(r"[a-z]+\.[a-z]+", text) for text in said)
    kinds = page.locator("#f-kind option").all_inner_texts()
    assert "全部" in kinds
    assert "作废一次助力" in kinds
    assert accessibility_problems(page) == []

    analyst = page_for("en-US")
    operator_sign_in(analyst, demo, DEMO_ANALYST_EMAIL, DEMO_ANALYST_PASSWORD)
    assert analyst.get_by_role("link", name="Audit log").count() == 0
    response = analyst.goto(f"{demo.url}/console/audit")
    assert response is not None
    assert response.status == 403
    assert analyst.goto(f"{demo.url}/console/audit.csv").status == 403  # type: ignore[union-attr]
