from django.urls import URLPattern, path

from . import views

app_name = "mailing"
urlpatterns: list[URLPattern] = [
    path("", views.subscribe_page, name="subscribe"),
    path("check/", views.check_page, name="check"),
    path("confirm/<str:token>/", views.confirm_page, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe_page, name="unsubscribe"),
    path("preferences/<str:token>/", views.preferences_page, name="preferences"),
    path("preferences/<str:token>/export/", views.export_page, name="export"),
    path("preferences/<str:token>/erase/", views.erase_page, name="erase"),
    path("mailchimp/<str:secret>/", views.mailchimp_webhook, name="mailchimp_webhook"),
    path("webhooks/<slug:esp>/<slug:kind>/", views.esp_webhook, name="esp_webhook"),
]
