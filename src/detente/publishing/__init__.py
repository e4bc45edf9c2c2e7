"""Public statistics without re-identification.

Detente publishes counts only as fixed two-dimensional tables (rows x columns with row,
column and grand totals), never as free count queries. :mod:`detente.publishing.suppression`
hides small cells (primary suppression) and enough other values (complementary suppression)
that no hidden value can be recomputed from what is published, within one table or across
several tables about the same population. It also provides the attacker's audit used by the
tests: :func:`~detente.publishing.suppression.recoverable_cells`,
:func:`~detente.publishing.suppression.narrowed_cells` and
:func:`~detente.publishing.suppression.feasible_interval`.

Pure Python (numpy, scipy); no Django.
"""
