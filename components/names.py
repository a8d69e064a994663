"""Every object's name: `<releaseName>-<component>` (todo-chatbot-backend, todo-chatbot-app).

The program hands the release name to the chart as `fullnameOverride`, and the chart names each of
its objects `<fullnameOverride>-<component>`; the program names its own Secrets the same way. So the
program needs no copy of Helm's naming helpers, and two releases can share a namespace.
"""

from __future__ import annotations

# The Secrets the program writes and the chart reads by name, by their component (docs/contracts.md).
APP_SECRET = "app"
DATABASE_SECRET = "database"
LLM_SECRET = "llm"


def component_name(release_name: str, component: str) -> str:
    """The name of one of the release's objects (a Deployment, Service, StatefulSet or Secret)."""
    return f"{release_name}-{component}"
