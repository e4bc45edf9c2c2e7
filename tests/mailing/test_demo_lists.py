"""The demo arrives with lists to follow (issue 14 point 2: "no mailing lists to follow
yet" was the demo's subscribe page)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.test import Client

from detente.demo.scenario import load_demo


def test_the_demo_offers_lists_to_follow(db: Any, tmp_path: Path, settings: Any) -> None:
    settings.DATA_DIR = tmp_path  # the demo writes its logins there
    load_demo()
    html = Client().get("/updates/").content.decode()
    assert "There are no mailing lists to follow yet." not in html
    assert html.count('type="checkbox" name="lists"') == 2
