"""Anonymised needs profiles (ニーズプロファイル)."""
