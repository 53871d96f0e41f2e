"""Lambda entry points: thin adapters over the domain modules of ``lambda_src``."""
