"""The public site and, later, the staff application: thin views over selectors."""
