"""支援会議・重層的支援会議 and the plans they agree (domain.md §9)."""
