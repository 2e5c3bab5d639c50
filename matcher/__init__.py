"""参加支援マッチング: the domain package."""
