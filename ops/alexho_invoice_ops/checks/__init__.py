"""The checks of ``alexho-realtime check``, one module per check (or family of checks)."""
