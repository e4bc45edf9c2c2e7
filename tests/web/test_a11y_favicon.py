"""The site's icon at /favicon.ico, where browsers and feed readers ask for it unasked (the
pages link the SVG; an answer of 404 there fills logs and leaves some browsers iconless)."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image


@pytest.mark.django_db
def test_favicon_ico_is_the_sites_icon_in_three_sizes() -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/vnd.microsoft.icon"
    assert "public" in response["Cache-Control"] and "max-age=86400" in response["Cache-Control"]
    icon = Image.open(io.BytesIO(response.content))
    assert icon.format == "ICO"
    assert {(16, 16), (32, 32), (48, 48)} <= icon.info["sizes"]
    icon.size = (32, 32)  # type: ignore[misc]
    pixels = icon.convert("RGBA")
    # The SVG's colours where the SVG has them: the blue ground, the white "D", the green
    # seal, and the corner left clear by the rounding.
    # (within a few steps: scaling down blends the edges a little).
    for (x, y), colour in {(4, 16): "#0b4f8a", (9, 16): "#ffffff", (22, 26): "#0b6b3a"}.items():
        want = bytes.fromhex(colour[1:])
        got = pixels.getpixel((x, y))
        assert all(abs(a - b) <= 8 for a, b in zip(got[:3], want, strict=True)), (x, y, got)
    assert pixels.getpixel((0, 0))[3] == 0


@pytest.mark.django_db
def test_favicon_ico_answers_only_reading_requests() -> None:
    assert Client().post("/favicon.ico").status_code == 405
