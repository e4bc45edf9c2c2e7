"""English: "17 Dec 2014", "Mar 1985", "17 Dec 2014, 14:05" (see ``detente.formats``)."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
YEAR_MONTH_FORMAT = "M Y"
MONTH_DAY_FORMAT = "j M"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
