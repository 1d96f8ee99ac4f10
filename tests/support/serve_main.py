"""`huzhu serve` for the tests' servers: the CLI's own serve command (same options, same
uvicorn run of the app factory), without importing the CLI's other commands.

`huzhu` (huzhu/cli/main.py) imports every command group, and with them scipy (detect)
and the demo seed: seconds of CPU in the server process and again in each worker that
uvicorn spawns (a spawned worker re-imports the main module). The tests start dozens of
servers; the session's page server (tests/web/conftest.py) still goes through the real
`huzhu` entry point.

    python tests/support/serve_main.py --port 8000 --workers 2 --no-migrate
"""

from __future__ import annotations

import typer

from huzhu.cli.serve import serve

if __name__ == "__main__":
    typer.run(serve)
