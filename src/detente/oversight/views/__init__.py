"""The oversight pages, one module per page group. Views are thin: a check, a selector
or a service, a template."""
