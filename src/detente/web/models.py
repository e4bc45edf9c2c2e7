"""The public pages as rendered for anonymous visitors, kept in the database so that every
server process (and every server on the same database) serves the same copy, made once per
change to the data (see ``detente.web.pages``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RenderedPage(models.Model):
    """One public address in one language, as an anonymous visitor gets it."""

    path = models.CharField(_("address"), max_length=500)
    language = models.CharField(_("language"), max_length=12)
    # What the page was made from: the ledger's head (changes only) and the disclosures in
    # force at the time (see pages.data_version); a page of an older version is stale.
    version = models.CharField(_("data version"), max_length=64)
    etag = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)
    rendered_at = models.DateTimeField(_("rendered at"))
    # How long the last render took: a slow page is never rendered while a visitor waits.
    render_seconds = models.FloatField(default=0.0)
    # Set when a visitor was served a stale copy (or none): the worker renders it next.
    wanted_at = models.DateTimeField(null=True, blank=True)
    # Last: SQLite reads the columns stored after a large value through all of its pages.
    content = models.BinaryField()

    class Meta:
        verbose_name = _("rendered public page")
        verbose_name_plural = _("rendered public pages")
        constraints = [
            models.UniqueConstraint(fields=["path", "language"], name="web_page_path_language")
        ]
        indexes = [models.Index(fields=["wanted_at"], name="web_page_wanted")]

    def __str__(self) -> str:
        return f"{self.language} {self.path}"
