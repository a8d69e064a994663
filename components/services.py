"""The app's services, once: each one's name (the chart's workload and values key, the image's
`todo-<name>` repository, the `<name>Replicas` setting), its Dockerfile and its build inputs. The
images, the settings and the chart values derive from this list; the chart's own list
(`todo-chatbot.workloads`) names the same workloads, which tests/program/test_chart_contract.py
checks, since the chart cannot import Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.settings import AgentEngineName, BaseImages


@dataclass(frozen=True)
class ImageSpec:
    """One image built from the repository: its name, its Dockerfile (relative to the build context),
    the base-image ARGs it takes, and whether the chat engine is a build input (the backend installs
    the OpenAI Agents SDK only for agentEngine=openai)."""

    service: str
    dockerfile: str
    base_args: tuple[str, ...]
    takes_agent_engine: bool = False

    @property
    def replicas_key(self) -> str:
        """The stack setting of its pod count (Pulumi.yaml declares it with its range)."""
        return f"{self.service}Replicas"

    def build_args(self, agent_engine: AgentEngineName, base_images: BaseImages) -> dict[str, str]:
        """The build args, which are also inputs of the image's content tag."""
        args = {arg: image for arg, image in base_images.build_args().items() if arg in self.base_args}
        return {**args, "AGENT_ENGINE": agent_engine} if self.takes_agent_engine else args


SERVICES = (
    ImageSpec("backend", "dockerfiles/backend.Dockerfile", ("PYTHON_IMAGE",), takes_agent_engine=True),
    ImageSpec("mcp", "dockerfiles/mcp.Dockerfile", ("PYTHON_IMAGE",)),
    ImageSpec("frontend", "dockerfiles/frontend.Dockerfile", ("NODE_IMAGE", "NGINX_IMAGE")),
)
SERVICE_NAMES = tuple(spec.service for spec in SERVICES)
