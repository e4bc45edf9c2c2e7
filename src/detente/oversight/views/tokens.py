"""API tokens: each user makes, lists and revokes their own; administrators see and
revoke everyone's.

The token itself is in the answer to the POST that made it and nowhere else: only a
hash is stored, the page is never cached (SecurityHeadersMiddleware), and there is no
redirect that would need to carry it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from detente.api.services import token_create, token_revoke
from detente.oversight.forms import TokenForm, attach_errors
from detente.oversight.permissions import is_administrator, signed_in
from detente.oversight.selectors import token_get, token_list
from detente.staff.common import staff_page

PAGE_SIZE = 50


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - staff_page() let only signed-in users through
    return user


@staff_page(signed_in)
@require_http_methods(["GET", "HEAD", "POST"])
def token_list_page(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    form = TokenForm(request.POST if request.method == "POST" else None, viewer=viewer)
    created = None
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token, secret = token_create(
                actor=viewer, user=viewer, name=data["name"], scope=data["scope"], days=data["days"]
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            created = {"token": token, "secret": secret}
            form = TokenForm(None, viewer=viewer)  # a fresh form under the new token
            status = 201
    tokens = token_list(viewer)
    owner = request.GET.get("user", "").strip() if is_administrator(viewer) else ""
    if owner:
        tokens = tokens.filter(user__username=owner)
    page = Paginator(tokens, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "owner": owner,
        "query": urlencode({"user": owner}) + "&" if owner else "",
        "form": form,
        "created": created,
        "page": page,
        "everyone": is_administrator(viewer),
        "now": timezone.now(),
    }
    return render(request, "oversight/tokens.html", context, status=status)


@staff_page(signed_in)
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _actor(request)
    token = token_get(viewer, pk)  # someone else's token is "not found" unless administrator
    token_revoke(actor=viewer, token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("oversight:tokens")
