"""Date formats for the pages and emails, one per language (``FORMAT_MODULE_PATH``).

One form everywhere a person reads a date: "17 Dec 2014" in English and "17 dic 2014" in
Spanish, the same in a sentence, a table or a chart. Django's own defaults mix three
("Dec. 17, 2014", "12/17/2014", "17 de diciembre de 2014"), and "12/17/2014" means
another day to half the readers. Times are on the 24-hour clock in both languages. What
machines read (exports, the API, ``--json``, ``<time datetime>``) stays ISO 8601.
"""
