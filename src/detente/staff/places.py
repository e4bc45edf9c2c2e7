"""The divisions of a country, as the options of the new-person form's division list."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from detente.access.policy import Action
from detente.core.places import check_country, default_country
from detente.staff.common import staff_page
from detente.staff.forms import division_options


@staff_page(Action.RECORD)
@require_POST
def division_list(request: HttpRequest) -> HttpResponse:
    """The ``<option>``s for the chosen country (the registry's own when it is unknown)."""
    try:
        country = check_country("country", request.POST.get("country") or "")
    except ValidationError:
        country = default_country()
    options = division_options(country)
    if request.POST.get("for") == "agreement":
        options[0] = ("", str(_("The whole country")))
    html = render_to_string("staff/partials/division_options.html", {"options": options})
    return HttpResponse(html)
