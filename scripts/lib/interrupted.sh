# shellcheck shell=bash
# What an interrupted scripts/up (Ctrl-C, a closed terminal, SIGKILL, a crash) leaves behind, found
# and cleared before the next deploy or teardown, each with a message saying what and why:
#   - the stack's lock file of a pulumi that no longer runs (file backends): `pulumi cancel`
#   - plugins of that pulumi still running, their engine gone (a provider keeps installing the
#     release for minutes and nothing can record its result): stopped, by process group
#   - a Helm release left pending-install/-upgrade/-rollback by the interrupted run: that
#     revision's record deleted, so Helm is not stuck on "another operation is in progress"
#     (the objects stay; the deploy re-applies them, an install adopts them)
#   - pending operations in the stack's state: creates whose object exists are imported
#     (`pulumi refresh --import-pending-creates`), the rest are dropped and redone by the deploy
#   - a release the state records as failed (an upgrade cancelled by Ctrl-C, which Helm rolled
#     back): the provider recorded the program's inputs anyway, so the next run would plan no
#     change; its recorded checksum is changed so the run upgrades it again
# A pending Helm record is cleared only when an interrupted run of this stack explains it (its stale
# lock, its orphans, its pending operation, or a record made during its last, ended update); anything
# that may still belong to a live operation (a running pulumi, a lock from another host, a helm run
# by hand) stops the script with the command that clears it instead.
# Sourced by scripts/up and scripts/down after base.sh; needs REPO_ROOT, STACK, STATE_DIR, kube().

UP_LOCK_DIR=""

# hold_up_lock: one scripts/up or scripts/down at a time per checkout (released at exit).
hold_up_lock() {
  local lock="$STATE_DIR/run.lock" holder
  mkdir -p "$STATE_DIR"
  if ! mkdir "$lock" 2>/dev/null; then
    holder="$(cat "$lock/pid" 2>/dev/null || true)"
    # Alive and still one of ours (a killed run's PID may since belong to anything).
    if [ -n "$holder" ] && ps -p "$holder" -o args= 2>/dev/null | grep -Eq 'scripts/(up|down)'; then
      die "another scripts/up or scripts/down (pid $holder) is running in this checkout; wait for it to finish or stop it (kill -INT $holder)."
    fi
    rm -rf "$lock"
    mkdir "$lock" || die "could not take $lock (is .cache/up writable?)."
  fi
  echo $$ >"$lock/pid"
  UP_LOCK_DIR="$lock"
}

release_up_lock() { [ -z "$UP_LOCK_DIR" ] || rm -rf "$UP_LOCK_DIR"; }

# _backend_dir: the directory of a file:// Pulumi backend (empty for any other backend).
_backend_dir() {
  local url="${PULUMI_BACKEND_URL:-}"
  [ -n "$url" ] || url="$(pulumi whoami --verbose 2>/dev/null | sed -n 's/^ *Backend URL: *//p')"
  case "$url" in
    file://~*) url="${url#file://~}"; printf '%s%s\n' "$HOME" "$url" ;;
    file://*) printf '%s\n' "${url#file://}" ;;
  esac
}

# _stack_locks: the lock files of the stack in a file backend, one per line.
_stack_locks() {
  local dir project
  dir="$(_backend_dir)"
  [ -n "$dir" ] || return 0
  project="$(sed -n 's/^name: *//p' "$REPO_ROOT/Pulumi.yaml" | head -n 1)"
  for f in "$dir/.pulumi/locks/organization/$project/$STACK"/*.json "$dir/.pulumi/locks/$STACK"/*.json; do
    [ -f "$f" ] && printf '%s\n' "$f"
  done
  return 0
}

# _lock_field FILE KEY: one field of a lock file ({"pid", "username", "hostname", "timestamp"}).
_lock_field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$1" "$2" 2>/dev/null; }

_is_pulumi() { [ "$(ps -p "$1" -o comm= 2>/dev/null | sed 's/^ *//')" = pulumi ]; }

# _clear_stale_lock: `pulumi cancel` when every lock of the stack is from a dead pulumi on this machine.
_clear_stale_lock() {
  local f pid host when stale="" locks=()
  mapfile -t locks < <(_stack_locks)
  for f in ${locks[@]+"${locks[@]}"}; do
    pid="$(_lock_field "$f" pid)" host="$(_lock_field "$f" hostname)" when="$(_lock_field "$f" timestamp)"
    if [ "$host" != "$(uname -n)" ]; then
      die "stack '$STACK' is locked by $(_lock_field "$f" username)@$host (pid $pid) since $when: a pulumi on another machine may be deploying it. If none is, clear the lock with: pulumi cancel --stack $STACK --yes"
    fi
    # A live pulumi on this stack: its PID runs pulumi here (a killed run's PID may have been reused).
    if _is_pulumi "$pid" && { [ ! -d /proc/self ] || [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$(cd "$REPO_ROOT" && pwd -P)" ]; }; then
      die "pulumi (pid $pid) has been running on stack '$STACK' since $when; wait for it to finish or stop it (kill -INT $pid), then run this again."
    fi
    stale+="${stale:+, }pid $pid since $when"
  done
  [ -n "$stale" ] || return 0
  say "stack '$STACK' is still locked by a pulumi that no longer runs ($stale): the last run was interrupted; clearing the lock (pulumi cancel)"
  pulumi cancel --yes --stack "$STACK" >/dev/null || die "pulumi cancel --stack $STACK failed; remove the lock files by hand: $(_stack_locks | tr '\n' ' ')"
  RECOVERED=1
}

# _orphan_plugins: PIDs of Pulumi plugins working in this project whose pulumi is gone (Linux /proc).
_orphan_plugins() {
  local proc comm root ppid
  [ -d /proc/self ] || return 0
  root="$(cd "$REPO_ROOT" && pwd -P)"
  for proc in /proc/[0-9]*; do
    # comm holds 15 characters: pulumi-resource-* and pulumi-language-* both show as such.
    comm=""
    read -r comm 2>/dev/null <"$proc/comm" || continue
    case "$comm" in pulumi-resource | pulumi-language) ;; *) continue ;; esac
    [ "$(readlink "$proc/cwd" 2>/dev/null)" = "$root" ] || continue
    ppid="$(awk '{print $4}' "$proc/stat" 2>/dev/null)"
    [ -n "$ppid" ] && ! _is_pulumi "$ppid" && printf '%s\n' "${proc#/proc/}"
  done
  return 0
}

# _stop_orphan_plugins: TERM each orphan's process group (a plugin leads its own), KILL after 10 s.
_stop_orphan_plugins() {
  local pids pid names="" i
  pids="$(_orphan_plugins)"
  [ -n "$pids" ] || return 0
  for pid in $pids; do names+="${names:+, }$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | head -n 1 | sed 's|.*/||') (pid $pid)"; done
  say "plugins of the interrupted pulumi are still running with nobody to report to: $names; stopping them"
  for pid in $pids; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  for i in $(seq 100); do
    # Gone, or a zombie its new parent has not reaped yet.
    pids="$(for pid in $pids; do [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo Z)" = Z ] || echo "$pid"; done)"
    [ -n "$pids" ] || break
    [ "$i" -ne 100 ] || for pid in $pids; do kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; done
    sleep 0.1
  done
  RECOVERED=1
}

# _helm_records NS NAME: "VERSION STATUS SECRET CREATED" per stored revision of a release, oldest first.
_helm_records() {
  kube -n "$1" get secrets -l "owner=helm,name=$2" \
    -o jsonpath='{range .items[*]}{.metadata.labels.version}{" "}{.metadata.labels.status}{" "}{.metadata.name}{" "}{.metadata.creationTimestamp}{"\n"}{end}' \
    | sort -n
}

# _by_last_update TIME: TIME lies within this stack's newest finished update (so that update began
# the Helm operation of that moment, and it has ended: a live one would hold the stack's lock).
_by_last_update() {
  pulumi stack history --stack "$STACK" --json --page-size 5 2>/dev/null \
    | python3 "$REPO_ROOT/scripts/lib/stack_state.py" during-last-update "$1"
}

# recover_interrupted_run: the checks above, in order; silent when the last run ended cleanly.
# Sets RECOVERED when it found (and cleared) anything.
recover_interrupted_run() {
  local export="$STATE_DIR/state-export.json" facts
  RECOVERED=""
  _clear_stale_lock
  _stop_orphan_plugins
  mkdir -p "$STATE_DIR"
  # No state yet (a new stack) or none readable: there is nothing an earlier run left in it.
  pulumi stack export --stack "$STACK" --file "$export" >/dev/null 2>&1 && [ -s "$export" ] || return 0
  facts="$(python3 "$REPO_ROOT/scripts/lib/stack_state.py" report <"$export")" \
    || die "could not read the state of stack '$STACK' (pulumi stack export --stack $STACK)."
  [ -z "$facts" ] || _recover_release_and_state "$facts" "$export"
  [ -z "$facts" ] || _upgrade_failed_releases "$facts"
  rm -f "$export"
}

# _has_pending FACTS URN: the state records an unfinished operation on URN.
_has_pending() { awk -F'\t' -v urn="$2" '$1 == "pending" && $3 == urn {found = 1} END {exit !found}' <<<"$1"; }

_recover_release_and_state() {
  local facts="$1" export="$2" kind op urn type ns name records latest version status secret created id
  local drops=() imports=() cleared=() stored=()

  while IFS=$'\t' read -r kind urn ns name _; do
    [ "$kind" = release ] || continue
    records="$(_helm_records "$ns" "$name" </dev/null 2>/dev/null)" \
      || die "the stack's state needs checking against its cluster, which does not answer (kubectl --context $KUBE_CONTEXT get secrets -n $ns): start it, then run this again."
    latest="$(printf '%s\n' "$records" | tail -n 1)"
    read -r version status secret created <<<"$latest"
    case "$status" in pending-*) ;; *) continue ;; esac
    if [ -z "$RECOVERED" ] && ! _has_pending "$facts" "$urn" && ! _by_last_update "$created"; then
      die "Helm release $ns/$name is $status (revision $version) and no interrupted run of this stack explains it: another helm operation may be in progress. If none is, clear it with: kubectl --context $KUBE_CONTEXT -n $ns delete secret $secret; then run this again."
    fi
    say "Helm release $ns/$name was left $status (revision $version) by the interrupted run; deleting that revision's record so Helm can go on (its objects stay and are re-applied)"
    kube -n "$ns" delete secret "$secret" </dev/null >/dev/null || die "could not delete $secret in namespace $ns."
  done <<<"$facts"

  while IFS=$'\t' read -r kind op urn type ns name; do
    [ "$kind" = pending ] || continue
    id=""
    if [ "$op" = creating ] && [ "$type" = "kubernetes:helm.sh/v3:Release" ]; then
      records="$(_helm_records "$ns" "$name" </dev/null)" || die "cluster of context $KUBE_CONTEXT does not answer; start it, then run this again."
      if grep -q ' deployed ' <<<"$records"; then
        id="$ns/$name"
      else
        # Never deployed: forget the failed install so the deploy installs again (and adopts its objects).
        mapfile -t stored < <(awk 'NF {print $3}' <<<"$records")
        [ ${#stored[@]} -eq 0 ] || kube -n "$ns" delete secret "${stored[@]}" </dev/null >/dev/null \
          || die "could not delete the records of the failed install of $ns/$name."
      fi
    elif [ "$op" = creating ] && [[ "$type" == kubernetes:* ]] && [ -n "$name" ]; then
      if kube get "${type##*:}/$name" ${ns:+-n "$ns"} </dev/null >/dev/null 2>&1; then id="${ns:+$ns/}$name"; fi
    fi
    if [ -n "$id" ]; then
      imports+=(--import-pending-creates "$urn" --import-pending-creates "$id")
    else
      drops+=("$urn")
    fi
    cleared+=("${urn##*::} ($op)")
  done <<<"$facts"
  [ ${#cleared[@]} -gt 0 ] || return 0

  say "the interrupted run left ${#cleared[@]} operation(s) unfinished in stack '$STACK': ${cleared[*]}; checked against the cluster: $(( ${#imports[@]} / 4 )) whose object exists imported, ${#drops[@]} cleared for this run to redo"
  # First the imports (refresh reads them in), then `stack import`, which drops every other pending operation.
  if [ ${#imports[@]} -gt 0 ]; then
    pulumi refresh --yes --skip-preview --skip-pending-creates --stack "$STACK" "${imports[@]}" >/dev/null \
      || die "importing what the interrupted run created failed; see: pulumi refresh --stack $STACK"
  fi
  if [ ${#drops[@]} -gt 0 ]; then
    { pulumi stack export --stack "$STACK" --file "$export" && pulumi stack import --stack "$STACK" --file "$export"; } >/dev/null 2>&1 \
      || die "could not clear the pending operations of stack '$STACK'; clear them with: pulumi refresh --stack $STACK --clear-pending-creates"
  fi
}

# _upgrade_failed_releases FACTS: releases the state records as not deployed get upgraded again.
_upgrade_failed_releases() {
  local kind urn ns name status
  while IFS=$'\t' read -r kind urn ns name status; do
    if [ "$kind" != release ] || [ -z "$status" ] || [ "$status" = deployed ]; then continue; fi
    say "stack '$STACK' records Helm release $ns/$name as $status (an upgrade that was interrupted or failed, then rolled back): marking it so this run upgrades it again"
    pulumi stack export --stack "$STACK" --show-secrets \
      | python3 "$REPO_ROOT/scripts/lib/stack_state.py" mark-for-upgrade "$urn" \
      | pulumi stack import --stack "$STACK" >/dev/null 2>&1 \
      || die "could not mark $ns/$name for an upgrade in stack '$STACK'; run: pulumi up --refresh --stack $STACK"
    RECOVERED=1
  done <<<"$1"
}
