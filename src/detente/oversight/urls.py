from django.urls import URLPattern, path

from detente.oversight.views import (
    access,
    agreement_records,
    agreements,
    disclosures,
    ledger,
    legislature,
    parties,
    sources,
    statistics,
    tokens,
    users,
)

app_name = "oversight"
urlpatterns: list[URLPattern] = [
    path("agreements/", agreements.agreement_list_page, name="agreements"),
    # "new/" before "<slug>/": the slug "new" is refused by the forms for this reason.
    path("agreements/new/", agreements.agreement_create_page, name="agreement_create"),
    path("agreements/<slug:slug>/", agreements.agreement_page, name="agreement"),
    path("agreements/<slug:slug>/edit/", agreements.agreement_edit_page, name="agreement_edit"),
    path(
        "agreements/<slug:slug>/members.<str:fmt>",
        agreements.agreement_members_export,
        name="agreement_members_export",
    ),
    path(
        "agreements/<slug:slug>/archive/",
        agreements.agreement_archive_view,
        name="agreement_archive",
    ),
    path(
        "agreements/<slug:slug>/claims/count/",
        agreement_records.count_claim_page,
        name="agreement_count",
    ),
    path(
        "agreements/<slug:slug>/claims/stage/",
        agreement_records.stage_claim_page,
        name="agreement_stage",
    ),
    path(
        "agreements/<slug:slug>/members/add/",
        agreement_records.members_add_page,
        name="agreement_members_add",
    ),
    path(
        "agreements/<slug:slug>/members/classify/",
        agreement_records.member_classify_page,
        name="agreement_member_classify",
    ),
    path(
        "agreements/<slug:slug>/policy/",
        agreement_records.agreement_policy_view,
        name="agreement_policy",
    ),
    path(
        "agreements/<slug:slug>/legislature/",
        legislature.agreement_legislature_page,
        name="agreement_legislature",
    ),
    path("parties/", parties.party_list_page, name="parties"),
    path("parties/new/", parties.party_create_page, name="party_create"),
    path("parties/<slug:slug>/edit/", parties.party_edit_page, name="party_edit"),
    path("parties/<slug:slug>/archive/", parties.party_archive_view, name="party_archive"),
    path("sources/", sources.source_list_page, name="sources"),
    path("sources/new/", sources.source_create_page, name="source_create"),
    path("sources/<slug:slug>/", sources.source_page, name="source"),
    path("sources/<slug:slug>/edit/", sources.source_edit_page, name="source_edit"),
    path("sources/<slug:slug>/archive/", sources.source_archive_view, name="source_archive"),
    path("disclosures/", disclosures.disclosure_list_page, name="disclosures"),
    path("disclosures/propose/", disclosures.disclosure_propose_page, name="disclosure_propose"),
    path("disclosures/<int:pk>/", disclosures.disclosure_page, name="disclosure"),
    path("statistics/", statistics.statistics_page, name="statistics"),
    path("statistics/<int:pk>/", statistics.release_page, name="statistics_release"),
    path("ledger/", ledger.ledger_list_page, name="ledger"),
    path("ledger/verify/", ledger.ledger_verify, name="ledger_verify"),
    path("ledger/export.<str:fmt>", ledger.ledger_export, name="ledger_export"),
    path("access/people/<str:handle>/", access.person_access_page, name="person_access"),
    path(
        "access/people/<str:handle>/export.<str:fmt>",
        access.person_access_export,
        name="person_access_export",
    ),
    path("access/users/<int:pk>/", access.user_access_page, name="user_access"),
    path(
        "access/users/<int:pk>/export.<str:fmt>",
        access.user_access_export,
        name="user_access_export",
    ),
    path("users/", users.user_list_page, name="users"),
    path("users/new/", users.user_create_page, name="user_create"),
    path("users/<int:pk>/", users.user_page, name="user"),
    path("welcome/<str:token>/", users.welcome_page, name="welcome"),  # an invitation link
    path("account/", users.account_page, name="account"),
    path("tokens/", tokens.token_list_page, name="tokens"),
    path("tokens/<int:pk>/revoke/", tokens.token_revoke_view, name="token_revoke"),
]
