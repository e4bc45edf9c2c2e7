from django.urls import URLPattern, path

from detente.oversight.views import agreements, disclosures, ledger, sources, tokens, users

app_name = "oversight"
urlpatterns: list[URLPattern] = [
    path("agreements/", agreements.agreement_list_page, name="agreements"),
    path("agreements/<slug:slug>/", agreements.agreement_page, name="agreement"),
    path("sources/", sources.source_list_page, name="sources"),
    path("sources/<slug:slug>/", sources.source_page, name="source"),
    path("disclosures/", disclosures.disclosure_list_page, name="disclosures"),
    path("disclosures/propose/", disclosures.disclosure_propose_page, name="disclosure_propose"),
    path("disclosures/<int:pk>/", disclosures.disclosure_page, name="disclosure"),
    path("ledger/", ledger.ledger_list_page, name="ledger"),
    path("ledger/verify/", ledger.ledger_verify, name="ledger_verify"),
    path("users/", users.user_list_page, name="users"),
    path("users/new/", users.user_create_page, name="user_create"),
    path("users/<int:pk>/", users.user_page, name="user"),
    path("tokens/", tokens.token_list_page, name="tokens"),
    path("tokens/<int:pk>/revoke/", tokens.token_revoke_view, name="token_revoke"),
]
