"""The limited formatting a note may carry, checked and rebuilt before it is stored.

A note may hold paragraphs, line breaks, bold, italics, lists and quotations, and nothing
else: no attribute at all (so no link, no style, no event handler), no other element. Text
with anything outside that is refused with an error naming the first thing at fault, so
that what is stored is what the writer sees; what is accepted is rebuilt from the parsed
pieces (text escaped, every element closed) and passed through nh3 with the same
allow-list, so the page can show it as it is.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

import nh3
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from detente.core.errors import invalid

ALLOWED = ("p", "br", "strong", "b", "em", "i", "ul", "ol", "li", "blockquote")
_VOID = frozenset({"br"})
MAX_LENGTH = 20_000


class _Rebuild(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.fault: str | None = None

    def _refuse(self, what: str) -> None:
        if self.fault is None:
            self.fault = what

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED:
            self._refuse(f"<{tag}>")
            return
        if attrs:
            self._refuse(f"<{tag} {attrs[0][0]}=…>")
            return
        self.out.append(f"<{tag}>")
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in self.open and self.open[-1] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ALLOWED:
            self._refuse(f"</{tag}>")
            return
        if tag in _VOID or tag not in self.open:
            return  # a stray closing tag: dropped
        while self.open:
            closing = self.open.pop()
            self.out.append(f"</{closing}>")
            if closing == tag:
                break

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))

    def handle_comment(self, data: str) -> None:
        self._refuse("<!-- -->")

    def handle_decl(self, decl: str) -> None:
        self._refuse(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self._refuse(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self._refuse(f"<![{data}]>")


def clean(field: str, value: object) -> str:
    """The note's text as it will be stored, or a ValidationError on ``field``."""
    if not isinstance(value, str):
        raise invalid(field, _("Expected text."))
    text = value.strip()
    if not text:
        raise invalid(field, _("This field is required."))
    if len(text) > MAX_LENGTH:
        raise invalid(
            field,
            _("At most %(max)d characters (this has %(n)d).") % {"max": MAX_LENGTH, "n": len(text)},
        )
    parser = _Rebuild()
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError):  # malformed markup the parser gives up on
        parser._refuse("<…>")
    if parser.fault is not None:
        raise ValidationError(
            {
                field: [
                    _(
                        "A note may not contain %(what)s. Allowed formatting: %(allowed)s, "
                        "without attributes."
                    )
                    % {
                        "what": parser.fault[:60],
                        "allowed": ", ".join(f"<{t}>" for t in ALLOWED),
                    }
                ]
            }
        )
    parser.out.extend(f"</{tag}>" for tag in reversed(parser.open))
    # What is stored is what nh3 (the Ammonia sanitizer) keeps of the rebuilt text, under
    # the same allow-list: the parser above names what is refused, a well-kept sanitizer
    # has the last word on what a browser will be given.
    return nh3.clean(
        "".join(parser.out),
        tags=set(ALLOWED),
        attributes={},
        strip_comments=True,
        link_rel=None,
    )
