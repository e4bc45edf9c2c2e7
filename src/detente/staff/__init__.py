"""The staff application: sign-in, dashboard, people, claims and the verification queue."""
