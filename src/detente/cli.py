"""The ``detente`` command.

It is Django's management utility with Detente's settings preselected, so every domain
command (``detente demo``, ``detente agreement status``...) and every Django command
(``detente migrate``) is reachable from one entry point.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["detente", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
