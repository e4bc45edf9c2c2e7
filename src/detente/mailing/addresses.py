"""Email addresses: one canonical form, and the keyed hash that stands in for it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from detente.audit.ledger import keyed_hash
from detente.core.errors import invalid

HASH_CONTEXT = "detente.mailing.address"


def canonical(text: object) -> str:
    """The address as stored and compared: trimmed, lower-case, domain in ASCII (IDNA).

    Raises a validation error on ``email`` that says what is wrong.
    """
    if not isinstance(text, str) or not text.strip():
        raise invalid("email", _("Enter your email address."))
    value = text.strip()
    if len(value) > 254:
        raise invalid("email", _("An email address has at most 254 characters."))
    try:
        validate_email(value)
    except ValidationError:
        raise invalid(
            "email", _("“%(value)s” is not an email address.") % {"value": value}
        ) from None
    local, _sep, domain = value.rpartition("@")
    if not local.isascii():
        raise invalid(
            "email",
            _("Addresses with accented or non-Latin letters before the @ are not supported yet."),
        )
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise invalid(
            "email", _("The domain of “%(value)s” is not valid.") % {"value": value}
        ) from None
    return f"{local}@{domain}".lower()


def address_hash(address: str) -> str:
    """Keyed hash of a canonical address: what the ledger and suppression keep."""
    return keyed_hash(address, HASH_CONTEXT)
