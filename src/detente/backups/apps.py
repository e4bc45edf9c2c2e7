from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class BackupsConfig(AppConfig):
    name = "detente.backups"
    verbose_name = _("Backups")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from detente.backups.tasks import start_schedule_after_migrate

        # Sent once per app that has models (this one has none): after the task queue's.
        post_migrate.connect(
            start_schedule_after_migrate,
            sender=apps.get_app_config("django_tasks_database"),
            dispatch_uid="detente.backups.schedule",
        )
