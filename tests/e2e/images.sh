# shellcheck shell=bash
# Images for the e2e tier. Sourced by scripts/tiers/e2e.sh after scripts/lib/docker.sh.
#
#   e2e_start_registry     a registry of the tier's own on $E2E_REGISTRY_ADDR (the shared
#                          ensure_registry, pointed at another port and directory)
#   e2e_stop_registry      stops it
#   e2e_build_images       builds backend, mcp and frontend from dockerfiles/ on the stand-in bases,
#                          pushes them to that registry and exports TODO_E2E_IMAGES (JSON:
#                          {service: {repository, tag, digest}}), the chart values Pulumi would set
#   e2e_build_postgres     builds the stand-in PostgreSQL 17 image; exports TODO_E2E_POSTGRES_IMAGE
#
# A build after the images tier's is a BuildKit cache hit (same Dockerfiles, same context), so
# "reuse the images tier's build" costs seconds and a lone `scripts/test e2e` still works.

E2E_DIR="$REPO_ROOT/tests/e2e"
# Our own registry: the images tier's on 127.0.0.1:5000 may be stopped by it while we push.
E2E_REGISTRY_ADDR="127.0.0.1:15880"
E2E_STATE_DIR="$CACHE_DIR/e2e/docker"

e2e_start_registry() { REGISTRY_ADDR="$E2E_REGISTRY_ADDR" DOCKER_STATE_DIR="$E2E_STATE_DIR" ensure_registry; }
e2e_stop_registry() { REGISTRY_ADDR="$E2E_REGISTRY_ADDR" DOCKER_STATE_DIR="$E2E_STATE_DIR" stop_registry; }

# _e2e_build NAME DOCKERFILE BUILD-ARG...: builds and prints the image id.
_e2e_build() {
  local name="$1" dockerfile="$2" log
  shift 2
  local args=() arg
  for arg in "$@"; do args+=(--build-arg "$arg"); done
  log="$CACHE_DIR/e2e/build-$name.log"
  mkdir -p "$CACHE_DIR/e2e"
  dkr build --progress=plain "${args[@]}" -f "$dockerfile" -t "todo-e2e/$name:latest" "$REPO_ROOT" >"$log" 2>&1 \
    || die "building the $name image from $dockerfile failed; the last lines of $log:
$(tail -n 25 "$log")"
  dkr image inspect --format '{{.Id}}' "todo-e2e/$name:latest"
}

e2e_build_images() {
  ensure_standin_bases
  e2e_start_registry
  local service dockerfile id tag repo digest json="{" sep=""
  for service in backend mcp frontend; do
    dockerfile="$REPO_ROOT/dockerfiles/$service.Dockerfile"
    [ -f "$dockerfile" ] || die "$dockerfile is missing; the e2e tier needs all three images (see docs/contracts.md \"Images\")."
    say "e2e: building the $service image (a cache hit after the images tier)"
    id="$(_e2e_build "$service" "$dockerfile" \
      "PYTHON_IMAGE=$STANDIN_PYTHON_IMAGE" "NODE_IMAGE=$STANDIN_NODE_IMAGE" "NGINX_IMAGE=$STANDIN_NGINX_IMAGE")"
    # Content-derived tag, as the Pulumi program's: the image id.
    tag="e2e-${id#sha256:}"
    tag="${tag:0:16}"
    repo="$E2E_REGISTRY_ADDR/todo-$service"
    dkr tag "$id" "$repo:$tag"
    dkr push -q "$repo:$tag" >/dev/null || die "docker push $repo:$tag to the local registry failed; is docker-registry answering on $E2E_REGISTRY_ADDR? (log: $E2E_STATE_DIR/registry/registry.log)"
    digest="$(dkr image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$repo:$tag" | grep -F "$repo@" | head -n1)"
    digest="${digest#*@}"
    [ -n "$digest" ] || die "the registry gave no digest for $repo:$tag; check docker push output."
    json+="$sep\"$service\": {\"repository\": \"$repo\", \"tag\": \"$tag\", \"digest\": \"$digest\"}"
    sep=", "
  done
  export TODO_E2E_IMAGES="$json}"
}

e2e_build_postgres() {
  ensure_standin_bases
  local tag
  tag="$(sha256sum <"$E2E_DIR/postgres.Dockerfile" | cut -c1-12)"
  export TODO_E2E_POSTGRES_IMAGE="todo-e2e/postgres:17-$tag"
  dkr image inspect "$TODO_E2E_POSTGRES_IMAGE" >/dev/null 2>&1 && return 0
  say "e2e: building the stand-in PostgreSQL 17 image (once; about a minute)"
  local log="$CACHE_DIR/e2e/build-postgres.log"
  mkdir -p "$CACHE_DIR/e2e"
  dkr build --progress=plain --build-arg "BASE_IMAGE=$STANDIN_PYTHON_IMAGE" -f "$E2E_DIR/postgres.Dockerfile" \
    -t "$TODO_E2E_POSTGRES_IMAGE" "$E2E_DIR" >"$log" 2>&1 \
    || die "building the stand-in PostgreSQL image failed; the last lines of $log:
$(tail -n 25 "$log")"
}
