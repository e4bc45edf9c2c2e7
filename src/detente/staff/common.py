"""What every staff page shares: who may open it, and service errors shown on forms."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from detente.access.policy import Action, can

View = Callable[..., HttpResponse]


# Query keys that can carry a name someone typed (old bookmarks of the search page, a
# hand-made link): never copied into the login address, where it would stay in history.
NAME_KEYS = frozenset({"q", "name", "given_names", "paternal_surname", "maternal_surname"})


def login_next(request: HttpRequest) -> str:
    """Where to go back after signing in: the whole address, or the path alone when its
    query string could hold a name."""
    if NAME_KEYS & set(request.GET):
        return request.path
    return request.get_full_path()


def staff_page(rule: str | Callable[[Any], bool] = Action.READ) -> Callable[[View], View]:
    """The one guard of every page under /staff/: signed in, then ``rule`` — an action of
    the access policy (``Action.READ``, ``RECORD``, ``MANAGE``) or a check on the user
    (``oversight.permissions.is_administrator``, ``signed_in``).

    Anonymous visitors are sent to the login page (with ``next``, never a typed name); a
    signed-in account that fails the rule gets 403. The check comes before anything else,
    the HTTP method included, so a page does not tell an outsider which methods it takes.
    """
    check = rule if callable(rule) else (lambda user: can(user, rule))

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(login_next(request))
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.staff_rule = rule  # type: ignore[attr-defined]  # read by the guard's test
        return wrapped

    return decorate


def apply_errors(
    form: forms.Form, error: ValidationError, renames: Mapping[str, str] | None = None
) -> None:
    """Put a service's ValidationError on the form fields it names.

    Services name the field in their own terms (``event_date``, ``source``); ``renames``
    maps those to the form's field names where they differ. What names no field of the
    form goes to the top of the form, so no message is lost.
    """
    renames = renames or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        target = renames.get(field, field)
        form.add_error(target if target in form.fields else None, messages)


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx sent the request (django-htmx's middleware sets ``request.htmx``)."""
    return bool(getattr(request, "htmx", False))


def htmx_target(request: HttpRequest) -> str | None:
    """The id of the element htmx will swap the answer into, if htmx sent the request."""
    details = getattr(request, "htmx", None)
    return details.target if details else None


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` address given with the request when it stays on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
