"""Who may do what. Every selector and service asks here; nothing else decides access."""
