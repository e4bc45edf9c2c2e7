"""Name matching for Detente.

Everything here is pure Python with no Django imports, so it can be used from importers,
management commands and tests alike.

* :mod:`detente.matching.names` folds, normalises and parses Spanish-language personal names
  and builds a Spanish phonetic key.
* :mod:`detente.matching.hypocoristics` holds the name data: nickname (hypocoristic) table,
  given-name vocabulary and abbreviation tables.
"""
