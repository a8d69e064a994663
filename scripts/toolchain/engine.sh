# shellcheck shell=bash
# The real Pulumi engine, built from upstream sources: the CLI, the Python language host and the
# three resource providers the program uses. Sourced after scripts/toolchain/common.sh.
#
#   engine_missing          prints one line per missing tool with the command that builds it
#   ensure_engine_env       puts the built tools on PATH and sets the CLI's offline switches
#   build_engine            builds whatever is missing (idempotent; `scripts/engine build`)
#
# No machine here can download the Pulumi CLI or plugins, so everything is built from source into
# $ENGINE_DIR (outside the repository: a fresh clone reuses it). Each tool has a stamp naming its
# exact version and source; a tool is rebuilt only when its pin changes.

# The CLI comes from the Go module proxy. The proxy does not serve pkg/v3 at the SDK's 3.272.0
# (403), so the CLI is the nearest served release above it; the CLI talks to older SDKs by design.
PULUMI_CLI_VERSION="v3.274.1"
# The language host is its own module, which the proxy does not serve: its source comes from this
# pulumi/pulumi tag (the newest tag the upstream snapshot has), compiled against the CLI's pkg/sdk.
PULUMI_LANGUAGE_HOST_TAG="v3.259.0"
# The random and docker providers are built from their tags; the pins (requirements.txt) are the newest
# tags whose whole dependency graph the Go module proxy serves (random 4.18.4, docker 4.11.1: newer
# tags need pulumi-yaml and pulumi-dotnet versions the proxy refuses with 403).
# The kubernetes provider's source snapshots lack its schema.json (too big for the mirror), but the
# Go module proxy serves the provider module at exactly one commit: the v4.25.0 tag's (f47bc2d6f199),
# complete. So the provider is built from that module and the SDK pin is 4.25.0, an exact pair.
KUBERNETES_PROVIDER_MODULE="github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199"
KUBERNETES_PROVIDER_MODULE_TAG="v4.25.0"
# ENGINE_DIR, ENGINE_BIN and ENGINE_HOME (where scripts/up and scripts/down find this engine too).
source "$REPO_ROOT/scripts/lib/stack.sh"
# Providers stay off PATH (the CLI warns about every "ambient" plugin found there) and are installed
# as regular plugins of ENGINE_HOME, the PULUMI_HOME of everything that uses this engine.
ENGINE_PROVIDERS="$ENGINE_DIR/providers"
ENGINE_LOGS="$ENGINE_DIR/logs"

# provider_version NAME: the provider version = the Python SDK pin in requirements.txt (one source).
provider_version() {
  local pin
  pin="$(grep -E "^pulumi-$1==" "$REPO_ROOT/requirements.txt" | head -n1 | cut -d= -f3)"
  [ -n "$pin" ] || die "requirements.txt pins no pulumi-$1==VERSION; the provider build takes its version from there."
  printf '%s\n' "$pin"
}

# The stamp records what a binary is; the tier trusts a binary only with a stamp of the current pin.
_engine_stamp() { printf '%s/%s.stamp' "$ENGINE_DIR/stamps" "$1"; }
_engine_want() {
  case "$1" in
    pulumi) echo "pulumi-cli $PULUMI_CLI_VERSION" ;;
    pulumi-language-python) echo "language-host $PULUMI_LANGUAGE_HOST_TAG against pkg/sdk $PULUMI_CLI_VERSION" ;;
    pulumi-resource-kubernetes) echo "kubernetes v$(provider_version kubernetes)" ;;
    pulumi-resource-random) echo "random v$(provider_version random)" ;;
    pulumi-resource-docker) echo "docker v$(provider_version docker)" ;;
  esac
}
ENGINE_TOOLS=(pulumi pulumi-language-python pulumi-resource-random pulumi-resource-docker pulumi-resource-kubernetes)

# _engine_path TOOL: where a built tool lives (providers apart from the CLI and language host).
_engine_path() {
  case "$1" in
    pulumi-resource-*) printf '%s/%s\n' "$ENGINE_PROVIDERS" "$1" ;;
    *) printf '%s/%s\n' "$ENGINE_BIN" "$1" ;;
  esac
}

_engine_have() {
  local tool="$1" stamp
  stamp="$(_engine_stamp "$tool")"
  [ -x "$(_engine_path "$tool")" ] && [ -f "$stamp" ] && [ "$(head -n1 "$stamp")" = "$(_engine_want "$tool")" ] \
    && _plugin_installed "$tool"
}

# _plugin_installed TOOL: a provider is usable once installed as a plugin of ENGINE_HOME.
_plugin_installed() {
  local tool="$1" name
  case "$tool" in pulumi-resource-*) ;; *) return 0 ;; esac
  name="${tool#pulumi-resource-}"
  [ -x "$ENGINE_HOME/plugins/resource-$name-v$(provider_version "$name")/$tool" ]
}

# _install_plugin TOOL: registers a built provider under exactly the version it was built as.
_install_plugin() {
  local tool="$1" name version
  name="${tool#pulumi-resource-}"
  version="$(provider_version "$name")"
  PULUMI_HOME="$ENGINE_HOME" "$ENGINE_BIN/pulumi" plugin install resource "$name" "$version" \
    --file "$ENGINE_PROVIDERS/$tool" >/dev/null \
    || die "pulumi plugin install resource $name $version --file $ENGINE_PROVIDERS/$tool failed (see above)."
}

# engine_missing: one line per tool that is absent or built for another pin; silent when complete.
engine_missing() {
  local tool
  for tool in "${ENGINE_TOOLS[@]}"; do
    _engine_have "$tool" || printf '%s (%s) is not built; build it: %s\n' \
      "$tool" "$(_engine_want "$tool")" "$(_engine_build_hint "$tool")"
  done
}

_engine_build_hint() {
  case "$1" in
    pulumi) echo "scripts/engine build   (needs Go and the Go module proxy)" ;;
    pulumi-language-python) echo "PULUMI_SRC=<clone of github.com/pulumi/pulumi> scripts/engine build" ;;
    pulumi-resource-kubernetes) echo "scripts/engine build   (from the Go module proxy)" ;;
    pulumi-resource-random) echo "PULUMI_RANDOM_SRC=<clone of github.com/pulumi/pulumi-random> scripts/engine build" ;;
    pulumi-resource-docker) echo "PULUMI_DOCKER_SRC=<clone of github.com/pulumi/pulumi-docker> TF_PROVIDER_DOCKER_SRC=<clone of github.com/kreuzwerker/terraform-provider-docker> scripts/engine build" ;;
  esac
}

# ensure_engine_env: the built tools first on PATH (the CLI finds the language host and the
# providers there) and the CLI kept offline. Fails naming the missing tools.
ensure_engine_env() {
  local missing
  missing="$(engine_missing)"
  [ -z "$missing" ] || die "the Pulumi engine is incomplete:
$missing"
  export PATH="$ENGINE_BIN:$PATH" PULUMI_HOME="$ENGINE_HOME" PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
  engine_offline
}

# --- building -----------------------------------------------------------------------------------

# _src_dir VAR NAME: the git repository of an upstream source: $VAR, or $TODO_UPSTREAM_SRC/<name>
# (a clone) or $TODO_UPSTREAM_SRC/<owner>+<name>/repo (a mirror). Prints nothing when not found.
_src_dir() {
  local var="$1" owner_name="$2" name candidate
  name="${owner_name#*/}"
  for candidate in "${!var:-}" \
    ${TODO_UPSTREAM_SRC:+"$TODO_UPSTREAM_SRC/$name" "$TODO_UPSTREAM_SRC/${owner_name/\//+}/repo"}; do
    [ -n "$candidate" ] && git -C "$candidate" rev-parse --git-dir >/dev/null 2>&1 && { printf '%s\n' "$candidate"; return 0; }
  done
  return 0
}

# _export_tag REPO TAG DEST PATH...: those paths of the tagged tree, as `git archive` gives them (no
# work tree needed; only what the build reads, since a partial mirror may lack unrelated big files).
_export_tag() {
  local repo="$1" tag="$2" dest="$3"
  shift 3
  git -C "$repo" rev-parse -q --verify "refs/tags/$tag^{commit}" >/dev/null \
    || die "$repo has no tag $tag; fetch the upstream tags (git -C $repo fetch --tags) and run again."
  rm -rf "$dest"
  mkdir -p "$dest"
  git -C "$repo" archive --format=tar -o "$dest.tar" "$tag" -- "$@" \
    || die "git archive $tag of $repo failed (see above): the clone lacks objects of $*; fetch them (git -C $repo fetch origin tag $tag)."
  tar -x -C "$dest" -f "$dest.tar"
  rm -f "$dest.tar"
}

# _timed NAME CMD...: runs CMD with its output in the tool's log; records wall time and peak memory.
_timed() {
  local name="$1"; shift
  mkdir -p "$ENGINE_LOGS"
  say "building $name (log: $ENGINE_LOGS/$name.log)"
  if ! /usr/bin/time -f "$name wall_s=%e max_rss_kb=%M" -a -o "$ENGINE_LOGS/times.txt" "$@" >"$ENGINE_LOGS/$name.log" 2>&1; then
    tail -n 20 "$ENGINE_LOGS/$name.log" >&2
    die "building $name failed; the whole log is $ENGINE_LOGS/$name.log"
  fi
}

# _gomod_dir MODULE@VERSION: downloads a module from the proxy and prints its read-only directory.
_gomod_dir() {
  local json
  json="$(go mod download -json "$1" 2>&1)" || die "the Go module proxy did not serve $1: $(printf '%s' "$json" | jq -r '.Error // empty')"
  printf '%s' "$json" | jq -r .Dir
}

_stamp() { mkdir -p "$ENGINE_DIR/stamps"; { _engine_want "$1"; echo "built $(date -u +%FT%TZ) ${2:-}"; } >"$(_engine_stamp "$1")"; }

_build_cli() {
  local src work
  src="$(_gomod_dir "github.com/pulumi/pulumi/pkg/v3@$PULUMI_CLI_VERSION")"
  work="$ENGINE_DIR/work/pkg"
  rm -rf "$work"
  cp -r "$src" "$work"
  chmod -R u+w "$work"
  # go.mod replaces the sdk with ../sdk (absent from the module zip); it requires the same version.
  (cd "$work" && go mod edit -dropreplace=github.com/pulumi/pulumi/sdk/v3)
  _timed pulumi bash -c "cd '$work' && go build -mod=mod -o '$ENGINE_BIN/pulumi' \
    -ldflags '-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_CLI_VERSION' ./cmd/pulumi"
  [ "$("$ENGINE_BIN/pulumi" version)" = "$PULUMI_CLI_VERSION" ] || die "the built pulumi reports '$("$ENGINE_BIN/pulumi" version)', not $PULUMI_CLI_VERSION."
  rm -rf "$work"
  _stamp pulumi "from the Go module proxy"
}

_build_language_host() {
  local repo work sdk
  repo="$(_src_dir PULUMI_SRC pulumi/pulumi)"
  work="$ENGINE_DIR/work/language-host"
  _export_tag "$repo" "$PULUMI_LANGUAGE_HOST_TAG" "$work" sdk/python/cmd/pulumi-language-python
  # The host's go.mod points pkg and sdk at the repository's own folders; use the CLI's modules.
  (cd "$work/sdk/python/cmd/pulumi-language-python" \
    && go mod edit -dropreplace=github.com/pulumi/pulumi/pkg/v3 -dropreplace=github.com/pulumi/pulumi/sdk/v3 \
      -require="github.com/pulumi/pulumi/pkg/v3@$PULUMI_CLI_VERSION" -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_CLI_VERSION")
  _timed pulumi-language-python bash -c "cd '$work/sdk/python/cmd/pulumi-language-python' && go mod tidy \
    && go build -o '$ENGINE_BIN/pulumi-language-python' -ldflags '-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_LANGUAGE_HOST_TAG' ."
  # The exec shim the host runs comes with the sdk module of the CLI's version.
  sdk="$(_gomod_dir "github.com/pulumi/pulumi/sdk/v3@$PULUMI_CLI_VERSION")"
  install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$ENGINE_BIN/pulumi-language-python-exec"
  rm -rf "$work"
  _stamp pulumi-language-python "source $(git -C "$repo" rev-parse "$PULUMI_LANGUAGE_HOST_TAG^{commit}")"
}

# _build_provider NAME REPO PATHS: a bridged provider at the tag v<pin> (PATHS: the space-separated
# parts of the tree it builds from); its generate step writes schema-embed.json (the committed schema
# with the version set) before the build, and the version goes where its Makefile puts it.
_build_provider() {
  local name="$1" repo="$2" paths version work module
  read -r -a paths <<<"$3"
  version="$(provider_version "$name")"
  work="$ENGINE_DIR/work/pulumi-$name"
  _export_tag "$repo" "v$version" "$work" "${paths[@]}"
  if [ "$name" = docker ]; then _prepare_docker_upstream "$work"; fi
  module="$(cd "$work/provider" && go mod edit -json | jq -r .Module.Path)"
  _timed "pulumi-resource-$name" bash -c "cd '$work/provider' \
    && VERSION='$version' go generate ./cmd/pulumi-resource-$name \
    && CGO_ENABLED=0 go build -o '$ENGINE_PROVIDERS/pulumi-resource-$name' \
       -ldflags '-s -w -X $module/pkg/version.Version=$version' ./cmd/pulumi-resource-$name"
  rm -rf "$work"
  _stamp "pulumi-resource-$name" "source $(git -C "$repo" rev-parse "v$version^{commit}")"
}

# The kubernetes provider from the proxy's module of the pinned tag (see KUBERNETES_PROVIDER_MODULE).
_build_kubernetes_provider() {
  local version src work
  version="$(provider_version kubernetes)"
  [ "v$version" = "$KUBERNETES_PROVIDER_MODULE_TAG" ] \
    || die "requirements.txt pins pulumi-kubernetes==$version, but the only provider source at hand is $KUBERNETES_PROVIDER_MODULE_TAG ($KUBERNETES_PROVIDER_MODULE); pin pulumi-kubernetes==${KUBERNETES_PROVIDER_MODULE_TAG#v}."
  src="$(_gomod_dir "$KUBERNETES_PROVIDER_MODULE")"
  work="$ENGINE_DIR/work/pulumi-kubernetes"
  rm -rf "$work"
  cp -r "$src" "$work"
  chmod -R u+w "$work"
  # go.mod points the sdk at ../sdk (outside the module zip); the proxy serves it at the same tag.
  (cd "$work" && go mod edit -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4 \
    -require="github.com/pulumi/pulumi-kubernetes/sdk/v4@v$version")
  _timed pulumi-resource-kubernetes bash -c "cd '$work' \
    && VERSION='$version' go generate ./cmd/pulumi-resource-kubernetes \
    && CGO_ENABLED=0 go build -mod=mod -o '$ENGINE_PROVIDERS/pulumi-resource-kubernetes' \
       -ldflags '-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$version' ./cmd/pulumi-resource-kubernetes"
  rm -rf "$work"
  _stamp pulumi-resource-kubernetes "source $KUBERNETES_PROVIDER_MODULE (= tag $KUBERNETES_PROVIDER_MODULE_TAG)"
}

# pulumi-docker's ../upstream is a git submodule (terraform-provider-docker at a pinned commit)
# with the repository's patches/ applied on top.
_prepare_docker_upstream() {
  local work="$1" upstream commit patch
  upstream="$(_src_dir TF_PROVIDER_DOCKER_SRC kreuzwerker/terraform-provider-docker)"
  [ -n "$upstream" ] || die "pulumi-docker needs its upstream submodule: $(_engine_build_hint pulumi-resource-docker)"
  commit="$(git -C "$(_src_dir PULUMI_DOCKER_SRC pulumi/pulumi-docker)" rev-parse "v$(provider_version docker):upstream")"
  git -C "$upstream" cat-file -e "$commit^{commit}" 2>/dev/null \
    || die "$upstream lacks commit $commit (pulumi-docker's pinned upstream); fetch it and run again."
  rm -rf "$work/upstream" && mkdir -p "$work/upstream"
  git -C "$upstream" archive "$commit" | tar -x -C "$work/upstream"
  for patch in "$work"/patches/*.patch; do
    [ -e "$patch" ] || continue
    (cd "$work/upstream" && patch -p1 -s <"$patch") || die "patch $(basename "$patch") did not apply to terraform-provider-docker $commit."
  done
}

# _engine_source TOOL: the source repository a tool builds from ("-" for the CLI: the Go proxy).
_engine_source() {
  case "$1" in
    pulumi | pulumi-resource-kubernetes) echo - ;;
    pulumi-language-python) _src_dir PULUMI_SRC pulumi/pulumi ;;
    pulumi-resource-random) _src_dir PULUMI_RANDOM_SRC pulumi/pulumi-random ;;
    pulumi-resource-docker)
      [ -n "$(_src_dir TF_PROVIDER_DOCKER_SRC kreuzwerker/terraform-provider-docker)" ] \
        && _src_dir PULUMI_DOCKER_SRC pulumi/pulumi-docker ;;
  esac
}

# build_engine: builds each missing tool whose source is at hand (never inside `||` or `if`, where
# bash would ignore `set -e` in the build steps); names the ones it could not build.
build_engine() {
  have go || die "Go is not installed; install Go 1.25+ (https://go.dev/doc/install) and run again."
  apt_install jq time patch git
  mkdir -p "$ENGINE_BIN" "$ENGINE_PROVIDERS" "$ENGINE_HOME" "$ENGINE_LOGS" "$ENGINE_DIR/work"
  local tool repo skipped=()
  for tool in "${ENGINE_TOOLS[@]}"; do
    if _engine_have "$tool"; then continue; fi
    # Built already, only not registered as a plugin yet.
    if [ -x "$(_engine_path "$tool")" ] && [ "$(head -n1 "$(_engine_stamp "$tool")" 2>/dev/null)" = "$(_engine_want "$tool")" ]; then
      _install_plugin "$tool"
      continue
    fi
    repo="$(_engine_source "$tool")"
    if [ -z "$repo" ]; then
      warn "cannot build $tool: its source is missing. $(_engine_build_hint "$tool")"
      skipped+=("$tool")
      continue
    fi
    case "$tool" in
      pulumi) _build_cli ;;
      pulumi-language-python) _build_language_host ;;
      pulumi-resource-random) _build_provider random "$repo" "provider" ;;
      pulumi-resource-docker) _build_provider docker "$repo" "provider patches" ;;
      pulumi-resource-kubernetes) _build_kubernetes_provider ;;
    esac
    case "$tool" in pulumi-resource-*) _install_plugin "$tool" ;; esac
  done
  rm -rf "$ENGINE_DIR/work"
  [ ${#skipped[@]} -eq 0 ] || die "not built (sources missing): ${skipped[*]}; see the lines above."
  say "engine tools ready in $ENGINE_BIN (build times: $ENGINE_LOGS/times.txt)"
}
