"""The API's operations, one module per resource; each only calls selectors and services."""
