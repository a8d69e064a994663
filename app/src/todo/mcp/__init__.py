"""The MCP task server: the task service's functions as MCP tools over streamable HTTP.

``tools`` declares the tools, ``app`` wraps them in an ASGI app with service-token auth and health
probes, and ``__main__`` runs it (the ``todo-mcp`` command).
"""
