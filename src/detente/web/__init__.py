"""The public site: thin views over selectors (the staff pages are the staff and oversight apps)."""
