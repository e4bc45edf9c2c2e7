from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "detente.casework"
    label = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        from detente.casework import sealing
        from detente.casework.models import (
            ATTACHMENT_CLASS,
            ATTACHMENT_NAME_CLASS,
            INTERVENTION_CLASS,
            NOTE_CLASS,
            TASK_CLASS,
        )
        from detente.keys import ring

        # Casework's data key classes, and how `detente keys rotate --data` seals
        # all of each again.
        ring.register(NOTE_CLASS, str(_("notes (every version)")), sealing.reseal_notes)
        ring.register(
            INTERVENTION_CLASS, str(_("cases raised (their text)")), sealing.reseal_interventions
        )
        ring.register(TASK_CLASS, str(_("tasks (their text)")), sealing.reseal_tasks)
        ring.register(ATTACHMENT_CLASS, str(_("attachment files")), sealing.reseal_files)
        ring.register(
            ATTACHMENT_NAME_CLASS,
            str(_("attachments (their file names)")),
            sealing.reseal_attachment_names,
        )
