"""The pinned front-end files (huzhu.web.vendor) and scripts/fetch_vendor.py, run against
a registry stand-in on a loopback port: a tarball is written out only when it matches
its pinned sha512 integrity, a present file costs no request, an unreachable registry
leaves the app without the file (and fails only with --strict)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from huzhu.web import vendor
from tests.support.axe import fetch_vendor_script

fetch_vendor = fetch_vendor_script()


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


@pytest.fixture
def registry() -> Iterator[tuple[str, dict[str, bytes], list[str]]]:
    """A registry stand-in: serves `files` by path, records every path asked for."""
    files: dict[str, bytes] = {}
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", files, asked
    finally:
        server.shutdown()
        server.server_close()


def _pinned(tarball: bytes, content: bytes, **changes: str) -> vendor.VendorFile:
    return dataclasses.replace(
        vendor.WEIXIN_JS_SDK,
        tarball="https://registry.npmjs.org/demo-sdk/-/demo-sdk-1.0.0.tgz",
        integrity=_sri(tarball),
        sha256=hashlib.sha256(content).hexdigest(),
        name="demo-sdk-1.0.0.js",
        **changes,
    )


def test_a_matching_tarball_is_unpacked_and_a_present_file_is_not_fetched_again(
    registry: tuple[str, dict[str, bytes], list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, files, asked = registry
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path / "vendor")
    content = b"module.exports = 42;\n"
    tarball = _tarball({"package/index.js": content, "package/README.md": b"x"})
    files["/demo-sdk/-/demo-sdk-1.0.0.tgz"] = tarball
    pinned = _pinned(tarball, content)
    assert fetch_vendor.install(pinned, registry=url) == "fetched"
    assert pinned.path.read_bytes() == content
    assert sorted(p.name for p in pinned.path.parent.iterdir()) == ["demo-sdk-1.0.0.js"]
    assert fetch_vendor.install(pinned, registry=url) == "present"
    assert asked == ["/demo-sdk/-/demo-sdk-1.0.0.tgz"]
    pinned.path.write_bytes(b"changed by hand")  # a damaged copy is fetched again
    assert fetch_vendor.install(pinned, registry=url) == "fetched"
    assert pinned.path.read_bytes() == content


def test_a_tarball_that_does_not_match_its_pin_writes_nothing(
    registry: tuple[str, dict[str, bytes], list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, files, _ = registry
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path / "vendor")
    content = b"module.exports = 42;\n"
    genuine = _tarball({"package/index.js": content})
    files["/demo-sdk/-/demo-sdk-1.0.0.tgz"] = _tarball({"package/index.js": b"evil();\n"})
    pinned = _pinned(genuine, content)
    with pytest.raises(fetch_vendor.IntegrityError, match="integrity"):
        fetch_vendor.install(pinned, registry=url)
    assert not pinned.path.exists()
    # The tarball matches but lacks the file the pin names.
    files["/demo-sdk/-/demo-sdk-1.0.0.tgz"] = genuine
    with pytest.raises(fetch_vendor.IntegrityError, match="not in the tarball"):
        fetch_vendor.install(dataclasses.replace(pinned, member="package/dist.js"), registry=url)
    assert not pinned.path.exists()


def test_an_unreachable_registry_is_a_warning_unless_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path / "vendor")
    closed = "http://127.0.0.1:9"  # discard port: nothing listens
    assert fetch_vendor.main(["--registry", closed]) == 0
    assert "could not fetch weixin-js-sdk@1.6.5" in capsys.readouterr().err
    assert fetch_vendor.main(["--registry", closed, "--strict"]) == 1
    assert not vendor.WEIXIN_JS_SDK.path.exists()


def test_the_pinned_sdk_is_the_registrys_tarball_and_the_installed_copy_matches() -> None:
    pin = vendor.WEIXIN_JS_SDK
    assert pin.tarball == "https://registry.npmjs.org/weixin-js-sdk/-/weixin-js-sdk-1.6.5.tgz"
    assert pin.integrity.startswith("sha512-")
    assert pin.url == "/static/web/vendor/weixin-js-sdk-1.6.5.js"
    if pin.present():  # make install fetched it
        assert hashlib.sha256(pin.path.read_bytes()).hexdigest() == pin.sha256
