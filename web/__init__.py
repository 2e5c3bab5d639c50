"""The web UI and JSON API: a thin adapter over matcher/."""
