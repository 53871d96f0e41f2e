"""The WebSocket gateway that stands in for API Gateway: routes, authorizer, ``@connections``."""
