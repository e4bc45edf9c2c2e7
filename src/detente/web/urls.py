from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from . import open_data, views

app_name = "web"
urlpatterns: list[URLPattern] = [
    path("", views.agreement_list_page, name="agreements"),
    path("agreements/<slug:slug>/", views.agreement_page, name="agreement"),
    path(
        "agreements/<slug:slug>/known-then/",
        views.agreement_known_then_page,
        name="agreement-known-then",
    ),
    path(
        "agreements/<slug:slug>/briefing.pdf", views.agreement_briefing, name="agreement-briefing"
    ),
    path("people/<str:handle>/", views.person_page, name="person"),
    path("statistics/", views.statistics_page, name="statistics"),
    path("methods/", views.methods_page, name="methods"),
    # Open data: the public figures as files, without a token (web/open_data.py).
    path(
        "open/agreements.json", open_data.agreements, {"fmt": "json"}, name="open-agreements-json"
    ),
    path("open/agreements.csv", open_data.agreements, {"fmt": "csv"}, name="open-agreements-csv"),
    path(
        "open/agreements/<slug:slug>/members.json",
        open_data.members,
        {"fmt": "json"},
        name="open-members-json",
    ),
    path(
        "open/agreements/<slug:slug>/members.csv",
        open_data.members,
        {"fmt": "csv"},
        name="open-members-csv",
    ),
    path(
        "open/statistics.json", open_data.statistics, {"fmt": "json"}, name="open-statistics-json"
    ),
    path("open/statistics.csv", open_data.statistics, {"fmt": "csv"}, name="open-statistics-csv"),
    # The site's icon where browsers look for it unasked (the pages link the SVG).
    path("favicon.ico", views.favicon, name="favicon"),
    path(".well-known/detente/checkpoint", views.checkpoint_text, name="checkpoint"),
    # Exempt from CSRF on purpose: its only effect is the visitor's own language cookie,
    # and a token in the switch would put a per-visitor value and a Set-Cookie into every
    # public page, which shared caches then could not hold. The redirect target is still
    # checked against the host by set_language.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
]
