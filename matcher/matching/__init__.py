"""Matching: eligibility, hard constraints, tiers, fit score and reasons (domain.md §5–§6)."""
