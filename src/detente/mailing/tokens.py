"""Signed, expiring links, each for one purpose and scoped to one subscriber (and lists).

A token is Django's timestamped signature over a small JSON object, with the purpose as
the salt: a confirmation token cannot be replayed as an unsubscribe token or the other way
round, and a changed digit anywhere breaks the signature. Tokens also carry a prefix of
the subscriber's keyed address hash, so a token stops working once the address behind
that subscriber id is erased.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing

from detente.mailing import conf

CONFIRM = "detente.mailing.confirm"
UNSUBSCRIBE = "detente.mailing.unsubscribe"
PREFERENCES = "detente.mailing.preferences"
MAILTO = "detente.mailing.mailto"

_PURPOSES = (CONFIRM, UNSUBSCRIBE, PREFERENCES, MAILTO)


@dataclass(frozen=True)
class Claims:
    subscriber: int
    lists: tuple[int, ...]
    hash_prefix: str


class BadToken(Exception):
    """Tampered, expired, or made for another purpose: the caller changes nothing."""


def _max_age(purpose: str) -> dt.timedelta:
    days = conf.number("CONFIRM_MAX_AGE_DAYS" if purpose == CONFIRM else "LINK_MAX_AGE_DAYS")
    return dt.timedelta(days=days)


def make(purpose: str, subscriber_id: int, email_hash: str, lists: tuple[int, ...] = ()) -> str:
    if purpose not in _PURPOSES:
        raise ValueError(purpose)
    payload = {"s": subscriber_id, "l": list(lists), "h": email_hash[5:13]}
    return signing.TimestampSigner(salt=purpose).sign_object(payload, compress=False)


def read(purpose: str, token: str) -> Claims:
    try:
        payload = signing.TimestampSigner(salt=purpose).unsign_object(
            token, max_age=_max_age(purpose)
        )
    except (signing.BadSignature, ValueError, TypeError):
        raise BadToken(purpose) from None
    try:
        return Claims(int(payload["s"]), tuple(int(x) for x in payload["l"]), str(payload["h"]))
    except (KeyError, TypeError, ValueError):
        raise BadToken(purpose) from None


class FastSigner:
    """The same tokens as ``make``, minus the per-call setup: the outbox writes two per
    message, a hundred thousand at a time."""

    def __init__(self, purpose: str) -> None:
        self._signer = signing.TimestampSigner(salt=purpose)

    def make(self, subscriber_id: int, email_hash: str, lists: tuple[int, ...] = ()) -> str:
        payload = {"s": subscriber_id, "l": list(lists), "h": email_hash[5:13]}
        return self._signer.sign_object(payload, compress=False)
