"""HTML written in Python for pages whose template loops cost too much (the person page).

``esc`` writes what ``{{ value }}`` writes (Django's ``conditional_escape``) for a value
already made, without its checks for lazy text: it runs for every cell of a long page.
"""

from __future__ import annotations

import html
from typing import Any


def esc(value: Any) -> str:
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))
