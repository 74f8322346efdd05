#!/usr/bin/env bash
# Make a Docker engine answer on this machine: idempotent, non-interactive, run as root.
#
#   docker/engine.sh            # install (if needed) and start dockerd, wait until it answers
#
# - If `docker info` already answers, does nothing.
# - If dockerd is missing, installs trixie's docker.io (26.1.x) from a low-priority trixie apt
#   source (bookworm's 20.10 cannot start privileged containers on this VM).
# - Starts dockerd in the background, logging to $WIRECAGE_DOCKERD_LOG
#   (default /var/log/wirecagesrv-dockerd.log), waits at most $WIRECAGE_DOCKERD_TIMEOUT seconds.
# Exit 0 when `docker info` answers, 1 otherwise (one clear line plus the log tail on stderr).
set -euo pipefail

LOG=${WIRECAGE_DOCKERD_LOG:-/var/log/wirecagesrv-dockerd.log}
TIMEOUT=${WIRECAGE_DOCKERD_TIMEOUT:-60}
TRIXIE_LIST=/etc/apt/sources.list.d/trixie.list
TRIXIE_PREF=/etc/apt/preferences.d/wirecagesrv-trixie
export DEBIAN_FRONTEND=noninteractive

say() { echo "engine.sh: $*" >&2; }
fail() {
  say "ERROR: $*"
  if [ -f "$LOG" ]; then
    echo "---- last 40 lines of $LOG ----" >&2
    tail -n 40 "$LOG" >&2 || true
  fi
  exit 1
}

engine_answers() { docker info >/dev/null 2>&1; }

if [ "$(id -u)" != 0 ] && ! engine_answers; then
  fail "must run as root to install/start dockerd"
fi

if command -v docker >/dev/null 2>&1 && engine_answers; then
  say "engine already answers ($(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null || echo '?'))"
  exit 0
fi

apt_update() {
  # Other (foreign) sources may be unreachable; that must not stop us. Success is judged by
  # whether the candidate we want shows up afterwards.
  apt-get update -q -o Acquire::Retries=3 >/dev/null 2>&1 || say "apt-get update reported errors (continuing)"
}

trixie_candidate() {
  apt-cache madison docker.io 2>/dev/null | awk -F'|' '$3 ~ /trixie|13/ {gsub(/ /,"",$2); print $2; exit}'
}

install_engine() {
  say "dockerd not installed: installing docker.io from trixie (pinned at priority 100)"
  if [ ! -f "$TRIXIE_LIST" ]; then
    echo 'deb http://deb.debian.org/debian trixie main' >"$TRIXIE_LIST"
  fi
  cat >"$TRIXIE_PREF" <<'EOF'
# Written by wirecagesrv docker/engine.sh: trixie is only used for packages asked for explicitly
# (apt-get install PKG/trixie); nothing installed from bookworm gets upgraded from it.
Package: *
Pin: release n=trixie
Pin-Priority: 100
EOF
  if [ -z "$(trixie_candidate)" ]; then
    apt_update
  fi
  [ -n "$(trixie_candidate)" ] || fail "docker.io from trixie not found in apt (is deb.debian.org reachable?)"
  local pkgs=(docker.io/trixie)
  # docker.io in trixie ships only the daemon; the CLI is docker-cli. Most machines here already
  # have a 28.x client at /usr/local/bin/docker; install the matching CLI only when none exists.
  if ! command -v docker >/dev/null 2>&1; then
    pkgs+=(docker-cli/trixie)
  fi
  # iptables is a hard dependency; bookworm's satisfies it. containerd/runc/tini come along.
  apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/tmp/wirecagesrv-engine-apt.log 2>&1 \
    || { tail -n 30 /tmp/wirecagesrv-engine-apt.log >&2; fail "apt-get install docker.io/trixie failed"; }
}

if ! command -v dockerd >/dev/null 2>&1; then
  install_engine
fi
command -v dockerd >/dev/null 2>&1 || fail "dockerd still not found after install"
command -v docker >/dev/null 2>&1 || fail "no docker client on PATH"

# The package's postinst may try systemd/init scripts; on this machine there is no init system,
# so start the daemon by hand unless one is already starting.
if pgrep -x dockerd >/dev/null 2>&1; then
  say "dockerd process already present (pid $(pgrep -x dockerd | head -1)); waiting for it"
else
  mkdir -p "$(dirname "$LOG")"
  # A stale pid file from a killed daemon makes dockerd refuse to start.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid 2>/dev/null)" 2>/dev/null; then
    rm -f /var/run/docker.pid
  fi
  say "starting dockerd (log: $LOG)"
  echo "==== $(date -Is) engine.sh starting dockerd ====" >>"$LOG"
  setsid nohup dockerd >>"$LOG" 2>&1 </dev/null &
fi

deadline=$(( $(date +%s) + TIMEOUT ))
until engine_answers; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    fail "dockerd did not answer 'docker info' within ${TIMEOUT}s"
  fi
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    fail "dockerd exited during startup"
  fi
  sleep 0.5
done

# The 28.x client negotiates the API version down to the daemon's (1.45 for 26.1); check it.
if ! docker version >/dev/null 2>&1; then
  fail "docker client cannot talk to the engine (try DOCKER_API_VERSION=$(docker version --format '{{.Server.APIVersion}}' 2>/dev/null || echo 1.45))"
fi
say "engine ready: $(docker version --format 'server {{.Server.Version}} (API {{.Server.APIVersion}}, min {{.Server.MinAPIVersion}}), client {{.Client.Version}}')"
