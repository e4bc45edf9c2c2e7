"""Spanish: "17 dic 2014", "mar 1985", "17 dic 2014, 14:05" (see ``detente.formats``).

``b`` is the month's three letters in lower case, as Spanish writes them; ``M`` would
capitalise them ("Dic")."""

DATE_FORMAT = "j b Y"
SHORT_DATE_FORMAT = "j b Y"
YEAR_MONTH_FORMAT = "b Y"
MONTH_DAY_FORMAT = "j b"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j b Y, H:i"
SHORT_DATETIME_FORMAT = "j b Y, H:i"
