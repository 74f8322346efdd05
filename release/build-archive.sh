#!/usr/bin/env bash
# Builds the release archive (run by `mvn package` of this module):
#
#   release/build-archive.sh --jar JAR --version V --out DIR [--jdk JDK] [--mtime ISO-TIME]
#
# DIR/wirecagesrv-V-linux-x86_64.tar.gz holds one directory wirecagesrv-V-linux-x86_64/ with
#   bin/wirecagesrv                   launcher (the bundled runtime runs the bundled jar)
#   runtime/                          jlink'ed Java runtime (bin/jlink-runtime.sh, shared with the server image)
#   lib/wirecagesrv.jar               the server jar, native bridge (boringtun over JNI) inside
#   etc/wirecagesrv.toml.example      examples/wirecagesrv.toml
#   systemd/wirecagesrv.service       the systemd unit
#   completion/wirecagesrv.bash       bash completion (picocli), made by running the staged launcher
#   INSTALL, VERSION
# Entries are sorted, owned by root:root and dated --mtime (the build's outputTimestamp), gzip without a name:
# the same inputs give the same archive.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
repo=$(dirname "$here")
JAR="" VERSION="" OUT="" JDK=${JAVA_HOME:-} MTIME=2026-01-01T00:00:00Z
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) JAR=$2; shift 2 ;;
    --version) VERSION=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --jdk) JDK=$2; shift 2 ;;
    --mtime) MTIME=$2; shift 2 ;;
    *) echo "build-archive.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -n "$VERSION" ] && [ -n "$OUT" ] || { echo "build-archive.sh: --version and --out are required" >&2; exit 2; }
[ -f "$JAR" ] || { echo "build-archive.sh: server jar not found: $JAR (build the java module first)" >&2; exit 1; }
T0=$EPOCHREALTIME

runtime=$("$repo/bin/jlink-runtime.sh" --jar "$JAR" --jdk "$JDK")
name=wirecagesrv-$VERSION-linux-x86_64
stage=$OUT/release-stage
rm -rf "$stage"
d=$stage/$name
mkdir -p "$d/bin" "$d/lib" "$d/etc" "$d/systemd" "$d/completion"
cp -a "$runtime" "$d/runtime"
install -m 0644 "$JAR" "$d/lib/wirecagesrv.jar"
install -m 0755 "$here/wirecagesrv" "$d/bin/wirecagesrv"
install -m 0644 "$repo/examples/wirecagesrv.toml" "$d/etc/wirecagesrv.toml.example"
install -m 0644 "$here/wirecagesrv.service" "$d/systemd/wirecagesrv.service"
install -m 0644 "$here/INSTALL" "$d/INSTALL"
# Run the staged launcher: proves the runtime runs the jar, and makes the completion script.
"$d/bin/wirecagesrv" --version >"$d/VERSION"
"$d/bin/wirecagesrv" generate-completion >"$d/completion/wirecagesrv.bash"
grep -q '^boringtun ' "$d/VERSION" || { echo "build-archive.sh: --version of the staged server names no boringtun version" >&2; exit 1; }
sed -i '/^Java /s/, \/.*)$/)/' "$d/VERSION" # not the build machine's path

archive=$OUT/$name.tar.gz
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$MTIME" \
  -C "$stage" -cf - "$name" | gzip -n -6 >"$archive.tmp"
mv -f "$archive.tmp" "$archive"
rm -rf "$stage"
echo "build-archive.sh: $archive ($(du -h "$archive" | cut -f1), $(tar -tzf "$archive" | wc -l) entries) in $(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}') s" >&2
