"""Publisher SDK."""
