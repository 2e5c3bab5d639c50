"""What the municipality reads: the dashboard's counts and the gap report."""
