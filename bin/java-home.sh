# Sourced by the scripts in bin/ and .ci/run: picks a JDK 21+ (the build targets Java 21 bytecode).
# Keeps JAVA_HOME when it already points at one; otherwise prefers Temurin 25, then any JDK >= 21.
_wcs_java_ok() {
  [ -x "$1/bin/java" ] || return 1
  local v
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [ -n "$v" ] && [ "${v%%.*}" -ge 21 ] 2>/dev/null
}
if [ -z "${JAVA_HOME:-}" ] || ! _wcs_java_ok "$JAVA_HOME"; then
  JAVA_HOME=""
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    if _wcs_java_ok "$candidate"; then JAVA_HOME=$candidate; break; fi
  done
  if [ -z "$JAVA_HOME" ]; then
    echo "wirecagesrv: no JDK 21 or newer found (set JAVA_HOME, or install one under /usr/lib/jvm: package openjdk-21-jdk-headless on Debian trixie/Ubuntu 24.04, Temurin 21+ elsewhere; a release archive needs none)" >&2
    exit 1
  fi
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
