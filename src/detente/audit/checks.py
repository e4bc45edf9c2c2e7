"""``detente check``: the signing key outside the data directory, the witnesses well formed."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning, register

from detente.audit import checkpoints, witnesses


@register()
def signing_key_location(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    path = checkpoints.signing_key_in_data_dir()
    if path is None:
        return []
    target, _public = checkpoints.configured_key_paths()
    return [
        Warning(
            f"The ledger's signing key is in the data directory ({path}).",
            hint=f"Whoever copies the data directory can then sign checkpoints. Move it and "
            f"its .pub to {target.parent} (or set DETENTE_SIGNING_KEY_FILE); see "
            "docs/operations.md.",
            id="detente.W101",
        )
    ]


@register()
def witnesses_configured(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        witnesses.configured()
    except checkpoints.CheckpointError as exc:
        return [Error(str(exc), hint="See docs/operations.md (Witnesses).", id="detente.E101")]
    return []
