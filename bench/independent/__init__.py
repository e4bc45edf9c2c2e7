"""Independent benchmark data for record linkage (see SPEC.md)."""
