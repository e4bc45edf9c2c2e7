from django.urls import URLPattern, path

from detente.casework import views

app_name = "casework"
urlpatterns: list[URLPattern] = [
    path("work/", views.my_work, name="work"),
    path("interventions/", views.intervention_list, name="interventions"),
    path("interventions/new/", views.intervention_new, name="intervention_new"),
    path("interventions/<int:pk>/", views.intervention_page, name="intervention"),
    path("interventions/<int:pk>/edit/", views.intervention_edit, name="intervention_edit"),
    path("notes/", views.note_list, name="notes"),
    path("notes/new/", views.note_new, name="note_new"),
    path("notes/<int:pk>/", views.note_page, name="note"),
    path("notes/<int:pk>/edit/", views.note_edit, name="note_edit"),
    path("tasks/new/", views.task_new, name="task_new"),
    path("attachments/new/", views.attachment_new, name="attachment_new"),
    path("attachments/<int:pk>/download/", views.attachment_download, name="attachment_download"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
]
