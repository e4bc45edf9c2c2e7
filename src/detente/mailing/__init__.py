"""Updates by email: mailing lists, double opt-in, digests, one-click unsubscribe."""
