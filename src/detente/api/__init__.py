"""The REST API: the same selectors, services and redaction as every other front door."""
