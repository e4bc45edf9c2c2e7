"""Public pages for email updates: subscribe, confirm, preferences, one-click unsubscribe.

None of these pages is cached: each answer depends on a link's token or a form. Pages
reached through a link are shown in the subscriber's own language.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from detente.mailing import conf, services, tokens
from detente.mailing.models import SubscriberStatus, SubscriptionStatus
from detente.mailing.notice import notice_hash, notice_text
from detente.mailing.selectors import offered_lists, subscriber_export
from detente.mailing.webhooks import handle_mailchimp

View = Callable[..., HttpResponse]


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}


def _notice(language: str) -> dict[str, str]:
    text = notice_text(language)
    return {"notice_text": text, "notice_hash": notice_hash(text)}


def _bad_link(request: HttpRequest) -> HttpResponse:
    return render(request, "mailing/bad_link.html", {"section": ""}, status=400)


def _linked(purpose: str) -> Callable[[View], View]:
    """Open the link's token (400 page when it is not valid) and speak the subscriber's
    language for the rest of the request."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                linked = services.open_link(purpose, token)
            except tokens.BadToken:
                return _bad_link(request)
            language = linked.subscriber.language or settings.LANGUAGE_CODE
            with translation.override(language):
                request.LANGUAGE_CODE = language
                response = view(request, token, linked, *args, **kwargs)
            response.setdefault("Content-Language", language)
            return response

        return wrapped

    return decorate


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe_page(request: HttpRequest) -> HttpResponse:
    language = get_language() or settings.LANGUAGE_CODE
    values: dict[str, Any] = {"email": "", "lists": [], "language": language}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {
            "email": request.POST.get("email", ""),
            "lists": request.POST.getlist("lists"),
            "language": request.POST.get("language", language),
        }
        try:
            services.subscribe(
                email=values["email"],
                list_ids=values["lists"],
                language=values["language"],
                notice=request.POST.get("notice", ""),
                notice_language=language,
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("mailing:check")
    context = {
        "section": "updates",
        "lists": offered_lists(),
        "values": values,
        "chosen": {str(x) for x in values["lists"]},
        "errors": errors,
        "email_languages": settings.LANGUAGES,
        **_notice(language),  # in the page's language, whatever the emails' language
    }
    return render(request, "mailing/subscribe.html", context, status=400 if errors else 200)


@never_cache
@require_safe
def check_page(request: HttpRequest) -> HttpResponse:
    return render(request, "mailing/check.html", {"section": "updates"})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@_linked(tokens.CONFIRM)
def confirm_page(request: HttpRequest, token: str, linked: services.Linked) -> HttpResponse:
    """GET only shows the page (link scanners follow GETs); the button POSTs."""
    subscriber = linked.subscriber
    if subscriber.status != SubscriberStatus.ACTIVE:
        return _bad_link(request)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.confirm(token=token, notice=request.POST.get("notice", ""))
        except ValidationError as exc:
            errors = _errors(exc)
        except tokens.BadToken:
            return _bad_link(request)
        else:
            prefs = tokens.make(tokens.PREFERENCES, subscriber.pk, subscriber.email_hash)
            return render(
                request,
                "mailing/confirmed.html",
                {
                    "section": "updates",
                    "lists": linked.lists,
                    "preferences_path": reverse("mailing:preferences", args=[prefs]),
                },
            )
    context = {
        "section": "updates",
        "lists": linked.lists,
        "errors": errors,
        **_notice(subscriber.language),
    }
    return render(request, "mailing/confirm.html", context, status=400 if errors else 200)


# Exempt from CSRF on purpose: RFC 8058 one-click unsubscribe is a POST made by the
# recipient's mail client, with no cookie and no form token, to the URL in the
# List-Unsubscribe header. The signed token in that URL is the authorisation, and the
# only thing it can do is take its own holder off one list. The page sets no cookie.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@_linked(tokens.UNSUBSCRIBE)
def unsubscribe_page(request: HttpRequest, token: str, linked: services.Linked) -> HttpResponse:
    if len(linked.lists) != 1:
        return _bad_link(request)
    mailing_list = linked.lists[0]
    if request.method == "POST":
        try:
            services.unsubscribe(token=token)
        except tokens.BadToken:
            return _bad_link(request)
        done = True
    else:
        done = not linked.subscriber.subscriptions.filter(
            mailing_list=mailing_list,
            status__in=(SubscriptionStatus.CONFIRMED, SubscriptionStatus.PENDING),
        ).exists()
    subscriber = linked.subscriber
    prefs = tokens.make(tokens.PREFERENCES, subscriber.pk, subscriber.email_hash)
    context = {
        "section": "updates",
        "list": mailing_list,
        "done": done,
        "preferences_path": reverse("mailing:preferences", args=[prefs]),
    }
    response = render(request, "mailing/unsubscribe.html", context)
    # Cookieless: nothing here may start a session or set a token cookie.
    response.cookies.clear()
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@_linked(tokens.PREFERENCES)
def preferences_page(request: HttpRequest, token: str, linked: services.Linked) -> HttpResponse:
    subscriber = linked.subscriber
    if subscriber.status == SubscriberStatus.ERASED:
        return _bad_link(request)
    errors: dict[str, list[str]] = {}
    saved = ""
    if request.method == "POST":
        try:
            if "leave_all" in request.POST:
                services.leave_all(subscriber=subscriber)
                saved = "left"
            else:
                services.set_preferences(
                    subscriber=subscriber,
                    list_ids=request.POST.getlist("lists"),
                    language=request.POST.get("language", subscriber.language),
                    notice=request.POST.get("notice", ""),
                )
                saved = "saved"
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect(reverse("mailing:preferences", args=[token]) + f"?saved={saved}")
    else:
        saved = request.GET.get("saved", "")
    current = {
        s.mailing_list_id: s
        for s in subscriber.subscriptions.select_related(
            "mailing_list__agreement", "mailing_list__party"
        )
    }
    lists = list(offered_lists())
    offered_ids = {ml.pk for ml in lists}
    lists += [
        s.mailing_list
        for s in current.values()
        if s.mailing_list_id not in offered_ids and s.status == SubscriptionStatus.CONFIRMED
    ]
    context = {
        "section": "updates",
        "token": token,
        "rows": [(ml, current[ml.pk].status if ml.pk in current else "") for ml in lists],
        "subscriber": subscriber,
        "email_languages": settings.LANGUAGES,
        "errors": errors,
        "saved": saved if saved in ("saved", "left") else "",
        "suppressed": subscriber.status != SubscriberStatus.ACTIVE,
        **_notice(subscriber.language),
    }
    return render(request, "mailing/preferences.html", context, status=400 if errors else 200)


@never_cache
@require_safe
@_linked(tokens.PREFERENCES)
def export_page(request: HttpRequest, token: str, linked: services.Linked) -> HttpResponse:
    data = subscriber_export(linked.subscriber)
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="detente-email-updates.json"'
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@_linked(tokens.PREFERENCES)
def erase_page(request: HttpRequest, token: str, linked: services.Linked) -> HttpResponse:
    if request.method == "POST":
        services.erase(linked.subscriber)
        return render(request, "mailing/erased.html", {"section": "updates"})
    context = {
        "section": "updates",
        "token": token,
        "export_path": reverse("mailing:export", args=[token]),
    }
    return render(request, "mailing/erase.html", context)


# --- Webhooks ---------------------------------------------------------------------------


@csrf_exempt  # called by Mailchimp's servers; the secret in the URL is the authorisation
@require_http_methods(["GET", "HEAD", "POST"])
def mailchimp_webhook(request: HttpRequest, secret: str) -> HttpResponse:
    expected = conf.text("MAILCHIMP_WEBHOOK_SECRET")
    if (
        not conf.flag("MAILCHIMP_ENABLED")
        or not expected
        or not constant_time_compare(secret, expected)
    ):
        raise Http404("no such page")
    if request.method != "POST":
        return HttpResponse("ok", content_type="text/plain")  # Mailchimp's URL check
    outcome = handle_mailchimp({k: str(v) for k, v in request.POST.items()})
    return HttpResponse(json.dumps({"outcome": outcome}), content_type="application/json")


def _anymail_views() -> dict[str, View]:
    from anymail import urls as anymail_urls

    views: dict[str, View] = {}
    for pattern in anymail_urls.urlpatterns:
        name = getattr(pattern, "name", "") or ""
        if name.endswith("_webhook"):
            views[name.removesuffix("_webhook")] = pattern.callback
    return views


_ESP_VIEWS: dict[str, View] = {}


@csrf_exempt  # called by the email service; Anymail checks its basic-auth secret
def esp_webhook(request: HttpRequest, esp: str, kind: str) -> HttpResponse:
    """Anymail's webhook for the one configured ESP (bounces, complaints, inbound)."""
    if not _ESP_VIEWS:
        _ESP_VIEWS.update(_anymail_views())
    configured = conf.text("ESP")
    secret = getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET")
    view = _ESP_VIEWS.get(f"{esp}_{kind}")
    if not configured or not secret or esp != configured or view is None:
        raise Http404("no such page")
    return view(request)
