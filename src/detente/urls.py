from django.contrib import admin
from django.urls import include, path

from detente.api.main import api
from detente.api.views import docs

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/docs", docs, name="api-docs"),
    path("api/", api.urls),
    path("staff/", include("detente.staff.urls")),
    path("staff/", include("detente.oversight.urls")),
    path("staff/", include("detente.casework.urls")),
    path("updates/", include("detente.mailing.urls")),
    path("", include("detente.web.urls")),
]
