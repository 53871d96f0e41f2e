"""``alexho-local``: the command line, its listening client and the seed scenario."""
