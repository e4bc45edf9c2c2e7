"""What each ledger action and object is called on screen, in the reader's language.

The ledger stores stable codes (``disclosure.approve``, ``registry.person``); people read
words. An unknown code (an entry written by an older or newer version) is shown as it is.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.utils.translation import gettext_lazy as _

ACTIONS: dict[str, Any] = {
    "access.export": _("downloaded an access history"),
    "admin.person.list": _("listed people in the admin"),
    "admin.person.search": _("searched people in the admin"),
    "admin.person.view": _("viewed a person in the admin"),
    "agreement.access_grant": _("gave an account access to an agreement"),
    "agreement.access_open": _("opened an agreement to every legislature account"),
    "agreement.access_revoke": _("took away an account's access to an agreement"),
    "agreement.add_members": _("named people on an agreement"),
    "agreement.archive": _("archived an agreement"),
    "agreement.restore": _("restored an agreement"),
    "agreement.audience": _("changed who sees an agreement"),
    "agreement.classify_member": _("classified a named member"),
    "agreement.create": _("recorded an agreement"),
    "agreement.edit": _("edited an agreement"),
    "agreement.members": _("viewed an agreement's members"),
    "agreement.members.export": _("downloaded an agreement's members"),
    "agreement.briefing": _("printed an agreement's briefing"),
    "agreement.policy": _("changed an agreement's confirmation rules"),
    "api.token_create": _("created an API token"),
    "api.token_revoke": _("revoked an API token"),
    "api.token_revoke_all": _("revoked every API token of an account"),
    "attachment.create": _("attached an evidence file"),
    "attachment.download": _("downloaded an evidence file"),
    "auth.lockout": _("locked an account out after failed sign-ins"),
    "auth.otp_failed": _("entered a wrong one-time code"),
    "auth.recovery_code": _("signed in with a recovery code"),
    "auth.unlock": _("unlocked an account"),
    "backup.create": _("wrote an encrypted backup"),
    "backup.fail": _("failed to write a scheduled backup"),
    "claim.aggregate": _("recorded a count for a whole agreement"),
    "claim.lifecycle": _("recorded a stage of a whole agreement"),
    "claim.retraction": _("retracted a claim"),
    "claim.status": _("recorded a claim about a person"),
    "custody.add": _("recorded a period in custody"),
    "disclosure.approve": _("approved a disclosure"),
    "disclosure.propose": _("proposed a disclosure"),
    "disclosure.reject": _("rejected a disclosure"),
    "intervention.create": _("recorded a case raised"),
    "intervention.edit": _("changed a case raised"),
    "import.job.checked": _("checked an import before running it"),
    "import.job.create": _("uploaded a list to import"),
    "import.job.discard": _("discarded an import"),
    "import.job.expire": _("discarded an import left unfinished"),
    "import.job.finish": _("finished an import"),
    "import.job.map": _("mapped an import's columns"),
    "import.job.view": _("viewed an import"),
    "import.review": _("decided a row of an import"),
    "import.review.bulk": _("accepted many rows of an import at once"),
    "import.review.view": _("viewed a row waiting for review"),
    "import.review.export": _("downloaded the rows waiting for review"),
    "import.rows.download": _("downloaded an import's rows"),
    "import.run": _("imported a list"),
    "keys.reseal": _("sealed records again with new encryption keys"),
    "keys.rotate": _("replaced the encryption keys"),
    "ledger.export": _("downloaded entries of the ledger"),
    "mailing.digest": _("sent an email digest"),
    "mailing.erase": _("erased a subscriber"),
    "mailing.export": _("exported a subscriber's data"),
    "mailing.list_archive": _("archived a mailing list"),
    "mailing.list_create": _("created a mailing list"),
    "mailing.list_restore": _("restored a mailing list"),
    "mailing.list_update": _("changed a mailing list"),
    "mailing.send_now": _("sent a mailing list's digest at once"),
    "mailing.suppress": _("stopped mail to an address"),
    "note.create": _("wrote a note"),
    "note.edit": _("changed a note"),
    "note.history": _("read a note's history"),
    "note.list": _("read notes"),
    "note.view": _("read a note"),
    "party.archive": _("archived a party"),
    "party.create": _("recorded a party"),
    "party.edit": _("edited a party"),
    "party.restore": _("restored a party"),
    "person.at_risk": _("changed whether a person is at risk"),
    "person.claims.export": _("downloaded a person's claims"),
    "person.create": _("recorded a person"),
    "person.duplicates": _("looked for duplicate people"),
    "person.list": _("viewed a list of people"),
    "person.export": _("downloaded a list of people"),
    "person.match": _("matched a name against the registry"),
    "person.merge": _("merged two records of one person"),
    "person.search": _("searched people by name"),
    "person.split": _("split a merged person"),
    "person.view": _("viewed a person"),
    "queue.export": _("downloaded the verification queue"),
    "queue.view": _("viewed the verification queue"),
    "recovery.regenerate": _("made new recovery codes"),
    "source.archive": _("archived a source"),
    "source.create": _("recorded a source"),
    "source.edit": _("edited a source"),
    "source.regrade": _("changed a source's grade"),
    "source.restore": _("restored a source"),
    "statistics.approve": _("approved a statistics release"),
    "statistics.propose": _("proposed a statistics release"),
    "statistics.reject": _("rejected a statistics release"),
    "task.create": _("set a task"),
    "task.done": _("marked a task done"),
    "task.remind": _("sent a task's reminder by email"),
    "totp.confirm": _("confirmed a second factor"),
    "totp.enrol": _("started enrolling a second factor"),
    "totp.reset": _("reset a second factor"),
    "user.create": _("created an account"),
    "user.disable": _("disabled an account"),
    "user.enable": _("enabled an account"),
    "user.invitation_accept": _("set up an account from an invitation link"),
    "user.invite": _("made an invitation link for an account"),
    "user.role": _("changed an account's role"),
}


def action_label(code: str) -> str:
    label = ACTIONS.get(code)
    return str(label) if label is not None else code


def object_label(object_type: str, object_id: str, name: str = "") -> str:
    """ "person P-0001", "agreement 3", "12 people": the model's own name, translated, and
    the handle or slug the entry names it by (``name``) rather than its row number."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        label = object_type
    else:
        label = str(model._meta.verbose_name)
    if object_id.endswith(" people"):  # an access entry for many people at once
        return object_id.replace(" people", f" {model_plural(object_type)}")
    return f"{label} {name or object_id}".strip()


def model_plural(object_type: str) -> str:
    try:
        return str(apps.get_model(object_type)._meta.verbose_name_plural)
    except (LookupError, ValueError):
        return object_type
