# shellcheck shell=bash
# ensure_go_tool: puts a pinned CLI built from the Go module proxy on PATH (helm, kube-score, ...).
# Sourced after scripts/toolchain/common.sh by the one file per tool that names its pin.
# Uses the build in $TOOLS_DIR/<name>-<version> or a copy on PATH when either reports the pin;
# otherwise `go install`s it there (the proxy is reachable where release downloads are not), so
# later runs and fresh clones (CI) reuse the binary.

# ensure_go_tool NAME VERSION PACKAGE STAMP VERSION_OF GO_VERSION
#   PACKAGE     the main package, installed as PACKAGE@VERSION
#   STAMP       `-X` ldflag making the binary report its version (a plain go install reports a dev one)
#   VERSION_OF  a function that prints what a binary (its one argument) reports, in the pin's form
#   GO_VERSION  the Go the tool needs, named in the error when Go is missing
ensure_go_tool() {
  local name="$1" version="$2" package="$3" stamp="$4" version_of="$5" go_version="$6"
  local dir="$TOOLS_DIR/$1-$2" found
  if [ -x "$dir/$name" ] && [ "$("$version_of" "$dir/$name")" = "$version" ]; then
    export PATH="$dir:$PATH"
    return 0
  fi
  found="$(command -v "$name" 2>/dev/null || true)"
  if [ -n "$found" ] && [ "$("$version_of" "$found")" = "$version" ]; then
    return 0
  fi
  have go || die "$name $version is not on PATH and Go is missing to build it. Install Go $go_version+ (https://go.dev/doc/install) or $name $version, then run again."
  say "building $name $version with go install (takes a few minutes the first time)"
  mkdir -p "$dir"
  GOBIN="$dir" CGO_ENABLED=0 go install -ldflags "-s -w -X $stamp" "$package@$version" \
    || die "go install $package@$version failed (see above); check that the Go module proxy is reachable (go env GOPROXY)."
  [ "$("$version_of" "$dir/$name")" = "$version" ] \
    || die "built $dir/$name but it reports '$("$version_of" "$dir/$name")', not $version; delete it and run again."
  export PATH="$dir:$PATH"
}
