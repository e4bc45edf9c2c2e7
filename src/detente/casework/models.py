"""The casework kept on a person or an agreement: interventions, notes and tasks.

Every row hangs on exactly one subject (a person or an agreement; a task may also hang on
an intervention), so what a viewer may see of it follows from what they may see of that
subject. Free text here is confidential: the ledger holds only keyed hashes of it.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from detente.agreements.models import Agreement, Party
from detente.keys import ring
from detente.registry.models import Person

# The data key classes of casework (docs/keys.md): a note's text (every version of it),
# the free text of a case raised, a task's title and details, the attachment files on
# disk and their names as uploaded.
NOTE_CLASS = "casework.note"
INTERVENTION_CLASS = "casework.intervention"
TASK_CLASS = "casework.task"
ATTACHMENT_CLASS = "casework.attachment"
ATTACHMENT_NAME_CLASS = "casework.attachment_name"


class Channel(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    LETTER = "letter", _("Letter")
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    OTHER = "other", _("Other")


class NoteVisibility(models.TextChoices):
    STAFF = "staff", _("All staff")
    VERIFIERS = "verifiers", _("Verifiers and administrators only")


def _one_subject(*fields: str) -> Q:
    """Exactly one of these foreign keys is set."""
    out = Q()
    for chosen in fields:
        case = Q(**{f"{chosen}__isnull": False})
        for other in fields:
            if other != chosen:
                case &= Q(**{f"{other}__isnull": True})
        out |= case
    return out


def pack(values: dict[str, str]) -> str:
    """The free-text fields of a row as the one text that is sealed (JSON)."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _sealed(name: str) -> Any:
    """A free-text field kept in the row's sealed column (``_SealedFields``)."""

    def get(self: _SealedFields) -> str:
        return self._opened()[name]

    def set_(self: _SealedFields, value: str) -> None:
        self._opened()[name] = value
        self._sealed_dirty = True

    return property(get, set_)


class _SealedFields:
    """Free-text fields kept together, as JSON, in one sealed column (``sealed``) with the
    data key of ``SEALED_CLASS`` and bound to the row (``<prefix>:<id>``); opened when one
    of them is first read, sealed again when the row is saved after one was set. A row
    whose ciphertext does not open raises ``ring.Undecryptable``: never shown half-read
    or as another row's. Read and set like the columns they were (``row.asked``); they
    cannot be filtered or ordered on in SQL."""

    SEALED_CLASS: ClassVar[str]
    SEALED_FIELDS: ClassVar[tuple[str, ...]]
    SEALED_PREFIX: ClassVar[str]

    sealed: str
    pk: Any
    _state: Any
    _plain: dict[str, str] | None = None
    _sealed_dirty = False

    def _sealed_ref(self) -> str:
        return f"{self.SEALED_PREFIX}:{self.pk}"

    def _opened(self) -> dict[str, str]:
        if self._plain is None:
            if self._state.adding and not self.sealed:
                self._plain = dict.fromkeys(self.SEALED_FIELDS, "")
            else:
                text = ring.open_text(self.SEALED_CLASS, self._sealed_ref(), self.sealed, str(self))
                values = json.loads(text)
                self._plain = {f: str(values.get(f) or "") for f in self.SEALED_FIELDS}
        return self._plain

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)  # type: ignore[misc]
        self._plain, self._sealed_dirty = None, False  # opened again from the row

    def _seal(self) -> None:
        if self._sealed_dirty:
            self.sealed = ring.seal_text(
                self.SEALED_CLASS, self._sealed_ref(), pack(self._opened())
            )
            self._sealed_dirty = False

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding and self.pk is None:
            # Bound to the row's id, which the database gives on insert: the row is
            # written with nothing readable, then sealed (inside the caller's
            # transaction, so never seen half-written).
            self._opened()
            self.sealed = ""
            super().save(*args, **kwargs)  # type: ignore[misc]
            self._sealed_dirty = True
            self._seal()
            type(self)._base_manager.filter(pk=self.pk).update(sealed=self.sealed)  # type: ignore[attr-defined]
            return
        self._seal()
        super().save(*args, **kwargs)  # type: ignore[misc]


class Intervention(_SealedFields, models.Model):
    """A case raised: with whom, how, when, by whom, what was asked and answered, what next.

    Its free text (the official, who raised it, what was asked, the answer, the next step)
    is stored sealed (``sealed``; docs/keys.md) and read as before (``row.asked``)."""

    SEALED_CLASS = INTERVENTION_CLASS
    SEALED_FIELDS = ("official", "raised_by", "asked", "answer", "next_step")
    SEALED_PREFIX = "intervention"

    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interventions",
        verbose_name=_("person"),
    )
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interventions",
        verbose_name=_("agreement"),
    )
    party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interventions",
        verbose_name=_("raised with (party)"),
    )
    channel = models.CharField(_("how"), max_length=16, choices=Channel.choices)
    occurred_on = models.DateField(_("when"))
    sealed = models.TextField(_("text (sealed)"))
    official: str = _sealed("official")  # the official, by role (at most 200 characters)
    raised_by: str = _sealed("raised_by")  # at most 150 characters
    asked: str = _sealed("asked")
    answer: str = _sealed("answer")
    next_step: str = _sealed("next_step")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=_one_subject("person", "agreement"),
                name="intervention_one_subject",
            )
        ]
        indexes = [
            models.Index(fields=["person", "-occurred_on"], name="casework_iv_person"),
            models.Index(fields=["agreement", "-occurred_on"], name="casework_iv_agreement"),
            models.Index(fields=["party", "-occurred_on"], name="casework_iv_party"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.channel} {self.occurred_on}"

    @property
    def subject_label(self) -> str:
        return self.person.handle if self.person_id else self.agreement.slug  # type: ignore[union-attr]


class _SealedBody:
    """``body``: the text, sealed into ``sealed_body`` with the notes' data key and bound to
    the row (``_body_ref``), opened when first read. A row holding a ciphertext that does
    not open raises ``ring.Undecryptable``: never shown half-read or as something else."""

    _plain_body: str | None = None
    sealed_body: str

    def _body_ref(self) -> str:
        raise NotImplementedError

    @property
    def body(self) -> str:
        if self._plain_body is None:
            self._plain_body = ring.open_text(
                NOTE_CLASS, self._body_ref(), self.sealed_body, str(self)
            )
        return self._plain_body

    @body.setter
    def body(self, value: str) -> None:
        self._plain_body = value
        self._body_dirty = True

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)  # type: ignore[misc]
        self._plain_body, self._body_dirty = None, False  # opened again from the row

    def _seal_body(self) -> None:
        if getattr(self, "_body_dirty", False) and self._plain_body is not None:
            self.sealed_body = ring.seal_text(NOTE_CLASS, self._body_ref(), self._plain_body)
            self._body_dirty = False


class Note(_SealedBody, models.Model):
    """A confidential note; ``body`` is its newest version (every version is a NoteVersion),
    stored sealed (``sealed_body``; docs/keys.md)."""

    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="casework_notes",
        verbose_name=_("person"),
    )
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="casework_notes",
        verbose_name=_("agreement"),
    )
    visibility = models.CharField(
        _("who may read it"),
        max_length=16,
        choices=NoteVisibility.choices,
        default=NoteVisibility.STAFF,
    )
    sealed_body = models.TextField(_("text (sealed)"))
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=_one_subject("person", "agreement"), name="note_one_subject"
            )
        ]
        indexes = [
            models.Index(fields=["person", "-updated_at"], name="casework_note_person"),
            models.Index(fields=["agreement", "-updated_at"], name="casework_note_agreement"),
        ]

    def __str__(self) -> str:
        return f"note #{self.pk} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding and self.pk is None and getattr(self, "_body_dirty", False):
            # The text is bound to the row's id, which the database gives on insert: the
            # row is written with nothing readable, then sealed (inside the caller's
            # transaction, so never seen half-written).
            self.sealed_body = ""
            super().save(*args, **kwargs)
            self._seal_body()
            type(self)._base_manager.filter(pk=self.pk).update(sealed_body=self.sealed_body)
            return
        self._seal_body()
        super().save(*args, **kwargs)

    def _body_ref(self) -> str:
        return f"note:{self.pk}"

    @property
    def subject_label(self) -> str:
        return self.person.handle if self.person_id else self.agreement.slug  # type: ignore[union-attr]


class VersionQuerySet(models.QuerySet["NoteVersion"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("a note's history is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("a note's history is append-only")


class NoteVersion(_SealedBody, models.Model):
    """One version of a note, as written; never changed, never removed (its text sealed
    again with a new data key by `detente keys rotate --data` is the same text)."""

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    sealed_body = models.TextField(_("text (sealed)"))
    visibility = models.CharField(
        _("who may read it"), max_length=16, choices=NoteVisibility.choices
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    objects = VersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("note version")
        verbose_name_plural = _("note versions")
        ordering = ["note_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["note", "number"], name="one_number_per_version")
        ]

    def __str__(self) -> str:
        return f"note #{self.note_id} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("a note's history is append-only")
        self._seal_body()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a note's history is append-only")

    def _body_ref(self) -> str:
        return f"note:{self.note_id}:v{self.number}"


class Task(_SealedFields, models.Model):
    """Something to do by a date, by one person, about a person, agreement or intervention.

    Its title and details are stored sealed (``sealed``; docs/keys.md) and read as before
    (``task.title``)."""

    SEALED_CLASS = TASK_CLASS
    SEALED_FIELDS = ("title", "details")
    SEALED_PREFIX = "task"

    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="casework_tasks",
        verbose_name=_("person"),
    )
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="casework_tasks",
        verbose_name=_("agreement"),
    )
    intervention = models.ForeignKey(
        Intervention,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("intervention"),
    )
    sealed = models.TextField(_("text (sealed)"))
    title: str = _sealed("title")  # what to do (at most 200 characters)
    details: str = _sealed("details")
    due_on = models.DateField(_("due"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="casework_tasks",
        verbose_name=_("assigned to"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The day the assignee is reminded by email (the due day unless set earlier); the
    # reminder says only that a task is due and where, never its text.
    remind_on = models.DateField(_("reminder"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    created_at = models.DateTimeField(_("set"), auto_now_add=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=_one_subject("person", "agreement", "intervention"),
                name="task_one_subject",
            )
        ]
        indexes = [
            models.Index(fields=["assignee", "done_at", "due_on"], name="casework_task_mine"),
            models.Index(fields=["person", "due_on"], name="casework_task_person"),
            models.Index(fields=["agreement", "due_on"], name="casework_task_agreement"),
            models.Index(
                fields=["reminded_at", "done_at", "remind_on"], name="casework_task_remind"
            ),
        ]

    def __str__(self) -> str:
        return f"task #{self.pk} due {self.due_on}"

    @property
    def subject_label(self) -> str:
        if self.person_id:
            return self.person.handle  # type: ignore[union-attr]
        if self.agreement_id:
            return self.agreement.slug  # type: ignore[union-attr]
        return f"#{self.intervention_id}"


class AttachmentKind(models.TextChoices):
    """What a file is, as read from its content (never from its name)."""

    PDF = "pdf", _("PDF document")
    PNG = "png", _("PNG image")
    JPEG = "jpeg", _("JPEG image")
    WEBP = "webp", _("WebP image")
    GIF = "gif", _("GIF image")
    TEXT = "text", _("Plain text (UTF-8)")
    DOCX = "docx", _("Word document (docx)")
    XLSX = "xlsx", _("Excel workbook (xlsx)")
    ODT = "odt", _("OpenDocument text (odt)")


IMAGE_KINDS = frozenset({"png", "jpeg", "webp", "gif"})


class Attachment(_SealedFields, models.Model):
    """An evidence file on a claim, a note or a case raised, kept in the data directory
    under a keyed hash of its SHA-256 (``DATA_DIR/attachments/ab/abcd…``; docs/keys.md),
    never served publicly. Its name as uploaded ("letter about …") is stored sealed
    (``sealed``) and read as before (``row.name``).

    With its metadata stripped, ``sha256`` is the stripped copy (what everyone gets) and
    ``original_sha256`` the file as uploaded, served to verifiers and administrators only.
    """

    SEALED_CLASS = ATTACHMENT_NAME_CLASS
    SEALED_FIELDS = ("name",)
    SEALED_PREFIX = "attachment"

    claim = models.ForeignKey(
        "evidence.Claim",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("claim"),
    )
    note = models.ForeignKey(
        Note,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("note"),
    )
    intervention = models.ForeignKey(
        Intervention,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("intervention"),
    )
    sealed = models.TextField(_("file name (sealed)"))
    name: str = _sealed("name")  # the file's own name, at most 200 characters
    kind = models.CharField(_("type"), max_length=8, choices=AttachmentKind.choices)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    stripped = models.BooleanField(_("metadata stripped"), default=False)
    original_sha256 = models.CharField(_("SHA-256 of the original"), max_length=64, blank=True)
    original_size = models.PositiveBigIntegerField(_("size of the original"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=_one_subject("claim", "note", "intervention"),
                name="attachment_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"attachment #{self.pk} {self.kind} {self.sha256[:12]}"

    @property
    def subject(self) -> Any:
        return self.claim or self.note or self.intervention

    @property
    def person(self) -> Person | None:
        """The person the file is about, if its subject is about one."""
        found = self.subject.person if self.subject is not None else None
        return found if isinstance(found, Person) else None
