"""Reconciling other organisations' lists with the registry: imports, the match review queue of
uncertain matches, merging and splitting people, and duplicates within the registry."""
