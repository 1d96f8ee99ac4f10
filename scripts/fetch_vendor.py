"""Fetch the pinned front-end files (huzhu.web.vendor) from the npm registry into the
git-ignored src/huzhu/web/static/vendor/, checking each tarball against its pinned
sha512 integrity before anything is written. Run by `make install`; Python's urllib
only, because npm is not promised on a fresh machine.

    python scripts/fetch_vendor.py [--strict] [--registry URL]

A file already present with its pinned SHA-256 is left alone (no network). A tarball
that does not match its pin is an error (exit 1) and nothing is written. An unreachable
registry is a warning (exit 0; --strict makes it an error): the app runs without these
files, and the pages that use one (WeChat share data) leave it out until it is fetched.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import io
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from huzhu.web.vendor import FILES, VendorFile

NPM_REGISTRY = "https://registry.npmjs.org"
TIMEOUT_SECONDS = 60


class IntegrityError(Exception):
    pass


def sri_matches(integrity: str, data: bytes) -> bool:
    """Subresource Integrity as npm writes it: `sha512-<base64 digest>`."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512" or not expected:
        raise IntegrityError(f"unsupported integrity {integrity!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    return hmac.compare_digest(actual, expected)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def member_of(tarball: bytes, name: str) -> bytes:
    """One regular file out of the tarball, by name: nothing else is extracted, so a
    crafted archive cannot write outside the vendor folder."""
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        try:
            info = archive.getmember(name)
        except KeyError as exc:
            raise IntegrityError(f"{name} is not in the tarball") from exc
        handle = archive.extractfile(info) if info.isfile() else None
        if handle is None:
            raise IntegrityError(f"{name} is not a regular file in the tarball")
        return handle.read()


def fetch(url: str) -> bytes:
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise IntegrityError(f"{url} is not an http(s) URL")
    request = urllib.request.Request(url, headers={"User-Agent": "huzhu-fetch-vendor"})  # noqa: S310  (scheme checked)
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        data: bytes = response.read()
        return data


def install(file: VendorFile, *, registry: str) -> str:
    if file.present() and sha256_of(file.path.read_bytes()) == file.sha256:
        return "present"
    url = file.tarball.replace(NPM_REGISTRY, registry.rstrip("/"), 1)
    tarball = fetch(url)
    if not sri_matches(file.integrity, tarball):
        raise IntegrityError(f"{url} does not match its pinned integrity {file.integrity}")
    content = member_of(tarball, file.member)
    if sha256_of(content) != file.sha256:
        raise IntegrityError(f"{file.member} of {url} does not match its pinned SHA-256")
    file.path.parent.mkdir(parents=True, exist_ok=True)
    partial = file.path.with_suffix(file.path.suffix + ".partial")
    partial.write_bytes(content)
    partial.replace(file.path)
    return "fetched"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="fail when a file cannot be fetched")
    parser.add_argument("--registry", default=NPM_REGISTRY, help="npm registry (or a mirror)")
    args = parser.parse_args(argv)
    status = 0
    for file in FILES:
        label = f"{file.package}@{file.version}"
        try:
            outcome = install(file, registry=args.registry)
        except IntegrityError as exc:
            print(f"fetch_vendor: REFUSED {label}: {exc}", file=sys.stderr)
            status = 1
            continue
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            print(
                f"fetch_vendor: could not fetch {label} ({exc}); the pages run without "
                f"it until `make install` can reach the registry",
                file=sys.stderr,
            )
            status = status or int(args.strict)
            continue
        print(f"fetch_vendor: {label} {outcome}: {file.path}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
