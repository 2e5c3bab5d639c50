"""The resource registry (社会資源)."""
