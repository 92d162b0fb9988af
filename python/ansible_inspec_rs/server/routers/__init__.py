"""The routers of the REST interface (mounted under /api/v1 by the app)."""
