"""Imports of other organisations' lists, their rows, and merges of people.

An :class:`ImportRun` is stored only when an import succeeded and changed something: a
failed import and a dry run leave the database as it was, and a file (or rows) seen before
adds nothing. Every row of a stored run is kept as an :class:`ImportRow` with its outcome,
the candidates the matcher proposed (with probabilities and explanations) and the claim it
led to; a queued row waits for a verifier's decision.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from detente.keys import ring

# The data key class of an imported row as parsed (docs/keys.md): the names, birth date,
# places and claim a list gave.
IMPORT_ROW_CLASS = "reconcile.import_row"


def row_ref(source_id: int, row_hash: str) -> str:
    """What an imported row's ciphertext is bound to: its source and its hash, unique
    together (``one_row_per_source``) and known before the row is inserted."""
    return f"import_row:{source_id}:{row_hash}"


def seal_data(source_id: int, row_hash: str, data: dict[str, Any]) -> str:
    """A parsed row (``ImportRow.data``) sealed for the row of this source and hash."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return ring.seal_text(IMPORT_ROW_CLASS, row_ref(source_id, row_hash), text)


def open_data(source_id: int, row_hash: str, sealed: str, what: str) -> dict[str, Any]:
    """The parsed row sealed in ``sealed``; ``ring.Undecryptable`` naming ``what`` when it
    does not open (altered, or another row's)."""
    text = ring.open_text(IMPORT_ROW_CLASS, row_ref(source_id, row_hash), sealed, what)
    data: dict[str, Any] = json.loads(text)
    return data


class RunStatus(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    DRY_RUN = "dry_run", _("Dry run (nothing written)")
    FAILED = "failed", _("Failed (nothing written)")


class Outcome(models.TextChoices):
    LINKED = "linked", _("Linked to a registry person")
    QUEUED = "queued", _("Queued for review")
    NEW = "new", _("New person")
    # "Rejected" alone is also a list of disclosures (plural in Spanish): the row's own.
    REJECTED = "rejected", pgettext_lazy("outcome of an imported row", "Rejected")
    UNCHANGED = "unchanged", _("Seen before; nothing added")


class Mode(models.TextChoices):
    """How a list meets the registry (docs/reconciliation.md)."""

    MATCH = "match", _("Match against the registry")
    # An organisation's own list into an empty or young registry: rows are distinct people
    # unless the evidence that two are one is strong.
    OWN = "own", _("Load our own list")


class Reason(models.TextChoices):
    """Why a row went to review (or, loading an own list, why a new person was flagged)."""

    GREY_ZONE = "grey_zone", _("Likely but not sure")
    CLOSE_RUNNER_UP = "close_runner_up", _("Another candidate is nearly as likely")
    GIVEN_NAMES = "given_names", _("The given names differ")
    SEX = "sex", _("The sex differs")
    BIRTH_DATE = "birth_date", _("The birth dates differ")
    PLACE = "place", _("The provinces differ")
    NAMES_ONLY = "names_only", _("Only the names agree")
    TAKEN = "taken", _("Another row of this list was linked to the same person")
    POSSIBLE_DUPLICATE = "possible_duplicate", _("May be the same person as an earlier row")


class Decision(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted: the proposed person")
    REJECTED = "rejected", _("Rejected: a new person")
    CHOSEN = "chosen", _("Another person chosen")


class ImportRun(models.Model):
    source = models.ForeignKey(
        "evidence.Source", on_delete=models.PROTECT, related_name="+", verbose_name=_("source")
    )
    agreement = models.ForeignKey(
        "agreements.Agreement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agreement"),
    )
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("file SHA-256"), max_length=64, db_index=True)
    format = models.CharField(_("format"), max_length=8)
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    link_above = models.FloatField(_("link at or above"))
    review_above = models.FloatField(_("review at or above"))
    default_status = models.CharField(_("default status"), max_length=32, blank=True)
    default_event_date = models.DateField(_("default event date"), null=True, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.MATCH)
    # The day the list was published or received (a historical list): the claims' received
    # date and the memberships' named date. The ledger still says when it was entered.
    reported_on = models.DateField(_("reported on"), null=True, blank=True)
    # The linkage model's parameters used for this list (m, u, match share) and how they
    # were obtained (estimated on the list, or the defaults for a small list).
    model = models.JSONField(_("linkage model"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.COMPLETED
    )
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    linked = models.PositiveIntegerField(_("linked"), default=0)
    queued = models.PositiveIntegerField(_("queued"), default=0)
    new = models.PositiveIntegerField(_("new people"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    # [{"row": 7, "column": "birth_date", "message": "..."}], capped.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    # SHA-256 over the claims and people the import created (ids and content), also
    # written to the ledger: recomputing it later shows whether any of them changed.
    digest = models.CharField(_("content digest"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("received"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    @property
    def waiting(self) -> int:
        """Queued rows no one has decided yet (``queued`` is as at the import)."""
        return ImportRow.objects.filter(run=self, outcome=Outcome.QUEUED, decision="").count()


class ImportRow(models.Model):
    run = models.ForeignKey(ImportRun, on_delete=models.PROTECT, related_name="row_set")
    # Denormalised from the run: "the same row from the same source" is one constraint.
    source = models.ForeignKey("evidence.Source", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("row"))
    row_hash = models.CharField(_("row hash"), max_length=64)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    probability = models.FloatField(_("probability of the best candidate"), null=True)
    reason = models.CharField(_("reason"), max_length=24, choices=Reason.choices, blank=True)
    # [{"person": id, "handle": "P-0017", "probability": 0.93, "explanation": {...}}]
    candidates = models.JSONField(_("candidates"), default=list, blank=True)
    # The row as parsed: identity fields and the claim it asserts (see reconcile.rows),
    # as JSON sealed with the data key of IMPORT_ROW_CLASS and bound to the row's source
    # and hash (``seal_data``); read and set through ``data``.
    sealed = models.TextField(_("parsed row (sealed)"))
    claim = models.ForeignKey(
        "evidence.Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        ordering = ["run_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["source", "row_hash"], name="one_row_per_source"),
        ]
        indexes = [models.Index(fields=["outcome", "decision"], name="reconcile_row_queue")]

    _data: dict[str, Any] | None = None

    def __str__(self) -> str:
        return f"{self.run_id}:{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # ``update_fields=["data"]`` saves the column that holds it.
        fields = kwargs.get("update_fields")
        if fields is not None and "data" in fields:
            kwargs["update_fields"] = ["sealed" if f == "data" else f for f in fields]
        super().save(*args, **kwargs)

    @property
    def data(self) -> dict[str, Any]:
        """The row as parsed, opened once per instance; ``ring.Undecryptable`` when its
        ciphertext does not open (never shown half-read or as another row's)."""
        if self._data is None:
            what = gettext("import row %(row)s") % {"row": self}
            self._data = open_data(self.source_id, self.row_hash, self.sealed, what)
        return self._data

    @data.setter
    def data(self, value: dict[str, Any]) -> None:
        """Sealed at once for this row's source and hash (set those first); stored when
        the row is saved (``update_fields``: "data" or "sealed")."""
        self.sealed = seal_data(self.source_id, self.row_hash, value)
        self._data = value

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._data = None  # opened again from the row


class Merge(models.Model):
    """Two people found to be one: ``merged`` now counts as ``survivor``.

    Holds exactly what the merge changed, so a split restores it: the memberships moved
    to the survivor, and those dropped because the survivor was already named on the
    same agreement (with their ids and dates, recreated as they were).
    """

    survivor = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    moved_memberships = models.JSONField(default=list)  # [membership id]
    dropped_memberships = models.JSONField(default=list)  # [{"id", "agreement", "named_on"}]
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)
    split_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    split_at = models.DateTimeField(_("split at"), null=True, blank=True)
    split_reason = models.TextField(_("reason for the split"), blank=True)

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.merged_id}→{self.survivor_id}"


class JobState(models.TextChoices):
    """Where an import started from the web (or the API) stands; see reconcile.jobs."""

    UPLOADED = "uploaded", _("Uploaded")
    MAPPED = "mapped", _("Columns mapped")
    DRY_RUN_RUNNING = "dry_run_running", _("Checking")
    DRY_RUN_DONE = "dry_run_done", _("Checked")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed (nothing written)")
    ABANDONED = "abandoned", _("Discarded")


class ImportJob(models.Model):
    """An import prepared and run from the staff pages or the API, step by step: the file
    uploaded, its columns mapped, a dry run, then the import, both in the background.

    The uploaded file is kept under ``DATA_DIR/uploads/imports/`` by a random name (never
    served, never named in an address) only while the job needs it; once the job is done,
    failed or discarded it is deleted and only its SHA-256 stays. A job is seen by the
    person who made it and by verifiers and administrators (``reconcile.jobs``).
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The file: the name it was uploaded with (for display only), and where it is kept.
    file_name = models.CharField(_("file name"), max_length=255)
    stored_name = models.CharField(_("stored as"), max_length=64, blank=True)
    sha256 = models.CharField(_("file SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    format = models.CharField(_("format"), max_length=8)
    # A CSV's text encoding when the person named it; empty: detected.
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    headers = models.JSONField(_("the file's headers"), default=list, blank=True)
    # The options, as for `detente import`.
    source = models.ForeignKey(
        "evidence.Source", on_delete=models.PROTECT, related_name="+", verbose_name=_("source")
    )
    agreement = models.ForeignKey(
        "agreements.Agreement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agreement"),
    )
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.MATCH)
    reported_on = models.DateField(_("reported on"), null=True, blank=True)
    default_status = models.CharField(_("default status"), max_length=32, blank=True)
    default_event_date = models.DateField(_("default event date"), null=True, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    link_above = models.FloatField(_("link at or above"))
    review_above = models.FloatField(_("review at or above"))
    # Where it stands, and how far the background task has gone.
    state = models.CharField(
        _("state"), max_length=16, choices=JobState.choices, default=JobState.UPLOADED
    )
    task_id = models.CharField(_("background task"), max_length=64, blank=True)
    # The language of the person who started the step: the task's messages are in it.
    language = models.CharField(_("language"), max_length=16, blank=True)
    phase = models.CharField(_("phase"), max_length=16, blank=True)
    done = models.PositiveIntegerField(_("rows done"), default=0)
    total = models.PositiveIntegerField(_("rows in all"), default=0)
    progress_at = models.DateTimeField(_("progress reported at"), null=True, blank=True)
    # What the dry run found, and what the import did (Summary.as_dict()).
    dry_run_summary = models.JSONField(_("dry run"), null=True, blank=True)
    summary = models.JSONField(_("result"), null=True, blank=True)
    run = models.ForeignKey(
        ImportRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("import"),
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-id"]
        indexes = [models.Index(fields=["created_by", "state"], name="reconcile_job_owner")]

    def __str__(self) -> str:
        return f"job {self.pk}"
