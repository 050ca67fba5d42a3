#!/bin/bash
# fetch.sh ARCH : download Debian kernel packages for ARCH (x86_64|arm64|riscv64|ppc64el|s390x|armhf|i386,
# or x86_64-bullseye: Debian 11's 5.10 amd64 image only) into the cache with `apt-get download` and
# unpack them with `dpkg -x`. Idempotent.
source "$(dirname "$0")/common.sh"
ARCH="${1:?arch}"
arch_vars "$ARCH"
ABI="$(resolve_abi)"

DEBS="$CACHE/debs/$DEBARCH"
HOSTDEBS="$CACHE/debs/$(dpkg --print-architecture)"
mkdir -p "$DEBS" "$HOSTDEBS"

# apt for a foreign architecture without touching dpkg's architecture list:
# own lists/cache dirs, only the Debian sources of the host (bookworm), or for riscv64
# (no bookworm port) Debian 13 trixie, whose lists also carry amd64 for the matching host kbuild;
# the same own lists for the host's architecture from another suite (x86_64-bullseye).
APT=(apt-get -oAPT::Sandbox::User=root)
APTCACHE=(apt-cache)
HOSTAPT=("${APT[@]}") HOSTAPTCACHE=("${APTCACHE[@]}")
if [ "$DEBARCH" != "$(dpkg --print-architecture)" ] || [ "$SUITE" != bookworm ]; then
  A="$CACHE/apt-$ARCH"
  mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/sources.list.d"
  ARCHS="$DEBARCH"
  if [ "$SUITE" = bookworm ]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] && grep -qi 'debian' "$f" && grep -v '^\s*#' "$f" | grep -qiE 'debian\.org|/debian' &&
        cp "$f" "$A/sources.list.d/$(basename "$(dirname "$f")")-$(basename "$f")"
    done
    # a sources.list copied under sources.list.d needs the .list suffix
    [ -f "$A/sources.list.d/apt-sources.list" ] && mv "$A/sources.list.d/apt-sources.list" "$A/sources.list.d/main.list"
  else
    [ "$DEBARCH" = "$(dpkg --print-architecture)" ] || ARCHS="$DEBARCH,$(dpkg --print-architecture)"
    cat > "$A/sources.list.d/$SUITE.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  OPTS=(-oAPT::Architecture="$DEBARCH" -oAPT::Architectures="$ARCHS"
        -oDir::State::Lists="$A/lists" -oDir::Cache="$A/cache"
        -oDir::Etc::SourceList=/dev/null -oDir::Etc::SourceParts="$A/sources.list.d")
  APT=(apt-get -oAPT::Sandbox::User=root "${OPTS[@]}")
  APTCACHE=(apt-cache "${OPTS[@]}")
  if [ ! -f "$A/updated" ]; then
    log "apt-get update for $DEBARCH ($SUITE; own lists in $A/lists)"
    # A suite whose index does not verify is left out by apt (seen: bookworm-security's armhf/ppc64el
    # and trixie-security's riscv64 Packages.xz "File has unexpected size ... Mirror sync in progress?");
    # the kernel then comes from the suites that did verify.
    "${APT[@]}" update >&2 || log "WARNING: apt-get update for $DEBARCH reported errors (above); using the indexes that verified"
    touch "$A/updated"
  fi
  # trixie also provides the host-side (amd64 / all) packages: kbuild and linux-source
  if [ "$SUITE" != bookworm ]; then HOSTAPT=("${APT[@]}") HOSTAPTCACHE=("${APTCACHE[@]}") HOSTDEBS="$DEBS"; fi
fi

candidate() { { "${APTCACHE[@]}" show --no-all-versions "$1" 2>/dev/null || true; } | sed -n 's/^Version: //p' | head -1; }

# download [host] PKG[=VER] unless a matching .deb is already there ("host": a package for the
# build host - linux-kbuild, linux-source - from the host's apt, or the trixie lists for riscv64)
download() {
  local apt=("${APT[@]}") aptc=("${APTCACHE[@]}") dir="$DEBS"
  if [ "$1" = host ]; then apt=("${HOSTAPT[@]}") aptc=("${HOSTAPTCACHE[@]}") dir="$HOSTDEBS"; shift; fi
  local spec="$1" pkg="${1%%=*}" ver
  if [[ "$spec" == *=* ]]; then ver="${spec#*=}"; else
    ver="$({ "${aptc[@]}" show --no-all-versions "$pkg" 2>/dev/null || true; } | sed -n 's/^Version: //p' | head -1)"; fi
  [ -n "$ver" ] || die "no candidate for $pkg ($DEBARCH)"
  local fver="${ver//:/%3a}"
  if ls "$dir/${pkg%%:*}_${fver}_"*.deb >/dev/null 2>&1; then return 0; fi
  log "apt-get download $pkg=$ver ($DEBARCH)"
  (cd "$dir" && "${apt[@]}" download "$pkg=$ver" >&2)
}
debfile() { ls "${2:-$DEBS}/${1}_"*.deb 2>/dev/null | sort -V | tail -1; }

FL0="${FLAVOURS[0]}"
IMGVER="$(candidate "linux-image-$ABI-$FL0")"
if [ -z "$IMGVER" ] && { [ "$DEBARCH" != amd64 ] || [ "$SUITE" != bookworm ]; }; then
  # The pinned ABI is not in this architecture's archive (s390x: not in bookworm-security;
  # riscv64: trixie; bullseye: 5.10): take what the flavour's metapackage depends on.
  A2="$({ "${APTCACHE[@]}" depends "linux-image-$FL0" 2>/dev/null || true; } | sed -n "s/.*Depends: linux-image-\(.*\)-$FL0\$/\1/p" | head -1)"
  [ -n "$A2" ] && log "linux-image-$ABI-$FL0 is not in the $DEBARCH archive ($SUITE): using linux-image-$A2-$FL0"
  ABI="$A2"
  IMGVER="$(candidate "linux-image-$ABI-$FL0")"
fi
[ -n "$IMGVER" ] || die "linux-image-$ABI-$FL0 not found in the apt lists (apt-get update? KPANIC_KERNEL_ABI=latest?)"
SERIES="$(echo "$IMGVER" | cut -d. -f1,2)"
for fl in "${FLAVOURS[@]}"; do
  download "linux-image-$ABI-$fl=$IMGVER"
done
unpack_images() {	# one root per flavour
  local fl R KREL
  for fl in "${FLAVOURS[@]}"; do
    R="$CACHE/$ARCH/$fl/root"
    [ -f "$R/.done" ] && continue
    rm -rf "$R"; mkdir -p "$R"
    log "dpkg -x linux-image-$ABI-$fl -> $R"
    dpkg -x "$(debfile "linux-image-$ABI-$fl")" "$R"
    # trixie packages are merged-/usr (usr/lib/modules only): the tools here look in lib/modules
    [ -e "$R/lib" ] || { [ -d "$R/usr/lib/modules" ] && ln -s usr/lib "$R/lib"; }
    KREL="$(ls "$R/lib/modules")"
    depmod -b "$R" "$KREL"
    echo "$KREL" > "$R/.krel"
    echo "$IMGVER" > "$R/.version"
    echo "linux-image-$ABI-$fl" > "$R/.package"
    sha "$(debfile "linux-image-$ABI-$fl")" > "$R/.deb-sha256"
    touch "$R/.done"
  done
}
if [ "$IMAGE_ONLY" = 1 ]; then
  unpack_images
  log "fetch $ARCH done: kernel $ABI ($IMGVER), image only"
  exit 0
fi
download "linux-headers-$ABI-$FL0=$IMGVER"
download "linux-headers-$ABI-common=$IMGVER"
download busybox-static
# linux-kbuild (host tools, always the build host's architecture) is versioned separately
# (headers depend on ">= $IMGVER"): exact if still in the archive, otherwise the candidate.
# bookworm: linux-kbuild-6.1; trixie: linux-kbuild-<abi>.
KBUILD="linux-kbuild-$SERIES"
[ -n "$("${HOSTAPTCACHE[@]}" madison "linux-kbuild-$ABI" 2>/dev/null)" ] && KBUILD="linux-kbuild-$ABI"
HA=":$(dpkg --print-architecture)"
if { "${HOSTAPTCACHE[@]}" madison "$KBUILD$HA" || true; } | awk -F"|" '{gsub(/ /,"",$2); print $2}' | grep -qxF "$IMGVER"; then
  KBUILDVER="$IMGVER"
else
  KBUILDVER="$({ "${HOSTAPTCACHE[@]}" show --no-all-versions "$KBUILD$HA" 2>/dev/null || true; } | sed -n 's/^Version: //p' | head -1)"
fi
download host "$KBUILD$HA=$KBUILDVER"
# the lkdtm source must be exactly the kernel's version
download host "linux-source-$SERIES=$IMGVER"
# trixie's kbuild tools (modpost) need a newer glibc than bookworm's: take that suite's libc6 for them
[ "$SUITE" = bookworm ] || download host "libc6$HA"

# unpack: one root per flavour (image [+ headers + kbuild for the first flavour])
unpack_images

# headers + host kbuild (always the build host's kbuild: it runs on the build host)
H="$CACHE/$ARCH/headers"
if [ ! -f "$H/.done" ]; then
  rm -rf "$H"; mkdir -p "$H"
  dpkg -x "$(debfile "linux-headers-$ABI-$FL0")" "$H"
  dpkg -x "$(debfile "linux-headers-$ABI-common")" "$H"
  dpkg -x "$(ls "$HOSTDEBS/${KBUILD}_${KBUILDVER//:/%3a}_"*.deb)" "$H"
  if [ "$SUITE" != bookworm ]; then
    mkdir -p "$H/hostlibc"; dpkg -x "$(debfile libc6 "$HOSTDEBS")" "$H/hostlibc"
  fi
  echo "$ABI" > "$H/.abi"
  echo "$HOSTDEBS/linux-source-${SERIES}_${IMGVER}_all.deb" > "$H/.source-deb"
  touch "$H/.done"
fi

BB="$CACHE/$ARCH/busybox"
if [ ! -f "$BB/.done" ]; then
  rm -rf "$BB"; mkdir -p "$BB"
  dpkg -x "$(debfile busybox-static)" "$BB"
  touch "$BB/.done"
fi
log "fetch $ARCH done: kernel $ABI ($IMGVER)"
