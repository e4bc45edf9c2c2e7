"""The registry as candidates for one list (:class:`Linker`): its candidate index, the
linkage model (estimated on the list when it is large enough, from a fixed random sample of
its rows) and the decision rule."""

from __future__ import annotations

import copy
import random
from dataclasses import asdict
from typing import Any

from detente.matching.index import CandidateIndex
from detente.matching.linkage import train
from detente.matching.model import LinkageModel, TermFrequencies
from detente.matching.pipeline import Policy, Scorer
from detente.matching.records import Record
from detente.reconcile.models import Mode
from detente.reconcile.rows import ParsedRow

# Below this many rows a list says too little to estimate a model of its own: the registry's
# model (the defaults, or the one saved) is used as it is.
TRAIN_MIN_ROWS = 1000
# Rows (a fixed random sample) the model is estimated on; more add time, not accuracy.
TRAIN_SAMPLE = 10_000
# Loading an organisation's own list: the share of its rows expected to repeat a person
# already there (a few typed twice). A small prior share makes a link need strong evidence.
OWN_LIST_SHARE = 0.05


class _Sampler:
    """A fixed random sample of a list's rows (reservoir sampling with a fixed seed: the
    same file gives the same sample), as the engine's records."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.records: list[Record] = []
        self._seen = 0
        self._rng = random.Random(0)  # noqa: S311 -- a sample for estimation, not security

    def offer(self, parsed: ParsedRow) -> None:
        self._seen += 1
        if len(self.records) < self.size:
            self.records.append(parsed.record(("sample", parsed.number)))
            return
        at = self._rng.randrange(self._seen)
        if at < self.size:
            self.records[at] = parsed.record(("sample", parsed.number))


class Linker:
    """The registry as candidates for one list: the candidate index over its people (merged
    ones left out), its term frequencies, the model and the decision rule of this import.

    People the import creates are filed into the same index as it goes (keyed
    ``("new", row)``), so a later row naming the same person finds them.
    """

    def __init__(self, index: CandidateIndex, model: LinkageModel | None = None) -> None:
        self.index = index
        self.model = model if model is not None else copy.deepcopy(index.model)
        self.scorer = Scorer(self.model, index.tf, len(index))
        self.policy = Policy()
        self.training: dict[str, Any] = {"estimated": False}
        # The people this import creates, filed apart from the registry's index: the
        # registry's never changes during an import, so a worker holding a copy of it
        # (see _Proposer) proposes exactly what this process would.
        self.made = CandidateIndex(self.model)

    def prepare(
        self, sample: list[Record], rows: int, *, mode: str, link_above: float, review_above: float
    ) -> None:
        """Estimate the model on the list (when it is large enough), calibrate it for the
        population the rows may belong to, and set the thresholds."""
        self.policy = Policy(link_above=link_above, review_above=review_above)
        if len(sample) >= TRAIN_MIN_ROWS and len(self.index) >= TRAIN_MIN_ROWS:
            report = train(self.index, sample, model=self.model)
            self.training = {
                "estimated": True,
                "sample": len(sample),
                "pairs": report.candidate_pairs,
                "expected_matches": round(report.expected_matches, 1),
            }
        else:
            self.training = {"estimated": False, "sample": len(sample)}
        if mode == Mode.OWN:
            self.model.match_share = OWN_LIST_SHARE
        # How common a name is: in the registry, or, when the registry is empty or young
        # (an organisation loading its own list), in the list itself.
        tf = self.index.tf
        if len(self.index) < TRAIN_MIN_ROWS and len(sample) > len(self.index):
            tf = TermFrequencies.from_records([*self.index.records(), *sample])
        # The people a row may be: the registry and, at most, one new person per row.
        self.scorer = Scorer(self.model, tf, len(self.index) + rows)
        self.made = CandidateIndex(self.model)

    def describe(self) -> dict[str, Any]:
        """What is kept with the run: the parameters and how they were obtained."""
        return {**self.model.to_dict(), "training": self.training, "policy": asdict(self.policy)}


def registry_linker() -> Linker:
    """The registry's people (merged ones left out), with the registry's model (the
    defaults, or one saved) and term frequencies: from the saved candidate index when it is
    current (see ``matching.registry``), so an import does not file 100,000 people anew."""
    from detente.matching.registry import private_index

    return Linker(private_index())
