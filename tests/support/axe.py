"""axe-core, the accessibility engine the browser tests run on every page they visit.

A test-only file: pinned like the app's own front-end files (huzhu.web.vendor: the npm
tarball's sha512 integrity and the file's SHA-256), fetched by `make install-dev`
(`python -m tests.support.axe`) or by the browser harness on first use into the
git-ignored var/test-vendor/, never committed and never loaded from a CDN. Fetching
needs the registry once; a present file with its pinned hash costs no request.

    python -m tests.support.axe [--registry URL]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from huzhu.web.vendor import VendorFile

ROOT = Path(__file__).resolve().parents[2]
TEST_VENDOR_DIR = ROOT / "var" / "test-vendor"


@dataclass(frozen=True, slots=True)
class TestVendorFile(VendorFile):
    """A pinned file the tests use and the app never serves: it lives outside static/."""

    @property
    def path(self) -> Path:
        return TEST_VENDOR_DIR / self.name


# axe-core (MPL-2.0), the minified build: defines `window.axe`.
AXE_CORE = TestVendorFile(
    package="axe-core",
    version="4.14.1",
    tarball="https://registry.npmjs.org/axe-core/-/axe-core-4.14.1.tgz",
    integrity="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
    member="package/axe.min.js",
    sha256="29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c",
    name="axe-core-4.14.1.min.js",
)


def fetch_vendor_script() -> ModuleType:
    """scripts/fetch_vendor.py, the one fetcher that checks a tarball against its pin."""
    spec = importlib.util.spec_from_file_location("fetch_vendor", ROOT / "scripts/fetch_vendor.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ensure(*, registry: str | None = None) -> str:
    """The pinned axe-core source: fetched (and checked) when absent, read otherwise."""
    fetcher = fetch_vendor_script()
    outcome = fetcher.install(AXE_CORE, registry=registry or fetcher.NPM_REGISTRY)
    if outcome != "present" and not AXE_CORE.path.is_file():
        raise RuntimeError(f"axe-core was not written to {AXE_CORE.path}")
    source = AXE_CORE.path.read_text(encoding="utf-8")
    if fetcher.sha256_of(source.encode("utf-8")) != AXE_CORE.sha256:
        raise RuntimeError(f"{AXE_CORE.path} does not match its pinned SHA-256")
    return source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registry", default=None, help="npm registry (or a mirror)")
    args = parser.parse_args(argv)
    try:
        ensure(registry=args.registry)
    except Exception as exc:  # a CLI: say why, exit non-zero
        print(f"axe-core: could not fetch {AXE_CORE.version}: {exc}", file=sys.stderr)
        return 1
    print(f"axe-core {AXE_CORE.version}: {AXE_CORE.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
