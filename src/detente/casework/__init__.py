"""Casework: the file kept on each person and agreement (interventions, notes, tasks)."""
