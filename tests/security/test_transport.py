"""Headers on every page, caching of signed-in pages, logout, and the deployment check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.test import Client
from tests.support import World, make_user


def test_every_page_sends_a_strict_content_security_policy(db: object) -> None:
    response = Client().get("/admin/login/")
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_signed_in_pages_are_never_cached(world: World) -> None:
    user = make_user("cache-test", "analyst", staff=True)
    client = Client()
    client.force_login(user)
    response = client.get("/admin/registry/person/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_logout_clears_site_data(world: World) -> None:
    user = make_user("logout-test", "analyst", staff=True)
    client = Client()
    client.force_login(user)
    response = client.post("/admin/logout/")
    assert '"cookies"' in response["Clear-Site-Data"] and '"storage"' in response["Clear-Site-Data"]
    assert client.get("/admin/registry/person/").status_code == 302


def test_production_settings_pass_the_deployment_check(tmp_path: Path) -> None:
    from detente.keys.master import encode

    env = {
        **os.environ,
        "DETENTE_DATA_DIR": str(tmp_path),
        "DETENTE_PRODUCTION": "1",
        "DETENTE_ALLOWED_HOSTS": "detente.example.org",
        "DETENTE_PUBLIC_URL": "https://detente.example.org",
        "DETENTE_MASTER_KEY": encode(os.urandom(32)),  # docs/keys.md
    }
    env.pop("DETENTE_DEBUG", None)
    check = [sys.executable, "-m", "detente.cli", "check", "--deploy", "--fail-level", "WARNING"]
    run = subprocess.run(check, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues" in run.stdout
    # Without a master key nothing starts in production (none is made there on its own).
    nowhere = str(tmp_path.parent / f"{tmp_path.name}-no-master-key")
    missing = {**env, "DETENTE_MASTER_KEY": "", "DETENTE_MASTER_KEY_FILE": nowhere}
    run = subprocess.run(check, env=missing, capture_output=True, text=True, check=False)  # noqa: S603
    assert run.returncode != 0 and "detente.E301" in run.stdout + run.stderr
    # Without the public address, links in emails would lead nowhere: the check says so.
    env.pop("DETENTE_PUBLIC_URL")
    run = subprocess.run(check, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert run.returncode != 0 and "mailing.E001" in run.stdout + run.stderr


def test_admin_views_of_names_are_recorded_with_the_request_id(world: World) -> None:
    from detente.audit.models import AuditEntry

    user = make_user("reader", "analyst", staff=True)
    client = Client()
    client.force_login(user)
    response = client.get("/admin/registry/person/", headers={"X-Request-ID": "req-12345678"})
    assert response["X-Request-ID"] == "req-12345678"
    entry = AuditEntry.objects.filter(kind="access").order_by("-position").first()
    assert entry is not None and entry.actor_label == "reader"
    assert entry.request_id == "req-12345678"
    assert set(entry.payload["people"]) == {p.handle for p in world.people}
    # A malformed id from outside is replaced, never stored.
    response = client.get("/admin/registry/person/", headers={"X-Request-ID": "<script>"})
    assert response["X-Request-ID"] != "<script>" and len(response["X-Request-ID"]) == 32


def test_forwarded_addresses_are_believed_only_from_named_proxies(settings: object) -> None:
    from django.http import HttpResponse
    from django.test import RequestFactory

    from detente.core.security import TrustedProxyMiddleware

    seen: list[str] = []

    def app(request: object) -> HttpResponse:
        seen.append(request.META["REMOTE_ADDR"])  # type: ignore[attr-defined]
        return HttpResponse()

    settings.DETENTE_TRUSTED_PROXIES = ["10.0.0.5"]  # type: ignore[attr-defined]
    middleware = TrustedProxyMiddleware(app)
    factory = RequestFactory()
    spoofed = "6.6.6.6, 203.0.113.7"  # the client sent the first part itself
    middleware(factory.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=spoofed))
    middleware(factory.get("/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR=spoofed))
    assert seen == ["203.0.113.7", "198.51.100.9"]
