"""Email updates in the staff pages: the mailing lists, their subscribers' counts, and a
digest sent at once.

Verifiers and administrators (``Action.MANAGE``, as for ``detente mailing``) open these
pages; other staff get 403. Every change is a ``detente.mailing.services`` call, checked,
changed and audited at once. No page shows an address: only counts.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from detente.access.policy import Action
from detente.agreements.selectors import agreement_list, party_list
from detente.mailing import services
from detente.mailing.models import Frequency, ListKind, MailingList
from detente.mailing.selectors import mailing_list_get, mailing_lists, pending_digest
from detente.oversight.forms import ArchiveForm
from detente.staff.common import apply_errors, staff_page

manager_page = staff_page(Action.MANAGE)


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - staff_page() let only signed-in users through
    return user


class ListEditForm(forms.Form):
    public = forms.BooleanField(
        label=gettext_lazy("Offered on the public form"),
        required=False,
        help_text=gettext_lazy(
            "A private list is not offered on the public form; whoever already follows it keeps it."
        ),
    )
    frequency = forms.ChoiceField(
        label=gettext_lazy("Sends"),
        choices=Frequency.choices,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "As it happens: within minutes of the news. Daily: once a day (UTC). Weekly: "
            "once a week, on Mondays (UTC)."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ListCreateForm(ListEditForm):
    slug = forms.SlugField(
        label=gettext_lazy("Short name (slug)"),
        max_length=64,
        help_text=gettext_lazy(
            "Lower-case letters, digits and hyphens; it names the list in emails and in "
            "consent records, and cannot be changed later."
        ),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Follows"), choices=ListKind.choices, widget=forms.RadioSelect
    )
    agreement = forms.ChoiceField(
        label=gettext_lazy("Agreement"),
        required=False,
        help_text=gettext_lazy("For a list about one agreement."),
    )
    party = forms.ChoiceField(
        label=gettext_lazy("Country (releasing party)"),
        required=False,
        help_text=gettext_lazy(
            "For a list about one country: every agreement in which this party releases people."
        ),
    )
    field_order = ["slug", "kind", "agreement", "party", "public", "frequency"]

    def __init__(self, *args: Any, viewer: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        blank = [("", "—")]
        agreements = agreement_list(viewer).filter(archived_at__isnull=True).order_by("title")
        parties = party_list(viewer).filter(archived_at__isnull=True).order_by("name")
        self.agreements = {a.slug: a for a in agreements}
        self.parties = {p.slug: p for p in parties}
        for name, choices in (
            ("agreement", [(a.slug, a.title) for a in agreements]),
            ("party", [(p.slug, p.name) for p in parties]),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
            field.choices = blank + choices


@manager_page
@require_http_methods(["GET", "HEAD"])
def list_page(request: HttpRequest) -> HttpResponse:
    lists = list(mailing_lists(_actor(request)))
    context = {
        "lists": [ml for ml in lists if ml.active],
        "archived": [ml for ml in lists if not ml.active],
        "section": "mailing",
    }
    return render(request, "staff/mailing_lists.html", context)


@manager_page
@require_http_methods(["GET", "HEAD", "POST"])
def create_page(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    initial = {"public": True, "frequency": Frequency.DAILY, "kind": ListKind.AGREEMENT}
    if request.GET.get("agreement"):
        initial["agreement"] = request.GET["agreement"]
    form = ListCreateForm(
        request.POST if request.method == "POST" else None, initial=initial, viewer=viewer
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ml = services.list_create(
                actor=viewer,
                slug=data["slug"],
                kind=data["kind"],
                agreement=form.agreements.get(data["agreement"]),
                party=form.parties.get(data["party"]),
                public=data["public"],
                frequency=data["frequency"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("List “%(slug)s” created.") % {"slug": ml.slug})
            return redirect("staff:mailing_list", slug=ml.slug)
    return render(
        request,
        "staff/mailing_list_form.html",
        {"form": form, "mailing_list": None, "section": "mailing"},
    )


@manager_page
@require_http_methods(["GET", "HEAD", "POST"])
def edit_page(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _actor(request)
    ml = mailing_list_get(viewer, slug)
    initial = {"public": ml.public, "frequency": ml.frequency}
    form = ListEditForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.list_update(
                actor=viewer,
                mailing_list=ml,
                public=form.cleaned_data["public"],
                frequency=form.cleaned_data["frequency"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("List “%(slug)s” saved.") % {"slug": ml.slug})
            return redirect("staff:mailing_list", slug=ml.slug)
    context = {
        "form": form,
        "mailing_list": ml,
        "pending": pending_digest(viewer, ml) if ml.active else None,
        "section": "mailing",
    }
    return render(request, "staff/mailing_list_form.html", context)


@manager_page
@require_POST
def archive_view(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _actor(request)
    ml = mailing_list_get(viewer, slug)
    form = ArchiveForm(request.POST)
    if not form.is_valid():
        raise BadRequest("archive or restore")
    archived = form.cleaned_data["op"] == "archive"
    ml = services.list_archive(actor=viewer, mailing_list=ml, archived=archived)
    if archived:
        done = _("List “%(slug)s” archived: it is offered to no one and sends nothing.")
    else:
        done = _("List “%(slug)s” restored: its next digest starts from now.")
    messages.success(request, done % {"slug": ml.slug})
    return redirect("staff:mailing_list", slug=ml.slug)


@manager_page
@require_http_methods(["GET", "HEAD", "POST"])
def send_page(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: what would go out, and to how many, with the button; POST: send it."""
    viewer = _actor(request)
    ml: MailingList = mailing_list_get(viewer, slug)
    if request.method == "POST":
        try:
            sent = services.list_send_now(actor=viewer, mailing_list=ml)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if sent.digest_id is None:
                done = _("Nothing new since the previous digest: nothing was sent.")
            else:
                done = ngettext(
                    "The digest is on its way to %(count)d subscriber.",
                    "The digest is on its way to %(count)d subscribers.",
                    sent.recipients,
                ) % {"count": sent.recipients}
            messages.success(request, done)
        return redirect("staff:mailing_list", slug=ml.slug)
    context = {
        "mailing_list": ml,
        "pending": pending_digest(viewer, ml) if ml.active else None,
        "section": "mailing",
    }
    return render(request, "staff/mailing_send.html", context)
