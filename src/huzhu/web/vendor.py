"""Front-end files we use but do not write: pinned here, fetched from their package
registry by `make install` (scripts/fetch_vendor.py), never pasted into the repository
and never loaded from a CDN at run time.

A file lands in `static/vendor/` (git-ignored) only after the whole tarball matched its
pinned Subresource-Integrity hash (`dist.integrity` of the registry's metadata, read
once and written down here). A page links a vendored file only while it is present, so
the app runs the same without it — the pages that would use it just do without.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

VENDOR_DIR = Path(__file__).parent / "static" / "vendor"
STATIC_URL = "/static/web/vendor/"


@dataclass(frozen=True, slots=True)
class VendorFile:
    package: str
    version: str
    tarball: str  # the registry's dist.tarball
    integrity: str  # the registry's dist.integrity (sha512, base64) of the tarball
    member: str  # the file inside the tarball
    sha256: str  # of that file, so a present copy is checked without the network
    name: str  # its name under static/vendor/

    @property
    def path(self) -> Path:
        return VENDOR_DIR / self.name

    @property
    def url(self) -> str:
        return STATIC_URL + self.name

    def present(self) -> bool:
        return self.path.is_file()


# WeChat's official JS-SDK (jweixin 1.6.0) as published on npm: a CommonJS module
# (`module.exports = wx`), so the page provides `module` before it (static/wechat-share.js).
WEIXIN_JS_SDK = VendorFile(
    package="weixin-js-sdk",
    version="1.6.5",
    tarball="https://registry.npmjs.org/weixin-js-sdk/-/weixin-js-sdk-1.6.5.tgz",
    integrity="sha512-Gph1WAWB2YN/lMOFB/ymb+hbU/wYazzJgu6PMMktCy9cSCeW5wA6Zwt0dpahJbJ+RJEwtTv2x9iIu0U4enuVSQ==",
    member="package/index.js",
    sha256="dbb0451e1b72d7c2c18095ffd1950d6de464413ce8d343eff8b82865b983ab97",
    name="weixin-js-sdk-1.6.5.js",
)

# Chart.js (MIT), the UMD build: defines `window.Chart`. The console's live dashboard
# draws its charts with it, and `huzhu simulate` inlines it into its self-contained report.
CHART_JS = VendorFile(
    package="chart.js",
    version="4.6.2",
    tarball="https://registry.npmjs.org/chart.js/-/chart.js-4.6.2.tgz",
    integrity="sha512-xachB+pPHjp0syJi7llUBA1w3kMYl6NF3o7eVrvjnWCT+IB2zMaF2pX5UYDiwbbfsioFEIRnAjreNOMsGj5TIA==",
    member="package/dist/chart.umd.min.js",
    sha256="3f288f4f26882c26b58931fb586a9b4f30370b5de38d69dc005b0bd05b08e113",
    name="chart.js-4.6.2.umd.min.js",
)

FILES: tuple[VendorFile, ...] = (WEIXIN_JS_SDK, CHART_JS)
