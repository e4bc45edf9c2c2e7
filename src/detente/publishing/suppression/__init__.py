"""Small-cell suppression for fixed public tables, with an attacker's audit.

What is published
-----------------
A :class:`Table` (rows x columns of counts of people) is published as a
:class:`PublishedTable`: every cell, every row total, every column total and the grand total,
each either a number or ``None`` (suppressed). Nothing else is ever answered about the data:
free count queries would allow differencing attacks that no suppression pattern can stop.

Rules (``threshold`` t, default 5)
----------------------------------
* **Primary suppression.** Any value ``v`` with ``1 <= v < t`` is suppressed: cells *and*
  margins, since a row total of 3 says "3 people from this province" just as a cell would.
* **Zeros are always published**, and a zero is never used as a complement. A zero reveals
  no individual, and publishing every zero lets the rules be stated plainly: an attacker then
  knows that every suppressed value is at least 1, and the audit below grants the attacker
  exactly that knowledge (``suppressed_min=1``). The price, accepted and documented: a zero
  reveals a *composition*. If a province's row is ``[0, 3, 0]``, the zeros say that everybody
  counted there has the middle status. What is protected is the *number* of such people: the
  3 and the row total are suppressed and, by the default ``protection="range"``, the attacker
  cannot even tell that the number is below t (see below). Callers who must hide
  compositions should publish coarser tables.
* **Complementary suppression.** First the line rules, on every line (a row or column with
  its total; the row totals or column totals with the grand total): no line keeps a single
  hidden value, and hidden values under a published total must leave room for a small one to
  reach t. Then the audit below; for each value it rejects, the first nearby value (sharing
  a line; smallest non-zero, cells before margins, ties by position) whose suppression makes
  it pass is suppressed, and so on until the audit passes. Deterministic.
* **Protection.** For every suppressed value, over all non-negative solutions of the
  attacker's linear system (every published cell and margin, every published value of the
  other tables in the same set, the equalities that tie shared margins across tables, and
  suppressed values >= 1):

  - ``"exact"``: the value is not determined (the solutions give it at least two integer
    values);
  - ``"range"`` (default): in addition, no primary value can be narrowed into
    ``[1, t - 1]``; its feasible interval reaches t or more, so the attacker cannot even
    learn that the cell is small.

  Suppressing every non-zero value always satisfies both (the published zeros and the
  margin equalities are then homogeneous, so scaling the true tables up is a solution), so
  the greedy search below always ends with a safe pattern.

Several tables about one population
-----------------------------------
:func:`suppress_together` takes tables that count the *same people*. An axis of one table
whose label set equals an axis of another table is the same variable (say "province"): the
two tables then share those margins, which are suppressed in both or in neither, and the
audit includes the equalities between them. All grand totals are the same number. Margins of
shared axes and the grand totals must agree, or ``ValueError`` is raised. The two axes of one
table may carry the same labels (a transition table, province of arrest x province of
detention); they are then distinct variables, but no other table may use that label set
(ambiguous). Two tables over the same pair of variables are refused (publish one).

When three or more tables form a cycle of variables (province x status, status x month,
month x province), an attacker can do better than the linked system by reading them as margins
of one cross-classification of the population (Frechet-type bounds). For such sets the
suppression is also audited against that *joint* system, restricted to the tables on cycles
(over real solutions: see limitations below). Tree-shaped sets gain nothing from it.

Guarantees and limitations
--------------------------
* Linked system: audited over integer solutions (integer programs run only when a linear
  program's optimum is fractional, which the network structure of one table, or of a tree
  of tables, avoids).
* Joint system (cycles only): audited over real solutions, a value counting as undetermined
  only if it can move by a whole unit; integer bounds there are NP-hard in general and may be
  tighter. Cycles whose cross-classification exceeds :data:`MAX_JOINT_CELLS` are refused.
* The pattern of suppression itself is not treated as information (standard practice).
* Zeros reveal compositions (see above).

Positions
---------
Values are addressed as ``(table name, row, column)``; a row total is ``(name, i, -1)``, a
column total ``(name, -1, j)`` and the grand total ``(name, -1, -1)``.

The package, one job a module:

* :mod:`.tables`: what goes in and what comes out (:class:`Table`, :class:`PublishedTable`)
  and the checks on the arguments every entry point shares;
* :mod:`.layout`: where every value of a set of tables sits, which values are one quantity
  seen from several tables, and the lines (values adding up to a total) the rules run on;
* :mod:`.system`: the attacker's linear system and how far it narrows a hidden value;
* :mod:`.pattern`: choosing what to suppress (:func:`suppress`, :func:`suppress_together`);
* :mod:`.audit`: the attacker's audit of a publication (:func:`recoverable_cells`,
  :func:`narrowed_cells`, :func:`feasible_interval`, :func:`audit_sums`).
"""

from detente.publishing.suppression.audit import (
    audit_sums,
    feasible_interval,
    narrowed_cells,
    recoverable_cells,
)
from detente.publishing.suppression.layout import MAX_JOINT_CELLS
from detente.publishing.suppression.pattern import suppress, suppress_together
from detente.publishing.suppression.tables import (
    DEFAULT_THRESHOLD,
    MARGIN,
    Model,
    Position,
    Protection,
    PublishedTable,
    Table,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "MARGIN",
    "MAX_JOINT_CELLS",
    "Model",
    "Position",
    "Protection",
    "PublishedTable",
    "Table",
    "audit_sums",
    "feasible_interval",
    "narrowed_cells",
    "recoverable_cells",
    "suppress",
    "suppress_together",
]
