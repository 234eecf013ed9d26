#!/usr/bin/env bash
# What `npm test` needs besides node_modules: a Redis that answers at REDIS_URL (default
# redis://127.0.0.1:6379), and Debian's prometheus-alertmanager and chromium, which some
# end-to-end tests drive, and prometheus for promtool, which checks the alert rules. Starts a local Redis when one is installed but not running; as
# root, installs what is missing; otherwise prints the one line to run, and fails.
set -uo pipefail

url="${REDIS_URL:-redis://127.0.0.1:6379}"
hostport="${url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"
[ "$port" = "$hostport" ] && port=6379
[ -z "$host" ] && host=127.0.0.1

redis_answers() {
  if command -v redis-cli >/dev/null 2>&1; then
    redis-cli -u "$url" ping 2>/dev/null | grep -q PONG
  else
    # No client installed: speak RESP over bash's /dev/tcp.
    (exec 3<>"/dev/tcp/$host/$port" && printf 'PING\r\n' >&3 && IFS= read -r -t 2 reply <&3 && [[ "$reply" == +PONG* ]]) 2>/dev/null
  fi
}

is_local() { [ "$host" = 127.0.0.1 ] || [ "$host" = localhost ] || [ "$host" = ::1 ]; }

missing=()
root=false; [ "$(id -u)" = 0 ] && root=true
apt_install() {
  if $root && command -v apt-get >/dev/null 2>&1; then
    echo "test-prerequisites: installing $*" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; } >/dev/null 2>&1
  else
    return 1
  fi
}

if ! redis_answers; then
  if is_local && ! command -v redis-server >/dev/null 2>&1; then apt_install redis-server || true; fi
  if is_local && command -v redis-server >/dev/null 2>&1; then
    redis-server --daemonize yes --port "$port" --save "" >/dev/null
    for _ in $(seq 1 50); do redis_answers && break; sleep 0.1; done
  fi
  if ! redis_answers; then
    if is_local; then missing+=(redis-server); else
      echo "test-prerequisites: no Redis answers at $url; start it, or unset REDIS_URL to use a local one" >&2
      exit 1
    fi
  fi
fi

if ! command -v prometheus-alertmanager >/dev/null 2>&1 && ! command -v alertmanager >/dev/null 2>&1; then
  apt_install prometheus-alertmanager || missing+=(prometheus-alertmanager)
fi
if ! command -v promtool >/dev/null 2>&1; then
  apt_install prometheus || missing+=(prometheus)
fi
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  apt_install chromium || missing+=(chromium)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "test-prerequisites: missing ${missing[*]}; install with: sudo apt-get install -y ${missing[*]}   (then run npm test again)" >&2
  exit 1
fi
