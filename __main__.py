"""Todo Chatbot stack: build and push the three images, create the Secrets, install the Helm chart."""

import os

import pulumi

from components.cluster import Cluster, ClusterArgs
from components.images import Images, ImagesArgs
from components.kubecontext import context_problem, is_minikube
from components.preflight import registry_problem
from components.release import ChatbotRelease, ChatbotReleaseArgs, SecretNames, chart_fullname
from components.secrets import AppSecrets, AppSecretsArgs
from components.settings import ConfigError, load_settings

# The whole config map too, so a misspelt key is reported instead of silently ignored.
settings = load_settings(pulumi.Config(), pulumi.get_stack(), pulumi.runtime.config.CONFIG.get())

# Network preflights; the mock tests (no cluster, no registry) switch them off with TODO_PREFLIGHT=off.
preflight = os.environ.get("TODO_PREFLIGHT", "on") != "off"

# A preview against a cluster that does not answer skips every server-side check: say so.
if preflight and pulumi.runtime.is_dry_run():
    problem = context_problem(settings.cluster.kube_context)
    if problem:
        pulumi.log.warn(
            f"{problem}: this preview ran without the API server's dry run, so it cannot show admission,"
            " schema or conflict errors. Start the cluster (minikube start) or fix kubeContext"
            f" (pulumi config set kubeContext <context> --stack {settings.stack})."
        )

# An update pushes every image: stop before the builds when the registry does not answer.
if (
    preflight
    and not pulumi.runtime.is_dry_run()
    and (problem := registry_problem(settings.images.registry_server))
):
    raise ConfigError(
        f"{problem}: the images cannot be pushed. Start it (Minikube: minikube addons enable registry,"
        " then scripts/up forwards localhost:5000) or point the stack at one that answers"
        f" (pulumi config set registry HOST[:PORT] --stack {settings.stack})."
    )

# Images first: a missing Dockerfile stops the program before anything is declared.
images = Images(
    "images",
    ImagesArgs(
        context=".",
        registry=settings.images.registry,
        registry_server=settings.images.registry_server,
        platform=settings.images.platform,
        build_on_preview=settings.images.build_on_preview,
        agent_engine=settings.release.agent.engine,
        base_images=settings.images.base_images,
        postgres_source=settings.images.postgres_source
        if settings.release.database.mode == "inCluster"
        else None,
        registry_username=settings.images.registry_username,
        registry_password=settings.secrets.registry_password,
    ),
)

cluster = Cluster(
    "cluster", ClusterArgs(kube_context=settings.cluster.kube_context, namespace=settings.cluster.namespace)
)

in_cluster = settings.release.database.mode == "inCluster"
secrets = AppSecrets(
    "secrets",
    AppSecretsArgs(
        namespace=cluster.namespace,
        provider=cluster.provider,
        in_cluster_database_host=f"{chart_fullname(settings.release.name)}-postgresql"
        if in_cluster
        else None,
        database_url=None if in_cluster else settings.secrets.database_url,
        openai_api_key=settings.secrets.openai_api_key if settings.release.agent.engine == "openai" else None,
    ),
)

release = ChatbotRelease(
    "release",
    ChatbotReleaseArgs(
        settings=settings.release,
        namespace=cluster.namespace,
        kube_context=settings.cluster.kube_context,
        provider=cluster.provider,
        images=images.references,
        database_image=images.database,
        minikube=is_minikube(settings.cluster.kube_context),
        secret_names=SecretNames(
            app=secrets.app_secret_name,
            database=secrets.database_secret_name,
            llm=secrets.llm_secret_name,
            revision=secrets.revision,
        ),
        depends_on=[*images.resources.values(), *secrets.secrets],
    ),
)

pulumi.export("namespace", cluster.namespace)
pulumi.export("kubeContext", settings.cluster.kube_context)
pulumi.export("releaseName", release.release_name)
pulumi.export("releaseStatus", release.status)
pulumi.export("frontendService", release.frontend_service)
pulumi.export("url", release.url)
pulumi.export("openCommand", release.open_command)
if settings.release.frontend_service.type == "NodePort":
    pulumi.export("nodePort", settings.release.frontend_service.node_port)
pulumi.export("images", images.repo_digests)
