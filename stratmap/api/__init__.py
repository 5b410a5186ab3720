"""The REST API (``/api/v1/``, django-ninja, OpenAPI 3) and its tokens: a layer beside the web pages, over the
same selectors, services and access checks (ARCHITECTURE.md)."""
