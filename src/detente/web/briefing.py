"""An agreement's briefing as a PDF: the agreement page as its viewer sees it, printed.

The page already prints as a briefing (its print stylesheet keeps the figures, the chart,
the list and the method note, and drops the navigation); the PDF is that page rendered by
WeasyPrint, so the two never disagree. Names are those the viewer may see, recorded in the
ledger as seen by a briefing (``agreement.briefing``). WeasyPrint reads only the site's own
static files, from disk: a briefing never makes a network request.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders


def _static_file(url: str) -> Path | None:
    """The file behind a URL of the site's static files, if it is one."""
    prefix = settings.STATIC_URL or "/static/"
    marker = prefix if prefix.startswith("/") else "/" + prefix
    at = url.find(marker)
    if at < 0:
        return None
    name = url[at + len(marker) :].split("?", 1)[0].split("#", 1)[0]
    if not name or ".." in Path(name).parts:
        return None
    found = finders.find(name)
    if found is None and settings.STATIC_ROOT:
        candidate = Path(settings.STATIC_ROOT) / name
        found = str(candidate) if candidate.is_file() else None
    return Path(found) if found else None


def render_pdf(html: str, base_url: str) -> bytes:
    """``html`` as a PDF; links stay absolute to ``base_url``."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class SiteFiles(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            path = _static_file(url)
            if path is None:
                raise ValueError(f"not one of the site's static files: {url}")
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": kind})

    document = HTML(string=html, base_url=base_url, url_fetcher=SiteFiles())
    return bytes(document.write_pdf())
