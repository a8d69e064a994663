#!/bin/sh
# Entrypoint of the frontend image: renders nginx.conf from TODO_BACKEND_URL into a writable run dir
# (default /tmp/nginx), then runs nginx in the foreground. POSIX sh + sed only (no envsubst).
#   TODO_BACKEND_URL           required, http(s)://host:port of the backend, e.g. http://todo-backend:8000
#   TODO_FRONTEND_STATIC_ROOT  the built app (default /usr/share/nginx/html)
#   TODO_FRONTEND_LISTEN       nginx listen address (default 8080; e.g. 127.0.0.1:15680 for a local test)
#   TODO_FRONTEND_RUN_DIR      rendered config, pid and temp files (default /tmp/nginx)
#   TODO_FRONTEND_NGINX_BIN    the nginx binary (default: nginx on PATH)
set -eu

fail() {
    echo "start.sh: error: $*" >&2
    exit 64
}

here=$(cd "$(dirname "$0")" && pwd)
backend_url=${TODO_BACKEND_URL:-}
static_root=${TODO_FRONTEND_STATIC_ROOT:-/usr/share/nginx/html}
listen=${TODO_FRONTEND_LISTEN:-8080}
run_dir=${TODO_FRONTEND_RUN_DIR:-/tmp/nginx}
nginx_bin=${TODO_FRONTEND_NGINX_BIN:-nginx}

[ -n "$backend_url" ] || fail "TODO_BACKEND_URL is not set; set it to the backend's http(s)://host:port, e.g. http://todo-backend:8000"

# scheme://host:port with an optional trailing slash; host is a DNS name, IPv4 or [IPv6].
url_pattern='^https?://([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):[0-9]{1,5}/?$'
if ! printf '%s\n' "$backend_url" | grep -Eq "$url_pattern"; then
    fail "TODO_BACKEND_URL='$backend_url' is not http(s)://host:port (no path, port required), e.g. http://todo-backend:8000"
fi
backend_url=${backend_url%/}
scheme=${backend_url%%://*}
hostport=${backend_url#*://}
host=${hostport%:*}
port=${hostport##*:}
{ [ "$port" -ge 1 ] && [ "$port" -le 65535 ]; } || fail "TODO_BACKEND_URL='$backend_url' has port $port; use a port from 1 to 65535"

printf '%s\n' "$listen" | grep -Eq '^([0-9.]{7,15}:)?[0-9]{1,5}$' \
    || fail "TODO_FRONTEND_LISTEN='$listen' is not PORT or IPv4:PORT, e.g. 8080 or 127.0.0.1:15680"
case "$static_root" in
    /*) ;;
    *) fail "TODO_FRONTEND_STATIC_ROOT='$static_root' must be an absolute path, e.g. /usr/share/nginx/html" ;;
esac
[ -f "$static_root/index.html" ] || fail "TODO_FRONTEND_STATIC_ROOT='$static_root' has no index.html; build the app (npm run build) and point it at frontend/dist"
case "$run_dir" in
    /*) ;;
    *) fail "TODO_FRONTEND_RUN_DIR='$run_dir' must be an absolute path, e.g. /tmp/nginx" ;;
esac
# The values land in nginx.conf and in a sed replacement, so only plain path characters are allowed.
for value in "$static_root" "$run_dir"; do
    printf '%s\n' "$value" | grep -Eq '^[A-Za-z0-9/._-]+$' || fail "path '$value' may only contain letters, digits and / . _ -"
done

# nginx reopens /dev/stdout itself; where that is refused (stdout owned by another uid) it logs no access lines.
access_log=/dev/stdout
if ! (: >>/dev/stdout) 2>/dev/null; then
    access_log=off
    echo "start.sh: warning: /dev/stdout is not writable by uid $(id -u); access log disabled" >&2
fi

mkdir -p "$run_dir" || fail "cannot create TODO_FRONTEND_RUN_DIR='$run_dir'; mount a writable volume there (e.g. an emptyDir at /tmp)"
cp "$here/security-headers.conf" "$run_dir/security-headers.conf"
cp "$here/body-limit.conf" "$run_dir/body-limit.conf"
sed -e "s|__RUN_DIR__|$run_dir|g" \
    -e "s|__STATIC_ROOT__|$static_root|g" \
    -e "s|__LISTEN__|$listen|g" \
    -e "s|__ACCESS_LOG__|$access_log|g" \
    -e "s|__BACKEND_SCHEME__|$scheme|g" \
    -e "s|__BACKEND_HOSTPORT__|$hostport|g" \
    -e "s|__BACKEND_HOST__|$host|g" \
    "$here/nginx.conf.template" >"$run_dir/nginx.conf"

echo "start.sh: serving $static_root on $listen, proxying /api/ to $backend_url" >&2
exec "$nginx_bin" -c "$run_dir/nginx.conf" -e stderr -g 'daemon off;'
