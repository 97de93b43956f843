#!/bin/sh
# The image's entrypoint: one image, either role, configured by environment
# variables alone (docker/compose.yaml, docker/k8s/).
#
#   sweep-entrypoint [coordinator|worker|health|OTHER-SWEEP-COMMAND] [ARGS...]
#
# The role is the first argument, else $SWEEP_ROLE. Every option of every sweep
# command can come from SWEEP_<OPTION> (SWEEP_CONNECT, SWEEP_CONCURRENCY,
# SWEEP_BIND, SWEEP_DB, SWEEP_GRACE, SWEEP_EXIT_WHEN_DONE, SWEEP_CURVE_SECRET,
# SWEEP_HTTP, SWEEP_HTTP_TOKEN, ...): sweep reads those itself, and a command-line
# argument wins. This script adds only:
#   SWEEP_ROLE     coordinator or worker, when no argument names it
#   SWEEP_SPEC     the coordinator's sweep spec (YAML)
#   SWEEP_BIN      the sweep executable (default: sweep, found on PATH)
#   SWEEP_STAY_UP  true: once the sweep has ended the coordinator's container keeps
#                  running until stopped, so that a Kubernetes Deployment does not
#                  restart it in a loop and `kubectl exec ... sweep leaderboard` works
# `health` is the HEALTHCHECK: a coordinator listens on the port of SWEEP_BIND
# (or its sweep has ended), a worker holds a TCP connection to SWEEP_CONNECT.
set -eu

sweep=${SWEEP_BIN:-sweep}
role=${1:-${SWEEP_ROLE:-}}
if [ $# -gt 0 ]; then shift; fi
ended_marker=${TMPDIR:-/tmp}/sweep-coordinator-ended

is_true() {
    case "$(printf '%s' "${1:-}" | tr '[:upper:]' '[:lower:]')" in
        true | 1 | yes | on) return 0 ;;
        *) return 1 ;;
    esac
}

# The TCP port of an endpoint such as tcp://coordinator:5555, in /proc/net/tcp's hex.
hex_port() {
    case "$1" in
        tcp://*:*) printf '%04X' "${1##*:}" ;;
        *) return 1 ;;
    esac
}

# Whether a socket in state $1 (0A listening, 01 established) has port $2 in
# column $3 of /proc/net/tcp{,6} (2 local, 3 remote).
has_socket() {
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        awk -v st="$1" -v port="$2" -v col="$3" '
            $4 == st { n = split($col, a, ":"); if (a[n] == port) found = 1 }
            END { exit found ? 0 : 1 }'
}

health() {
    r=${SWEEP_ROLE:-}
    if [ -z "$r" ] && [ -r /proc/1/cmdline ]; then
        case " $(tr '\0' ' ' < /proc/1/cmdline) " in
            *" coordinator "*) r=coordinator ;;
            *" worker "*) r=worker ;;
        esac
    fi
    case "$r" in
        coordinator)
            [ -e "$ended_marker" ] && return 0
            port=$(hex_port "${SWEEP_BIND:-}") || return 0   # ipc:// has no port to look at
            has_socket 0A "$port" 2 ;;
        worker)
            port=$(hex_port "${SWEEP_CONNECT:-}") || return 0
            has_socket 01 "$port" 3 ;;
        *)
            echo "sweep-entrypoint health: unknown role; set SWEEP_ROLE" >&2
            return 1 ;;
    esac
}

# Runs "$@" as a child, passing SIGTERM and SIGINT on to it; returns its status.
run_forwarding() {
    "$@" &
    child=$!
    signalled=0
    trap 'signalled=1; kill -TERM "$child" 2>/dev/null || true' TERM
    trap 'signalled=1; kill -INT "$child" 2>/dev/null || true' INT
    while :; do
        status=0
        wait "$child" || status=$?
        kill -0 "$child" 2>/dev/null || break   # else a trapped signal interrupted wait
    done
    trap - TERM INT
    return "$status"
}

case "$role" in
    coordinator)
        if [ -n "${SWEEP_SPEC:-}" ]; then set -- "$SWEEP_SPEC" "$@"; fi
        if ! is_true "${SWEEP_STAY_UP:-}"; then exec "$sweep" coordinator "$@"; fi
        rm -f "$ended_marker"
        status=0
        run_forwarding "$sweep" coordinator "$@" || status=$?
        # stopped by a signal, or bad input (2): exit, so the orchestrator restarts or reports it
        if [ "$signalled" = 1 ] || [ "$status" -ge 2 ]; then exit "$status"; fi
        touch "$ended_marker"
        echo "sweep-entrypoint: the sweep has ended (exit $status); staying up (SWEEP_STAY_UP) until stopped" >&2
        trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM INT
        while :; do
            sleep 3600 &
            sleeper=$!
            wait "$sleeper" || true
        done ;;
    worker)
        exec "$sweep" worker "$@" ;;
    health)
        health ;;
    "")
        echo "sweep-entrypoint: name a role: coordinator or worker (first argument or SWEEP_ROLE)" >&2
        exit 2 ;;
    *)
        # any other sweep command, e.g. leaderboard, status, expand, keygen
        exec "$sweep" "$role" "$@" ;;
esac
