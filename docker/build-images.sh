#!/usr/bin/env bash
# Build the wirecagesrv test/run images with the local Docker engine (no registry needed).
#
#   docker/build-images.sh [--jar PATH] [--force] [TARGET...]
#
# TARGETs (default: all):
#   base       wirecage-base:bookworm           debootstrap minbase rootfs + docker import
#   client     wirecage-client:latest           wg-quick + wireguard-go peer / "internet" target
#   server     wirecagesrv:latest               jlink'ed Java 25 runtime + the server jar
#   boringtun  wirecage-boringtun-client:latest wirecage-client + boringtun-cli
# With "all", a missing server jar only skips the server image (with a warning); naming
# "server" explicitly makes a missing jar an error.
#
# Environment:
#   WIRECAGESRV_JAR        server jar (default: <repo>/java/target/wirecagesrv.jar; --jar wins)
#   WIRECAGE_BASE_IMAGE    base for the Dockerfiles (default wirecage-base:bookworm, built here;
#                          set debian:bookworm-slim on machines that can pull: no debootstrap)
#   WIRECAGE_CACHE         cache dir (default /var/cache/wirecagesrv)
#   WIRECAGE_JDK           JDK used for jlink (default /usr/lib/jvm/temurin-25-jdk-amd64)
#   WIRECAGE_JLINK_MODULES extra modules, comma separated (added to the default set + jdeps;
#                          the module list lives in bin/jlink-runtime.sh, shared with the release)
#   WIRECAGE_JLINK_EXCLUDE modules dropped from jdeps' findings (default java.desktop; set ""
#                          to keep all)
#   BORINGTUN_CLI_VERSION  boringtun-cli crate version (default 0.7.1)
#   WIRECAGE_SKIP_ENGINE=1 do not run docker/engine.sh first
#
# Every image carries the label org.wirecagesrv.inputs-hash (a hash of all its inputs: recipe,
# Dockerfile, parent image id, jar, runtime, binary); an image whose label matches is not
# rebuilt, so a second run takes a few seconds. --force rebuilds regardless.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
CACHE=${WIRECAGE_CACHE:-/var/cache/wirecagesrv}
JAR=${WIRECAGESRV_JAR:-$REPO/java/target/wirecagesrv.jar}
JDK=${WIRECAGE_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
BASE_IMAGE=${WIRECAGE_BASE_IMAGE:-wirecage-base:bookworm}
BORINGTUN_CLI_VERSION=${BORINGTUN_CLI_VERSION:-0.7.1}
LABEL=org.wirecagesrv.inputs-hash
DEBIAN_MIRROR=${WIRECAGE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm

IMG_BASE=wirecage-base:bookworm
IMG_CLIENT=wirecage-client:latest
IMG_SERVER=wirecagesrv:latest
IMG_BORINGTUN=wirecage-boringtun-client:latest

# Packages of the local base image. The client/server Dockerfiles list what they need and
# install only what is missing, so this list is a superset of both.
BASE_PACKAGES=(
  wireguard-tools wireguard-go iproute2 iptables nftables iputils-ping curl iperf3 procps
  ca-certificates python3-minimal libpython3-stdlib netcat-openbsd
)

export DOCKER_BUILDKIT=0            # legacy builder: BuildKit needs docker-buildx (not installed)
export DEBIAN_FRONTEND=noninteractive
export LC_ALL=C

FORCE=0
TARGETS=()
EXPLICIT_SERVER=0
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) JAR=$2; shift 2 ;;
    --jar=*) JAR=${1#--jar=}; shift ;;
    --force) FORCE=1; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    base|client|server|boringtun) TARGETS+=("$1"); [ "$1" = server ] && EXPLICIT_SERVER=1; shift ;;
    all) TARGETS+=(base client server boringtun); shift ;;
    *) echo "build-images.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(base client server boringtun)
want() { local t; for t in "${TARGETS[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }
# Dependencies: boringtun needs client; client and server need base (when it is ours).
if want boringtun && ! want client; then TARGETS+=(client); fi
if { want client || want server; } && [ "$BASE_IMAGE" = "$IMG_BASE" ] && ! want base; then TARGETS+=(base); fi

T0=$EPOCHREALTIME
log() { echo "build-images.sh [$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%5.1fs", b-a}')] $*" >&2; }
die() { echo "build-images.sh: ERROR: $*" >&2; exit 1; }
sha() { sha256sum | cut -c1-32; }
image_label() { docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$1" 2>/dev/null || true; }
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
up_to_date() { [ "$FORCE" = 0 ] && [ "$(image_label "$1")" = "$2" ]; }

mkdir -p "$CACHE" "$CACHE/bin" "$CACHE/logs"
# One build at a time (shared cache dirs, staged contexts, image tags).
exec 9>"$CACHE/.build.lock"
flock -w 3600 9 || die "could not lock $CACHE/.build.lock"

if [ "${WIRECAGE_SKIP_ENGINE:-0}" != 1 ]; then
  "$HERE/engine.sh"
fi
docker info >/dev/null 2>&1 || die "docker engine does not answer (run docker/engine.sh)"

# Run a docker build quietly; show the log tail on failure.
docker_build() { # NAME HASH DOCKERFILE CONTEXT [build args...]
  local name=$1 hash=$2 df=$3 ctx=$4; shift 4
  local blog="$CACHE/logs/build-${name%%:*}.log"
  log "building $name (log: $blog)"
  if ! docker build --label "$LABEL=$hash" -f "$df" -t "$name" "$@" "$ctx" >"$blog" 2>&1; then
    tail -n 40 "$blog" >&2
    die "docker build of $name failed"
  fi
}

########################################################################################
# boringtun-cli: compile on the host (in the background while the rest builds)
BORINGTUN_BIN="$CACHE/bin/boringtun-cli"
BORINGTUN_PID=""
boringtun_cached() {
  [ -x "$BORINGTUN_BIN" ] && [ "$(cat "$BORINGTUN_BIN.version" 2>/dev/null)" = "$BORINGTUN_CLI_VERSION" ]
}
build_boringtun_cli() { # (one recipe for the image and the soak test: bin/boringtun-cli.sh)
  WIRECAGE_CACHE=$CACHE BORINGTUN_CLI_VERSION=$BORINGTUN_CLI_VERSION "$REPO/bin/boringtun-cli.sh" >/dev/null
}
if want boringtun && ! boringtun_cached; then
  log "compiling boringtun-cli $BORINGTUN_CLI_VERSION in the background (log: $CACHE/logs/cargo-boringtun-cli.log)"
  build_boringtun_cli >"$CACHE/logs/cargo-boringtun-cli.log" 2>&1 &
  BORINGTUN_PID=$!
fi

########################################################################################
# base: debootstrap minbase + trim + docker import
make_base_rootfs() { # ROOT
  local root=${1:?}
  [ "$root" != / ] || return 1
  mkdir -p "$CACHE/debs"
  debootstrap --variant=minbase --cache-dir="$CACHE/debs" \
    --include="$(IFS=,; echo "${BASE_PACKAGES[*]}")" "$SUITE" "$root" "$DEBIAN_MIRROR"
  # Keep later apt installs small too (as debian:*-slim does).
  cat >"$root/etc/dpkg/dpkg.cfg.d/01-wirecage-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
EOF
  cat >"$root/etc/apt/apt.conf.d/01-wirecage" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
EOF
  chroot "$root" apt-get clean
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -depth -type d -empty -delete
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  rm -rf "${root:?}"/usr/share/man/* "${root:?}"/usr/share/info/* "${root:?}"/usr/share/lintian \
         "${root:?}"/var/lib/apt/lists/* "${root:?}"/var/cache/apt/*.bin "${root:?}"/var/cache/debconf/*-old \
         "${root:?}"/var/lib/dpkg/*-old "${root:?}"/tmp/* "${root:?}"/dev/* \
         "${root:?}"/etc/hostname "${root:?}"/etc/resolv.conf "${root:?}"/etc/machine-id
  find "$root/var/log" -type f -delete
  mkdir -p "$root/var/lib/apt/lists/partial"
  : >"$root/etc/machine-id"
}
build_base() {
  # The hash covers the package list, suite and the recipe code itself.
  local hash
  hash=$(printf '%s\n' "$SUITE" "$DEBIAN_MIRROR" "${BASE_PACKAGES[@]}" "$(declare -f make_base_rootfs)" | sha)
  if up_to_date "$IMG_BASE" "$hash"; then
    log "$IMG_BASE up to date ($hash)"; return
  fi
  local tarball="$CACHE/wirecage-base-$SUITE-$hash.tar"
  if [ ! -s "$tarball" ] || [ "$FORCE" = 1 ]; then
    command -v debootstrap >/dev/null 2>&1 || apt-get install -y -q --no-install-recommends debootstrap >/dev/null
    # dpkg fsyncs every file: on a tmpfs debootstrap runs about twice as fast.
    local tmpbase=$CACHE
    if [ -d /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR==2{print $4}')" -gt 2000000 ]; then tmpbase=/dev/shm; fi
    local work; work=$(mktemp -d "$tmpbase/wirecage-rootfs.XXXXXX")
    log "debootstrap $SUITE minbase (log: $CACHE/logs/debootstrap.log)"
    # In the background so that `set -e` holds inside (it is off in an `if`/`||` context).
    make_base_rootfs "$work/root" >"$CACHE/logs/debootstrap.log" 2>&1 &
    if ! wait $!; then
      tail -n 30 "$CACHE/logs/debootstrap.log" >&2
      rm -rf --one-file-system "$work"; die "debootstrap failed"
    fi
    tar -C "$work/root" --numeric-owner --xattrs --xattrs-include='security.capability' \
      -cf "$tarball.tmp" .
    mv -f "$tarball.tmp" "$tarball"
    rm -rf --one-file-system "$work"
    # Drop tarballs of older recipes.
    find "$CACHE" -maxdepth 1 -name "wirecage-base-$SUITE-*.tar" ! -name "$(basename "$tarball")" -delete
    log "rootfs tarball: $tarball ($(du -h "$tarball" | cut -f1))"
  else
    log "reusing cached rootfs $tarball"
  fi
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --change "LABEL $LABEL=$hash" \
    --change "LABEL org.wirecagesrv.base.packages=\"${BASE_PACKAGES[*]}\"" \
    --message "debootstrap --variant=minbase $SUITE" \
    "$tarball" "$IMG_BASE" >/dev/null
  log "imported $IMG_BASE ($hash)"
}

########################################################################################
# client
build_client() {
  local base_id hash
  base_id=$(image_id "$BASE_IMAGE")
  [ -n "$base_id" ] || die "base image $BASE_IMAGE not found (on machines that can pull: docker pull it first)"
  hash=$( { cat "$HERE/client/Dockerfile"; echo "$base_id"; } | sha)
  if up_to_date "$IMG_CLIENT" "$hash"; then log "$IMG_CLIENT up to date ($hash)"; return; fi
  docker_build "$IMG_CLIENT" "$hash" "$HERE/client/Dockerfile" "$HERE/client" \
    --build-arg "BASE_IMAGE=$BASE_IMAGE"
  log "built $IMG_CLIENT"
}

########################################################################################
# server: jlink runtime (cached by JDK release + modules) + jar
jlink_runtime() { # prints the runtime dir (bin/jlink-runtime.sh: the module list shared with the release archive)
  WIRECAGE_CACHE=$CACHE "$REPO/bin/jlink-runtime.sh" --jar "$JAR" --jdk "$JDK" --cache "$CACHE"
}
build_server() {
  if [ ! -f "$JAR" ]; then
    if [ "$EXPLICIT_SERVER" = 1 ]; then die "server jar not found: $JAR (build it with Maven first, or pass --jar PATH)"; fi
    log "WARNING: skipping $IMG_SERVER: server jar not found at $JAR (run the Maven build first, or pass --jar PATH)"
    return
  fi
  [ -x "$JDK/bin/jlink" ] || die "no jlink at $JDK/bin/jlink (set WIRECAGE_JDK to a JDK 21+)"
  local base_id jar_sha jre hash
  base_id=$(image_id "$BASE_IMAGE")
  [ -n "$base_id" ] || die "base image $BASE_IMAGE not found"
  jar_sha=$(sha256sum "$JAR" | cut -c1-32)
  jre=$(jlink_runtime) || die "jlink runtime failed"
  hash=$( { cat "$HERE/server/Dockerfile"; echo "$base_id"; echo "$jar_sha"; basename "$jre"; } | sha)
  if up_to_date "$IMG_SERVER" "$hash"; then log "$IMG_SERVER up to date ($hash)"; return; fi
  local ctx="$CACHE/context/server"
  rm -rf "$ctx"; mkdir -p "$ctx"
  cp -al "$jre" "$ctx/jre" 2>/dev/null || cp -a "$jre" "$ctx/jre"
  cp "$JAR" "$ctx/wirecagesrv.jar"
  docker_build "$IMG_SERVER" "$hash" "$HERE/server/Dockerfile" "$ctx" \
    --build-arg "BASE_IMAGE=$BASE_IMAGE"
  rm -rf "$ctx"
  log "built $IMG_SERVER"
}

########################################################################################
# boringtun client
build_boringtun() {
  if [ -n "$BORINGTUN_PID" ]; then
    log "waiting for the boringtun-cli compile"
    if ! wait "$BORINGTUN_PID"; then
      tail -n 30 "$CACHE/logs/cargo-boringtun-cli.log" >&2
      die "cargo install boringtun-cli failed"
    fi
    BORINGTUN_PID=""
    log "boringtun-cli compiled: $BORINGTUN_BIN"
  fi
  boringtun_cached || die "boringtun-cli binary missing at $BORINGTUN_BIN"
  local client_id bin_sha hash
  client_id=$(image_id "$IMG_CLIENT")
  [ -n "$client_id" ] || die "$IMG_CLIENT not found"
  bin_sha=$(sha256sum "$BORINGTUN_BIN" | cut -c1-32)
  hash=$( { cat "$HERE/boringtun-client/Dockerfile"; echo "$client_id"; echo "$bin_sha"; } | sha)
  if up_to_date "$IMG_BORINGTUN" "$hash"; then log "$IMG_BORINGTUN up to date ($hash)"; return; fi
  local ctx="$CACHE/context/boringtun"
  rm -rf "$ctx"; mkdir -p "$ctx"
  cp "$BORINGTUN_BIN" "$ctx/boringtun-cli"
  docker_build "$IMG_BORINGTUN" "$hash" "$HERE/boringtun-client/Dockerfile" "$ctx" \
    --build-arg "CLIENT_IMAGE=$IMG_CLIENT"
  rm -rf "$ctx"
  log "built $IMG_BORINGTUN"
}

if want base; then
  if [ "$BASE_IMAGE" = "$IMG_BASE" ]; then build_base
  else log "base: using $BASE_IMAGE (WIRECAGE_BASE_IMAGE), no debootstrap"; fi
fi
want client && build_client
want server && build_server
want boringtun && build_boringtun

log "done"
# Old versions of our images (untagged by a rebuild) only take space.
docker image prune -f --filter "label=$LABEL" >/dev/null 2>&1 || true
docker image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' \
  | grep -E "^(wirecage-base|wirecage-client|wirecagesrv|wirecage-boringtun-client):" | sed 's/^/  /' >&2 || true
