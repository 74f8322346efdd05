# Sourced by bin/wirecagesrv and bin/test: makes sure host tools are there before they are needed.
#
#   wcs_need_tools WHO PKG:CMD...   e.g. wcs_need_tools wirecagesrv iptables:iptables
#
# For each PKG:CMD whose CMD is not found (PATH plus /usr/sbin and /sbin), the package PKG (its
# Debian/Ubuntu name) is missing. As root on Debian or Ubuntu the missing packages are installed with
# apt-get (saying which, before it starts); anywhere else it prints one line naming each missing
# package (with this system's package name where it is known) and returns 1.
# WCS_INSTALL=0 turns the installation off (only report).

# Package names that differ from Debian's on other distributions ("os-id:debian-name=their-name").
_WCS_PKG_NAMES=(
  fedora:iptables=iptables-nft rhel:iptables=iptables-nft centos:iptables=iptables-nft
  arch:iptables=iptables-nft fedora:iproute2=iproute rhel:iproute2=iproute centos:iproute2=iproute
  fedora:wireguard-go=wireguard-go fedora:iputils-ping=iputils rhel:iputils-ping=iputils arch:iputils-ping=iputils
  fedora:procps=procps-ng rhel:procps=procps-ng arch:procps=procps-ng
)

_wcs_os_field() { # FIELD: from /etc/os-release, empty when unknown
  [ -r /etc/os-release ] || return 0
  (. /etc/os-release 2>/dev/null; eval "echo \"\${$1:-}\"")
}

_wcs_is_debian_like() {
  local ids
  ids=" $(_wcs_os_field ID) $(_wcs_os_field ID_LIKE) "
  case "$ids" in *" debian "*|*" ubuntu "*) command -v apt-get >/dev/null 2>&1 ;; *) return 1 ;; esac
}

_wcs_has_cmd() {
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

_wcs_pkg_name() { # DEBIAN-NAME: this system's name for it
  local id entry
  id=$(_wcs_os_field ID)
  for entry in "${_WCS_PKG_NAMES[@]}"; do
    [ "${entry%%:*}" = "$id" ] || continue
    case "${entry#*:}" in "$1="*) echo "${entry#*:"$1"=}"; return ;; esac
  done
  echo "$1"
}

wcs_need_tools() {
  local who=$1; shift
  local missing_pkgs=() missing_cmds=() pc
  for pc in "$@"; do
    _wcs_has_cmd "${pc#*:}" && continue
    missing_cmds+=("${pc#*:}")
    case " ${missing_pkgs[*]} " in *" ${pc%%:*} "*) ;; *) missing_pkgs+=("${pc%%:*}") ;; esac
  done
  [ ${#missing_pkgs[@]} -eq 0 ] && return 0

  if [ "${WCS_INSTALL:-1}" != 0 ] && [ "$(id -u)" = 0 ] && _wcs_is_debian_like; then
    echo "$who: installing ${missing_pkgs[*]} with apt-get (missing: ${missing_cmds[*]})" >&2
    local log; log=$(mktemp /tmp/wirecagesrv-apt.XXXXXX)
    # Slim images drop /usr/share/man; Java packages' postinst fails without man1 (update-alternatives).
    [ -d /usr/share/man/man1 ] || mkdir -p /usr/share/man/man1
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q \
           && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing_pkgs[@]}"; } >"$log" 2>&1; then
      tail -n 20 "$log" >&2
      echo "$who: apt-get install ${missing_pkgs[*]} failed (full log: $log)" >&2
      return 1
    fi
    rm -f "$log"
    for pc in "$@"; do
      _wcs_has_cmd "${pc#*:}" || { echo "$who: '${pc#*:}' still not found after installing ${pc%%:*}" >&2; return 1; }
    done
    echo "$who: installed ${missing_pkgs[*]}" >&2
    return 0
  fi

  local os pkgs=() p why
  os=$(_wcs_os_field PRETTY_NAME); os=${os:-this system}
  for p in "${missing_pkgs[@]}"; do pkgs+=("$(_wcs_pkg_name "$p")"); done
  if [ "$(id -u)" != 0 ]; then why="not root, so nothing was installed"
  elif [ "${WCS_INSTALL:-1}" = 0 ]; then why="WCS_INSTALL=0, so nothing was installed"
  else why="not Debian/Ubuntu, so nothing was installed"; fi
  echo "$who: missing ${missing_cmds[*]}: install the package(s) ${pkgs[*]} on $os ($why)" >&2
  return 1
}

# Build tools for the server jar: JDK 21+ (bin/java-home.sh), Maven and cargo, each with one clear line.
wcs_need_build_tools() { # WHO
  local who=$1
  if ! _wcs_has_cmd mvn; then
    wcs_need_tools "$who" maven:mvn || { echo "$who: Maven (mvn) is needed to build the server" >&2; return 1; }
  fi
  if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    echo "$who: cargo not found: the native bridge is Rust; install a Rust toolchain with rustup (https://rustup.rs, 1.80 or newer), or use a release archive, which needs none" >&2
    return 1
  fi
}
