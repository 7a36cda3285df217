"""The public pages behind the nginx of deploy/nginx.conf, run for real (its ports and certificate moved into a
temporary folder): pages kept by nginx and revalidated, and the client Tocsin's request limit counts is the one
nginx saw, whatever the client wrote in X-Forwarded-For or Forwarded; a 429 is never kept for another client."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.storage.store import Store
from bot.web.limits import RequestLimit
from tests.e2e.test_public_page import free_port
from tests.services.test_lifecycle import ANNE, CERP, NOW, lifecycle
from tests.services.test_public_pages import ADMIN
from tests.services.test_public_serving import Served, serve

pytestmark = pytest.mark.needs_apt  # nginx

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"


def shipped_config(folder: Path, *, upstream: int, https: int, http: int) -> Path:
    """deploy/nginx.conf with this test's ports, a self-signed certificate and its cache in `folder`."""
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=status.example.org", "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")),
        ],
        check=True,
        capture_output=True,
    )
    text = CONFIG.read_text(encoding="utf-8")
    for shipped, here in (
        ("server 127.0.0.1:8080;", f"server 127.0.0.1:{upstream};"),
        ("listen [::]:80;", ""),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("/etc/letsencrypt/live/status.example.org/fullchain.pem", str(folder / "cert.pem")),
        ("/etc/letsencrypt/live/status.example.org/privkey.pem", str(folder / "key.pem")),
        ("/var/cache/nginx/tocsin", str(folder / "cache")),
    ):
        assert shipped in text, shipped
        text = text.replace(shipped, here)
    (folder / "tocsin.conf").write_text(text, encoding="utf-8")
    main = folder / "nginx.conf"
    temp = " ".join(
        f"{name}_temp_path {folder / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main.write_text(
        # As a daemon: `nginx` returns once its ports listen. As root, its workers reach this test's folder.
        f"user root; pid {folder / 'nginx.pid'}; error_log {folder / 'error.log'};\n"
        f"events {{}}\nhttp {{ access_log off; {temp} include {folder / 'tocsin.conf'}; }}\n",
        encoding="utf-8",
    )
    return main


@pytest.fixture
async def behind_nginx(store: Store, tmp_path: Path) -> AsyncIterator[tuple[Served, str]]:
    limited = serve(store, limit=lambda ticks: RequestLimit(1.0, 2, clock=ticks), trusted=frozenset({"127.0.0.1"}))
    async for served in limited:
        https = free_port()
        main = shipped_config(tmp_path, upstream=int(served.base.rsplit(":", 1)[1]), https=https, http=free_port())
        started = await asyncio.create_subprocess_exec("nginx", "-c", str(main), "-p", str(tmp_path))
        assert await started.wait() == 0, "nginx refused deploy/nginx.conf (its reason is above)"
        try:
            yield served, f"https://127.0.0.1:{https}"
        finally:
            stop = await asyncio.create_subprocess_exec("nginx", "-s", "stop", "-c", str(main), "-p", str(tmp_path))
            await stop.wait()


async def through(url: str, *, source: str = "127.0.0.1", **headers: str) -> tuple[int, str, str]:
    connector = aiohttp.TCPConnector(local_addr=(source, 0), ssl=False)
    async with aiohttp.ClientSession(connector=connector) as session, session.get(url, headers=headers) as response:
        return response.status, response.headers.get("X-Cache-Status", ""), await response.text()


async def test_nginx_keeps_pages_and_tells_tocsin_who_the_client_is(
    store: Store, behind_nginx: tuple[Served, str]
) -> None:
    served, base = behind_nginx
    await served.pages.configure(ADMIN, server_name="Coordination", enabled=True, slug="cerp", default_public=True)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    assert (await through(f"{base}/cerp"))[:2] == (200, "MISS")
    status, cached, body = await through(f"{base}/cerp")
    assert (status, cached) == (200, "HIT") and "Cerp Bretagne" in body
    assert served.presenter.renders == 1

    # The page kept by nginx cost one request of the client's two; what it writes does not make it someone else.
    forged = {"X-Forwarded-For": "198.51.100.7", "Forwarded": "for=198.51.100.8"}
    assert (await through(f"{base}/nope-1", **forged))[0] == 404
    status, _, body = await through(f"{base}/nope-2", **forged)
    assert status == 429 and "Trop de requêtes" in body
    assert (await through(f"{base}/nope-2"))[:2] == (429, "MISS"), "a refusal is never kept"
    assert (await through(f"{base}/nope-2", source="127.0.0.2"))[0] == 404, "another client, its own allowance"
    served.ticks.at += 1.0
    assert (await through(f"{base}/nope-3", **forged))[0] == 404
