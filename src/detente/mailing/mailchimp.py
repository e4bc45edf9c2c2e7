"""A thin client for the few Mailchimp Marketing API (v3) calls Detente makes.

Our own, on ``urllib``: the official Python client has not had a release since 2022,
and four endpoints do not justify a dependency. Every request goes through
``transport``, which tests replace with recorded responses.

Endpoints used:

- ``GET    /lists/{audience}/members/{hash}`` : read a member
- ``PUT    /lists/{audience}/members/{hash}`` : add or update (``status_if_new``)
- ``PATCH  /lists/{audience}/members/{hash}`` : change status or interests
- ``POST   /lists/{audience}/members/{hash}/actions/delete-permanent`` : erase
- ``POST   /lists/{audience}/interest-categories/{category}/interests`` : one interest
  per mailing list
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Transport = Callable[[str, str, dict[str, str], bytes | None], tuple[int, bytes]]


def member_hash(address: str) -> str:
    """Mailchimp's member id: the MD5 of the lower-cased address (an identifier, not a
    protection: anyone who guesses the address can compute it)."""
    return hashlib.md5(address.strip().lower().encode("utf-8"), usedforsecurity=False).hexdigest()


class MailchimpError(Exception):
    """An API error, with Mailchimp's problem document (title, status, detail)."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(f"Mailchimp {status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail


def urllib_transport(
    method: str, url: str, headers: dict[str, str], body: bytes | None
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - https only
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


@dataclass
class Client:
    api_key: str
    audience: str
    transport: Transport = urllib_transport

    @property
    def base_url(self) -> str:
        # The key ends with its data centre: "…-us21" is served by us21.api.mailchimp.com.
        _key, _sep, dc = self.api_key.rpartition("-")
        if not dc.isalnum():
            raise MailchimpError(0, "Bad API key", "the key does not end with a data centre")
        return f"https://{dc}.api.mailchimp.com/3.0"

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        auth = base64.b64encode(f"detente:{self.api_key}".encode()).decode()
        headers = {"Authorization": f"Basic {auth}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        status, raw = self.transport(method, self.base_url + path, headers, data)
        payload = json.loads(raw) if raw else None
        if status >= 400:
            problem = payload if isinstance(payload, dict) else {}
            raise MailchimpError(
                status, str(problem.get("title", "")), str(problem.get("detail", ""))
            )
        return payload

    def _member(self, address: str) -> str:
        return f"/lists/{self.audience}/members/{member_hash(address)}"

    def get_member(self, address: str) -> dict[str, Any] | None:
        try:
            member: dict[str, Any] = self.request("GET", self._member(address))
        except MailchimpError as exc:
            if exc.status == 404:
                return None
            raise
        return member

    def upsert_member(
        self, address: str, *, interests: dict[str, bool], language: str
    ) -> dict[str, Any]:
        """Add a confirmed subscriber, or update an existing member's interests.

        Only ``status_if_new`` is sent: an existing member keeps the status Mailchimp
        holds, so someone who unsubscribed there is never forced back.
        """
        body = {
            "email_address": address,
            "status_if_new": "subscribed",
            "interests": interests,
            "language": language,
        }
        member: dict[str, Any] = self.request("PUT", self._member(address), body)
        return member

    def update_member(self, address: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        try:
            member: dict[str, Any] = self.request("PATCH", self._member(address), changes)
        except MailchimpError as exc:
            if exc.status == 404:
                return None
            raise
        return member

    def delete_permanently(self, hash_: str) -> bool:
        """Erase a member for good (by Mailchimp's id); False if Mailchimp has none."""
        try:
            self.request("POST", f"/lists/{self.audience}/members/{hash_}/actions/delete-permanent")
        except MailchimpError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def create_interest(self, category: str, name: str) -> str:
        interest = self.request(
            "POST",
            f"/lists/{self.audience}/interest-categories/{category}/interests",
            {"name": name},
        )
        return str(interest["id"])
