"""Connection authentication: token extraction, JWT verification and the verified identity.

Submodules are imported where needed, so that ``$connect`` (which only reads the identity the
authorizer produced) never pays for PyJWT and ``cryptography`` at cold start.
"""
