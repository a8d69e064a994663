"""Generated and configured secrets, stored as the Kubernetes Secrets the chart references by name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from pulumi.output import UNKNOWN

from components.names import APP_SECRET, DATABASE_SECRET, LLM_SECRET, component_name

# The LLM key's key in its Secret: docs/contracts.md ("Kubernetes Secrets").
LLM_SECRET_KEY = "api-key"


@dataclass(frozen=True)
class AppSecretsArgs:
    """Where the Secrets go and which optional values the stack config supplies."""

    namespace: pulumi.Input[str]
    # The Secrets are `<release_name>-app|database|llm`, like the release's own objects (names.py).
    release_name: str
    # In-cluster: a generated password only (the chart composes the URL from its own names);
    # external: the URL from config.
    in_cluster_database: bool
    database_url: pulumi.Output[str] | None = None
    openai_api_key: pulumi.Output[str] | None = None


class AppSecrets(pulumi.ComponentResource):
    """Generates the DB password, JWT key and MCP token and writes every secret into Kubernetes Secrets.

    The Secrets use the kubernetes provider given in `opts.providers`, as every child does.
    """

    app_secret_name: pulumi.Output[str]
    database_secret_name: pulumi.Output[str]
    llm_secret_name: pulumi.Output[str]
    revision: pulumi.Output[str]

    def __init__(self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("todo:index:AppSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # Alphanumeric only: safe unquoted in env files, headers and URLs.
        jwt = random.RandomPassword(f"{name}-jwt-secret", length=64, special=False, opts=child)
        mcp = random.RandomPassword(f"{name}-mcp-token", length=48, special=False, opts=child)
        created: list[k8s.core.v1.Secret] = []
        # What each Secret will hold, for the preview's key-level diff (components/release_preview.py);
        # a plain attribute, never an output.
        self.planned_data: dict[str, dict[str, pulumi.Input[str]]] = {}

        def secret(suffix: str, secret_name: str, data: dict[str, pulumi.Input[str]]) -> k8s.core.v1.Secret:
            resource = k8s.core.v1.Secret(
                f"{name}-{suffix}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=secret_name,
                    namespace=args.namespace,
                    labels={
                        "app.kubernetes.io/part-of": "todo-chatbot",
                        "app.kubernetes.io/managed-by": "pulumi",
                    },
                ),
                type="Opaque",
                string_data={key: pulumi.Output.secret(value) for key, value in data.items()},
                opts=child,
            )
            created.append(resource)
            self.planned_data[secret_name] = dict(data)
            return resource

        def named(component: str) -> str:
            return component_name(args.release_name, component)

        app = secret("app", named(APP_SECRET), {"jwt-secret": jwt.result, "mcp-token": mcp.result})

        if args.in_cluster_database:
            # Alphanumeric: the chart writes it into the database URL unescaped.
            password = random.RandomPassword(f"{name}-db-password", length=32, special=False, opts=child)
            database = secret("database", named(DATABASE_SECRET), {"password": password.result})
        else:
            if args.database_url is None:
                raise ValueError("an external database needs database_url (settings validation ensures it)")
            database = secret("database", named(DATABASE_SECRET), {"database-url": args.database_url})

        llm = None
        if args.openai_api_key is not None:
            llm = secret("llm", named(LLM_SECRET), {LLM_SECRET_KEY: args.openai_api_key})

        def name_of(resource: k8s.core.v1.Secret) -> pulumi.Output[str]:
            return resource.metadata.apply(lambda meta: meta.name or "")

        self.app_secret_name = name_of(app)
        self.database_secret_name = name_of(database)
        self.llm_secret_name = name_of(llm) if llm else pulumi.Output.from_input(named(LLM_SECRET))
        # resourceVersion changes exactly when a Secret's content does: the chart mixes it into the pods'
        # checksum/secret annotation, so a rotated secret rolls the pods without exposing any value.
        # In a preview a Secret still to be created has no resourceVersion: the revision is then
        # unknown (the preview's diff shows "(known after up)"), never "." or a half-joined one.
        self.revision = pulumi.Output.all(
            *[s.metadata.apply(lambda meta: meta.resource_version or "") for s in created]
        ).apply(lambda versions: ".".join(versions) if all(versions) else cast(str, UNKNOWN))
        self.register_outputs(
            {
                "app_secret_name": self.app_secret_name,
                "database_secret_name": self.database_secret_name,
                "llm_secret_name": self.llm_secret_name,
                "revision": self.revision,
            }
        )
