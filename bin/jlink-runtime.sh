#!/usr/bin/env bash
# A jlink'ed Java runtime for the server jar, shared by docker/build-images.sh (server image) and
# the release archive (release/build-archive.sh): one module list, one cache.
#
#   bin/jlink-runtime.sh --jar JAR [--jdk JDK] [--cache DIR]     prints the runtime directory
#
# Modules: java.base and jdk.unsupported (sun.misc.Signal), plus what `jdeps --print-module-deps`
# finds in the jar, minus java.desktop (JNA and zxing reference AWT only for helpers a headless
# server never calls: ~20 MB; without it `peer add --qr-png` is unavailable, `--qr` works).
#
# Environment:
#   WIRECAGE_JLINK_MODULES  extra modules, comma separated
#   WIRECAGE_JLINK_EXCLUDE  modules dropped from jdeps' findings (default java.desktop; "" keeps all)
#
# The runtime is cached in CACHE/jre/<hash of JDK release + modules + options> (default cache:
# $WIRECAGE_CACHE or /var/cache/wirecagesrv when writable, else ~/.cache/wirecagesrv); jdeps'
# answer is cached per jar content in CACHE/jdeps/. Only the newest runtime is kept.
set -euo pipefail

JAR=""
JDK=${WIRECAGE_JDK:-${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}}
CACHE=${WIRECAGE_CACHE:-/var/cache/wirecagesrv}
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) JAR=$2; shift 2 ;;
    --jdk) JDK=$2; shift 2 ;;
    --cache) CACHE=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "jlink-runtime.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -n "$JAR" ] && [ -f "$JAR" ] || { echo "jlink-runtime.sh: server jar not found: ${JAR:-(none given, use --jar)}" >&2; exit 1; }
[ -x "$JDK/bin/jlink" ] || { echo "jlink-runtime.sh: no jlink at $JDK/bin/jlink (a JDK 21+ is needed: set JAVA_HOME or --jdk)" >&2; exit 1; }
if ! mkdir -p "$CACHE" 2>/dev/null || [ ! -w "$CACHE" ]; then
  CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/wirecagesrv
  mkdir -p "$CACHE"
fi

MODULES_DEFAULT=java.base,jdk.unsupported
OPTS="--strip-debug --no-header-files --no-man-pages --compress=zip-6"

jar_sha=$(sha256sum "$JAR" | cut -c1-32)
mods=$MODULES_DEFAULT
[ -n "${WIRECAGE_JLINK_MODULES:-}" ] && mods="$mods,$WIRECAGE_JLINK_MODULES"
jdeps_cache="$CACHE/jdeps/$jar_sha"
if [ ! -f "$jdeps_cache" ]; then
  mkdir -p "$CACHE/jdeps"
  release=$("$JDK/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  "$JDK/bin/jdeps" --ignore-missing-deps --multi-release "${release:-21}" --print-module-deps "$JAR" \
    2>/dev/null | tail -n 1 | grep -E '^[a-z][a-zA-Z0-9.,]*$' >"$jdeps_cache.tmp.$$" || true
  mv -f "$jdeps_cache.tmp.$$" "$jdeps_cache"
fi
[ -s "$jdeps_cache" ] && mods="$mods,$(cat "$jdeps_cache")"
excl=",${WIRECAGE_JLINK_EXCLUDE-java.desktop},"
mods=$(echo "$mods" | tr ',' '\n' | sed '/^$/d' | sort -u | while read -r m; do
         case "$excl" in
           *",$m,"*) case ",${WIRECAGE_JLINK_MODULES:-}," in *",$m,"*) echo "$m" ;; esac ;;
           *) echo "$m" ;;
         esac
       done | paste -sd,)

h=$( { cat "$JDK/release"; echo "$mods"; echo "$OPTS"; } | sha256sum | cut -c1-32)
dir="$CACHE/jre/$h"
if [ ! -x "$dir/bin/java" ]; then
  mkdir -p "$CACHE/jre"
  exec 8>"$CACHE/jre/.lock"
  flock -w 600 8 || { echo "jlink-runtime.sh: could not lock $CACHE/jre/.lock" >&2; exit 1; }
  if [ ! -x "$dir/bin/java" ]; then
    echo "jlink-runtime.sh: jlink runtime with $mods (into $dir)" >&2
    rm -rf "$dir" "$dir.tmp"
    # shellcheck disable=SC2086
    "$JDK/bin/jlink" --add-modules "$mods" $OPTS --output "$dir.tmp" >&2
    mv "$dir.tmp" "$dir"
    # Older runtimes go after a day (not at once: another checkout may be copying one right now).
    find "$CACHE/jre" -mindepth 1 -maxdepth 1 ! -name "$h" ! -name .lock -mmin +1440 -exec rm -rf {} +
  fi
fi
echo "$dir"
