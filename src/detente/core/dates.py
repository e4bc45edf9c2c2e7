"""Dates known only to a year or a month.

Reports about detention often say "arrested in March 2021" or "born 1968". A date is stored
as the first day of the period it names plus a precision, so comparisons can say "certainly
before" only when the whole periods do not overlap.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _


class DatePrecision(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


@dataclass(frozen=True, order=True)
class PreciseDate:
    """A date with a precision; ``value`` is always the first day of the period."""

    value: dt.date
    precision: str = DatePrecision.DAY

    @classmethod
    def of(cls, value: dt.date, precision: str = DatePrecision.DAY) -> PreciseDate:
        if precision == DatePrecision.MONTH:
            value = value.replace(day=1)
        elif precision == DatePrecision.YEAR:
            value = value.replace(month=1, day=1)
        elif precision != DatePrecision.DAY:
            raise ValueError(f"unknown date precision {precision!r}")
        return cls(value, precision)

    @classmethod
    def parse(cls, text: str) -> PreciseDate:
        """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; raise ValueError otherwise."""
        text = text.strip()
        try:
            if len(text) == 4 and text.isdigit():
                return cls(dt.date(int(text), 1, 1), DatePrecision.YEAR)
            if len(text) == 7 and text[4] == "-":
                return cls(dt.date(int(text[:4]), int(text[5:]), 1), DatePrecision.MONTH)
            return cls(dt.date.fromisoformat(text), DatePrecision.DAY)
        except ValueError:
            raise ValueError(f"{text!r} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)") from None

    @property
    def end(self) -> dt.date:
        """The last day of the period."""
        if self.precision == DatePrecision.YEAR:
            return self.value.replace(month=12, day=31)
        if self.precision == DatePrecision.MONTH:
            last = calendar.monthrange(self.value.year, self.value.month)[1]
            return self.value.replace(day=last)
        return self.value

    def certainly_before(self, other: PreciseDate) -> bool:
        return self.end < other.value

    def __str__(self) -> str:
        if self.precision == DatePrecision.YEAR:
            return f"{self.value.year:04d}"
        if self.precision == DatePrecision.MONTH:
            return f"{self.value.year:04d}-{self.value.month:02d}"
        return self.value.isoformat()


def localized(value: dt.date | None, precision: str = DatePrecision.DAY) -> str:
    """A date as a person reads it, in the active language, no more precise than known:
    "17 Dec 2014" / "17 dic 2014", "Mar 1985" / "mar 1985", "1985" (``detente.formats``).
    Machines get ``str(PreciseDate)`` or ISO 8601 instead."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value.year:04d}"
    if precision == DatePrecision.MONTH:
        return date_format(value, "YEAR_MONTH_FORMAT")
    return date_format(value, "DATE_FORMAT")
