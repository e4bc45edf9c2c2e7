"""The staff application's oversight pages: agreements, sources, disclosures, the ledger,
users and API tokens. Shares the staff layout (``staff/base.html``)."""
