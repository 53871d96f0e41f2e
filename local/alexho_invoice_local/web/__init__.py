"""The demo page of the local stack: an admin and customers ``cust-42`` and ``cust-99`` side by
side, each with its own client and token, and buttons that publish the seed scenario.

The page (``frontend/demo``, built from the TypeScript package by ``make setup``) is served on
loopback together with two small JSON endpoints: connect tokens minted from the stack's secret,
and the scenario steps published through the publisher SDK.
"""
