#!/usr/bin/env bash
# Starts a Docker engine for the docker backend's tests when none answers,
# and stops only the one it started.
#   dockerd.sh start STATE_FILE   start dockerd in the background (its own log
#                                 beside STATE_FILE), wait until "docker info"
#                                 answers (at most 60 s); write its pid to
#                                 STATE_FILE, or nothing if an engine answered
#                                 already. Exits 1, with the log's tail, if the
#                                 engine does not come up.
#   dockerd.sh stop STATE_FILE    stop the dockerd STATE_FILE names, if any.
set -euo pipefail
cmd=${1:?usage: dockerd.sh start|stop STATE_FILE}
state=${2:?usage: dockerd.sh start|stop STATE_FILE}

case "$cmd" in
  start)
    : > "$state"
    if docker info >/dev/null 2>&1; then exit 0; fi
    log="$state.log"
    setsid dockerd >"$log" 2>&1 < /dev/null &
    pid=$!
    echo "$pid" > "$state"
    for _ in $(seq 1 120); do
      if docker info >/dev/null 2>&1; then echo "dockerd started (pid $pid, log $log)"; exit 0; fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    echo "dockerd did not answer within 60 s; its log ends:" >&2
    tail -n 20 "$log" >&2 || true
    exit 1
    ;;
  stop)
    pid=$(cat "$state" 2>/dev/null || true)
    [ -n "$pid" ] || exit 0
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      # dockerd stops its containerd and its containers before it exits.
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    : > "$state"
    ;;
  *) echo "usage: dockerd.sh start|stop STATE_FILE" >&2; exit 2 ;;
esac
