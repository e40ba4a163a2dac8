"""The consoles: server-rendered pages (Jinja2, htmx, live data over the SSE streams) on the same services and
permission guards as the API. `admin/` is the operator's console at /admin."""
