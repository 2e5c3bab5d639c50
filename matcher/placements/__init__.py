"""Placements: confirming a proposal, the lifecycle that follows, capacity and follow-ups (domain.md §7)."""
