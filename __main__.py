"""Todo Chatbot stack: build and push the three service images (and copy PostgreSQL's), create the
Secrets, install the Helm chart."""

import pulumi

from components import preflight
from components.aiops import AiOps, AiOpsArgs
from components.images import Images, ImagesArgs
from components.interrupt import exit_quietly_on_interrupt
from components.kubecontext import is_minikube
from components.names import LLM_SECRET, component_name
from components.release import ChatbotRelease, ChatbotReleaseArgs, SecretNames
from components.secrets import AppSecrets, AppSecretsArgs
from components.services import SERVICE_NAMES
from components.settings import current_stack_config, load_settings
from components.target import KubeTarget, KubeTargetArgs

# The engine stops a run early with SIGINT; the program then leaves without a traceback.
exit_quietly_on_interrupt()

settings = load_settings(current_stack_config(), pulumi.get_stack())
for unused in settings.warnings:
    pulumi.log.warn(unused)

# A silent cluster (preview) or registry (up) is named before anything is declared.
preview_cluster_answers = preflight.check(settings)
platform = preflight.platform(settings)
if platform.warning:
    pulumi.log.warn(platform.warning)
else:
    pulumi.log.info(f"images are built for {platform.platform}: {platform.reason}")

# Images first: a missing Dockerfile stops the program before anything is declared.
images = Images(
    "images",
    ImagesArgs(
        context=".",
        registry=settings.images.registry,
        registry_server=settings.images.registry_server,
        platform=platform.platform,
        build_on_preview=settings.images.build_on_preview,
        agent_engine=settings.release.agent.engine,
        base_images=settings.images.base_images,
        postgres_source=settings.images.postgres_source
        if settings.release.database.mode == "inCluster"
        else None,
        registry_username=settings.images.registry_username,
        registry_password=settings.secret_config.registry_password,
    ),
)

target = KubeTarget(
    "cluster",
    KubeTargetArgs(
        kube_context=settings.cluster.kube_context,
        namespace=settings.cluster.namespace,
        adopt_namespace=settings.cluster.adopt_namespace,
    ),
)

in_cluster = settings.release.database.mode == "inCluster"
app_secrets = AppSecrets(
    "secrets",
    AppSecretsArgs(
        namespace=target.namespace,
        release_name=settings.release.name,
        in_cluster_database=in_cluster,
        database_url=settings.secret_config.database_url,
        openai_api_key=settings.secret_config.openai_api_key,
    ),
    # Components hand their providers to their children: every Secret goes to the stack's context.
    pulumi.ResourceOptions(providers=[target.provider]),
)

release = ChatbotRelease(
    "release",
    ChatbotReleaseArgs(
        settings=settings.release,
        namespace=target.namespace,
        kube_context=settings.cluster.kube_context,
        images=images.references,
        database_image=images.database,
        minikube=is_minikube(settings.cluster.kube_context),
        diff_objects=preview_cluster_answers,
        secret_data=app_secrets.planned_data,
        secret_names=SecretNames(
            app=app_secrets.app_secret_name,
            database=app_secrets.database_secret_name,
            llm=app_secrets.llm_secret_name,
            revision=app_secrets.revision,
        ),
    ),
    # Pods must find their images pushed and their Secrets present, or the rollout would stall.
    pulumi.ResourceOptions(providers=[target.provider], depends_on=[images, app_secrets]),
)

if settings.ai_ops.enabled and settings.secret_config.openai_api_key is not None:
    ai_ops = AiOps(
        "aiops",
        AiOpsArgs(
            settings=settings.ai_ops,
            app_namespace=target.namespace,
            app_deployments=[component_name(settings.release.name, service) for service in SERVICE_NAMES],
            openai_api_key=settings.secret_config.openai_api_key,
            llm_secret=component_name(settings.release.name, LLM_SECRET),
            openai_base_url=settings.release.agent.openai_base_url,
        ),
        # The agent's Role names the release's Deployments, which exist once the release is up.
        pulumi.ResourceOptions(providers=[target.provider], depends_on=[release]),
    )
    pulumi.export("aiOpsAgent", pulumi.Output.concat(ai_ops.namespace, "/", ai_ops.agent_name))

pulumi.export("namespace", target.namespace)
pulumi.export("kubeContext", settings.cluster.kube_context)
pulumi.export("releaseName", release.release_name)
pulumi.export("releaseStatus", release.status)
pulumi.export("frontendService", release.frontend_service)
pulumi.export("url", release.url)
pulumi.export("openCommand", release.open_command)
if settings.release.frontend_service.type == "NodePort":
    pulumi.export("nodePort", settings.release.frontend_service.node_port)
pulumi.export("images", images.repo_digests)
pulumi.export("platform", platform.platform)
pulumi.export("platformChosenBy", platform.reason)
