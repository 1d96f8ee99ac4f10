"""`huzhu` — serve, migrate, demo, verify-draw, verify-cuts, audit verify and friends."""

from __future__ import annotations

import typer

from huzhu.cli import (
    audit,
    check,
    demo,
    detect,
    keys,
    migrate,
    serve,
    shop,
    simulate,
    verify_cuts,
    verify_draw,
    worker,
)
from huzhu.wiring import wire

app = typer.Typer(
    name="huzhu",
    help="Huzhu (互助): social assist campaigns without spam, fake assists or over-spending.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _wired() -> None:
    # Before any command: domains plugged into each other's extension points, as in
    # create_app (wiring.py). Help comes from the Typer above, not from here.
    wire()


app.command("check")(check.check)
app.command("serve")(serve.serve)
app.command("migrate")(migrate.migrate)
app.command("demo")(demo.demo)
app.command("worker")(worker.worker)
app.command("verify-draw")(verify_draw.verify_draw)
app.command("verify-cuts")(verify_cuts.verify_cuts)
app.command("keys")(keys.keys)
app.add_typer(shop.app, name="shop")
app.add_typer(detect.app, name="detect")
app.add_typer(audit.app, name="audit")
app.add_typer(simulate.app, name="simulate")


if __name__ == "__main__":  # pragma: no cover
    app()
