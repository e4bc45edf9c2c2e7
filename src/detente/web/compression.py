"""Compressed answers for the public: gzip for text sent to anyone not signed in.

Django's ``GZipMiddleware``, placed just inside WhiteNoise (which sends its own precompressed
static files, and which this never sees) and just outside ``PublicCopyMiddleware``, so the
public pages' kept copies are compressed too, whether sent from memory or from a file.

BREACH (compression as a side channel: an attacker who can put text of their own into a
page beside a secret, and measure the compressed size of many answers, can read the secret
a character at a time). What is compressed here, and why it is safe:

* anonymous answers only. They hold public data: the kept public pages, the sign-in form,
  the subscription pages. Their one secret is Django's CSRF token, which is masked afresh on
  every response (a new random mask each time), so it cannot be recovered this way; and
  Django adds random bytes to each gzip header (``max_random_bytes``), which blurs sizes.
* answers to a signed-in user are never compressed. They hold what may be the most
  sensitive text here (names disclosed to that user only, protected sources) next to what
  the user typed or a link put in the address (searches, filters) — exactly what BREACH
  needs. They are small, sent with ``no-store``, and are not worth the risk.

Only text is compressed (HTML, CSV, JSON, SVG, plain text): a PDF or an image is compressed
already. A 304 says ``Vary: Accept-Encoding`` like the 200 it stands for, so a cache never
pairs a compressed body with a client that cannot read it. The ETag of a compressed answer
becomes weak (Django's rule, RFC 9110); a conditional request with it still matches, as the
comparison for ``If-None-Match`` is the weak one.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.utils.cache import patch_vary_headers

TEXT_TYPES = ("text/", "application/json", "image/svg+xml", "application/xml")


class PublicGZipMiddleware(GZipMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return response  # never compressed: see BREACH above
        if response.status_code == 304:
            # The same Vary and ETag as the compressed 200 it stands for.
            patch_vary_headers(response, ("Accept-Encoding",))
            etag = response.get("ETag", "")
            accepts = re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
            if accepts and etag.startswith('"'):
                response["ETag"] = "W/" + etag
            return response
        if not response.get("Content-Type", "").startswith(TEXT_TYPES):
            return response
        return super().process_response(request, response)
