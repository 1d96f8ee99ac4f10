"""The report: the figures as JSON, and as one self-contained HTML page a shop can read.

The page carries everything it needs: its styles, the figures, and Chart.js's own file
(vendored from npm, huzhu.web.vendor.CHART_JS) inlined, so it opens from a mail or a
USB stick with no network. Without the vendored file it says the charts are missing and
still shows every table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from huzhu.simulate.figures import Figures
from huzhu.web.vendor import CHART_JS

TEMPLATES = Path(__file__).parent / "templates"

# The bars in the shop's other language, beside the English the figures carry.
BARS_ZH = {
    "fake assists counted ≤ 5% of attempted": "计入的虚假助力 ≤ 尝试的 5%",
    "every farm ring confirmed within one simulated day": "每个刷单团伙在一个模拟日内被确认",
    "honest assists held ≤ 1%": "被暂扣的诚实助力 ≤ 1%",
    "honest assists voided ≤ 0.1%": "被作废的诚实助力 ≤ 0.1%",
    "no honest person restricted": "没有诚实用户被限制",
    "nobody receives an invite their preferences refuse": "没有人收到其偏好拒绝的邀请",
    "nobody commits money past their caps": "没有人的花费超过其上限",
}


def figures_json(figures: Figures) -> str:
    """Stable text: the same run gives the same bytes."""
    return json.dumps(figures.to_json(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def chart_script() -> str | None:
    if not CHART_JS.present():
        return None
    # Inside <script>, a "</" would end the element early; JavaScript reads "<\/" alike.
    return CHART_JS.path.read_text(encoding="utf-8").replace("</", "<\\/")


def render_html(figures: Figures, *, description: str = "") -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        keep_trailing_newline=True,
    )
    data: dict[str, Any] = figures.to_json()
    return env.get_template("report.html.j2").render(
        f=figures,
        description=description,
        bars_zh=BARS_ZH,
        chart_js=chart_script(),
        chart_version=CHART_JS.version,
        # Data for the charts, as JSON inside a <script type="application/json">.
        data_json=json.dumps(data, ensure_ascii=False).replace("</", "<\\/"),
    )


def write_report(figures: Figures, html_path: Path, *, description: str = "") -> Path:
    """Write the HTML report and its JSON beside it (same name, .json); the JSON's path."""
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(render_html(figures, description=description), encoding="utf-8")
    json_path = html_path.with_suffix(".json")
    json_path.write_text(figures_json(figures), encoding="utf-8")
    return json_path
