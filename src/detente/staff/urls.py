from django.urls import URLPattern, path

from detente.staff import auth, dashboard, estimates, people, queue, review

app_name = "staff"
urlpatterns: list[URLPattern] = [
    path("login/", auth.StaffLoginView.as_view(), name="login"),
    path("logout/", auth.StaffLogoutView.as_view(), name="logout"),
    path("", dashboard.dashboard, name="dashboard"),
    path("people/", people.people, name="people"),
    path("people/new/", people.person_new, name="person_new"),
    path("people/suggest/", people.person_suggest, name="person_suggest"),
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
]
