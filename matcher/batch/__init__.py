"""The weekly run: re-ranking, capacity-aware assignment, learning and the jobs that carry them."""
