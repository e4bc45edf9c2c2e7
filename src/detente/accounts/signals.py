"""The ``user_disabled`` hook and the bookkeeping that maps sessions to users."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.dispatch import Signal

from detente.accounts.models import UserSession

user_disabled = Signal()
"""Sent by ``user_disable`` inside its transaction, after the sessions are gone.

Keyword arguments: ``user`` (now inactive), ``actor`` and ``reason``. Anything that lets
the user act without a session (API tokens, feed keys, export links) connects here and
revokes it in the database: because the receiver runs in the same transaction, a
receiver that fails rolls the whole disabling back, and a disabled user never keeps a
working token.
"""


def remember_session(sender: type[Session], instance: Session, **kwargs: Any) -> None:
    """``post_save`` on Session: note whose session this is.

    Hooked to the session row rather than to ``user_logged_in`` because the key changes
    after login too (``cycle_key`` on a password change); every key that carries a user
    passes through here. One indexed lookup per session save when nothing changed.
    """
    if kwargs.get("raw"):  # loading fixtures: leave the rows as they are
        return
    raw = instance.get_decoded().get(SESSION_KEY)
    if raw is None:
        return
    user_model = get_user_model()
    try:
        user_pk = user_model._meta.pk.to_python(raw)
    except (ValidationError, TypeError, ValueError):  # not a key of ours: nothing to map
        return
    if UserSession.objects.filter(session_id=instance.pk, user_id=user_pk).exists():
        return
    # A session may still name a deleted user; mapping it would break the session save.
    if not user_model._default_manager.filter(pk=user_pk).exists():
        return
    UserSession.objects.update_or_create(session_id=instance.pk, defaults={"user_id": user_pk})
