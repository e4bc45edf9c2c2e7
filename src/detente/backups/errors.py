"""The one error of backups and restores: what went wrong and where, already translated."""

from __future__ import annotations


class BackupError(Exception):
    """A refusal or failure, its message meant for the operator (already translated)."""
