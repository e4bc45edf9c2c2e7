from django.urls import URLPattern, path

from detente.staff import auth, dashboard, estimates, imports, people, places, queue, review

app_name = "staff"
urlpatterns: list[URLPattern] = [
    path("login/", auth.StaffLoginView.as_view(), name="login"),
    path("logout/", auth.StaffLogoutView.as_view(), name="logout"),
    path("", dashboard.dashboard, name="dashboard"),
    path("people/", people.people, name="people"),
    path("people/new/", people.person_new, name="person_new"),
    path("people/export.<str:fmt>", people.people_export, name="people_export"),
    path("people/suggest/", people.person_suggest, name="person_suggest"),
    path("places/divisions/", places.division_list, name="divisions"),
    path("people/<str:handle>/", people.person_page, name="person"),
    path("people/<str:handle>/at-risk/", people.person_at_risk, name="person_at_risk"),
    path("people/<str:handle>/claims/new/", people.claim_new, name="claim_new"),
    path("queue/", queue.queue, name="queue"),
    path("queue/<int:pk>/confirm/", queue.confirm, name="confirm"),
    path("queue/<int:pk>/dispute/", queue.dispute, name="dispute"),
    path("estimates/", estimates.estimates, name="estimates"),
    path("review/", review.review_list, name="review"),
    path("review/<int:pk>/", review.review_detail, name="review_detail"),
    path("review/<int:pk>/decide/", review.review_decide, name="review_decide"),
    path("review/<int:pk>/search/", review.review_search, name="review_search"),
    path("review/bulk/", review.review_bulk, name="review_bulk"),
    path("imports/", imports.imports, name="imports"),
    path("imports/new/", imports.import_new, name="import_new"),
    path("imports/jobs/<int:pk>/", imports.import_job, name="import_job"),
    path("imports/jobs/<int:pk>/map/", imports.import_map, name="import_map"),
    path("imports/jobs/<int:pk>/progress/", imports.import_progress, name="import_progress"),
    path("imports/jobs/<int:pk>/start/", imports.import_start, name="import_start"),
    path("imports/jobs/<int:pk>/discard/", imports.import_discard, name="import_discard"),
    path("imports/<int:pk>/", imports.import_run, name="import_run"),
    path("imports/<int:pk>/rows.csv", imports.import_rows_csv, name="import_rows_csv"),
]
