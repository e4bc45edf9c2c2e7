"""Name matching for Detente: who on one list is who on another. See docs/matching.md.

The engine is pure Python (numpy, scipy, rapidfuzz; no Django imports), so importers,
management commands, benchmarks and tests can all use it:

* :mod:`detente.matching.names` folds, normalises and parses Spanish-language personal names
  and builds a Spanish phonetic key; :mod:`detente.matching.hypocoristics` holds the name data
  (nicknames, given-name vocabulary, abbreviations).
* :mod:`detente.matching.records` -- the records compared, with their features computed once.
* :mod:`detente.matching.comparisons` -- the comparison levels of each field.
* :mod:`detente.matching.model` -- the Fellegi-Sunter model: weights, term frequencies,
  calibrated probabilities, explanations, estimation by EM.
* :mod:`detente.matching.index` -- the in-memory candidate index (top-k queries, kept current).
* :mod:`detente.matching.linkage` -- batch work: blocking, training, one-to-one links,
  duplicates.

The Django side: :mod:`detente.matching.registry` (the registry's index, kept current),
:mod:`detente.matching.selectors` (``match_query``), :mod:`detente.matching.labels`
(translatable explanation labels) and the ``detente match`` command.
"""
