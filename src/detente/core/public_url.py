"""The site's public address (``DETENTE_PUBLIC_URL``): the one links in emails and
invitations use. Checked by ``detente serve`` and ``detente db_worker`` at start and by
``detente check --deploy`` (``detente.mailing.checks``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

PUBLIC_URL_VARIABLE = "DETENTE_PUBLIC_URL"
PUBLIC_URL_EXAMPLE = "https://detente.example.org"
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})  # noqa: S104 - names


@dataclass(frozen=True)
class UrlProblems:
    """What is wrong with ``DETENTE_PUBLIC_URL``: errors stop a production start."""

    errors: list[str]
    warnings: list[str]


def public_url_problems(value: str | None, *, production: bool) -> UrlProblems:
    """Check the site's public address, the one links in emails and invitations use.

    Anywhere: it must be an http(s) address with a host and nothing after the path. In
    production (``DETENTE_PRODUCTION=1``) it must also be set, use https and not name this
    machine's loopback address: links mailed to the public that point at 127.0.0.1 or at
    nowhere are links nobody can follow. Messages are English (an operator's console).
    """
    errors: list[str] = []
    warnings: list[str] = []
    given = (value or "").strip()
    if not given:
        if production:
            errors.append(
                f"{PUBLIC_URL_VARIABLE} is not set: links in emails and invitations would "
                "point to the address this server listens on, which people outside cannot "
                f"open. Set it to the site's public address, e.g. {PUBLIC_URL_EXAMPLE} "
                "(docs/operations.md)."
            )
        return UrlProblems(errors, warnings)
    try:
        parts = urlsplit(given)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = urlsplit(""), False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        errors.append(
            f"{PUBLIC_URL_VARIABLE}={given!r} is not a web address: it must start with "
            f"https:// (or http://) and name the host, e.g. {PUBLIC_URL_EXAMPLE}."
        )
    elif parts.query or parts.fragment or parts.username or parts.password:
        errors.append(
            f"{PUBLIC_URL_VARIABLE}={given!r} must be the site's address alone (no "
            f"user, query or fragment), e.g. {PUBLIC_URL_EXAMPLE}."
        )
    elif production:
        if parts.hostname in LOOPBACK:
            errors.append(
                f"{PUBLIC_URL_VARIABLE}={given!r} names this machine: links mailed to "
                f"people would lead nowhere. Set the site's public address, e.g. "
                f"{PUBLIC_URL_EXAMPLE}."
            )
        elif parts.scheme != "https":
            warnings.append(
                f"{PUBLIC_URL_VARIABLE}={given!r} is not https: links in emails would "
                "travel in clear before the redirect to https."
            )
    return UrlProblems(errors, warnings)
