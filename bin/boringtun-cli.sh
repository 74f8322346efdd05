#!/usr/bin/env bash
# Makes sure Cloudflare's boringtun-cli (a second WireGuard implementation, used as a client by the
# container tests and the soak test) is cached at $WIRECAGE_CACHE/bin/boringtun-cli (default
# /var/cache/wirecagesrv), compiling it with `cargo install` from crates.io when it is missing or of
# another version (a few minutes), and prints its path.
#   BORINGTUN_CLI_VERSION  crate version (default 0.7.1)
set -euo pipefail
CACHE=${WIRECAGE_CACHE:-/var/cache/wirecagesrv}
VERSION=${BORINGTUN_CLI_VERSION:-0.7.1}
BIN=$CACHE/bin/boringtun-cli
if [ -x "$BIN" ] && [ "$(cat "$BIN.version" 2>/dev/null)" = "$VERSION" ]; then
  echo "$BIN"
  exit 0
fi
cargo=cargo
command -v cargo >/dev/null 2>&1 || cargo="$HOME/.cargo/bin/cargo"
[ -x "$(command -v "$cargo")" ] || { echo "bin/boringtun-cli.sh: cargo not found (needed once to build boringtun-cli)" >&2; exit 1; }
mkdir -p "$CACHE/bin"
rm -rf "$CACHE/cargo-root"
"$cargo" install boringtun-cli --version "=$VERSION" --locked --root "$CACHE/cargo-root" >&2
install -m 0755 "$CACHE/cargo-root/bin/boringtun-cli" "$BIN.tmp"
mv -f "$BIN.tmp" "$BIN"
echo "$VERSION" >"$BIN.version"
rm -rf "$CACHE/cargo-root"
echo "$BIN"
