#!/bin/bash
# fetch.sh ARCH : download Debian kernel packages for ARCH (x86_64|arm64) into the
# cache with `apt-get download` and unpack them with `dpkg -x`. Idempotent.
source "$(dirname "$0")/common.sh"
ARCH="${1:?arch}"
ABI="$(resolve_abi)"

case "$ARCH" in
  x86_64) DEBARCH=amd64; FLAVOURS=(amd64 cloud-amd64) ;;
  arm64)  DEBARCH=arm64; FLAVOURS=(arm64) ;;
  *) die "unknown arch $ARCH" ;;
esac

DEBS="$CACHE/debs/$DEBARCH"
mkdir -p "$DEBS"

# apt for a foreign architecture without touching dpkg's architecture list:
# own lists/cache dirs, only the Debian sources of the host.
APT=(apt-get -oAPT::Sandbox::User=root)
APTCACHE=(apt-cache)
if [ "$DEBARCH" != "$(dpkg --print-architecture)" ]; then
  A="$CACHE/apt-$DEBARCH"
  mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/sources.list.d"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && grep -qi 'debian' "$f" && grep -v '^\s*#' "$f" | grep -qiE 'debian\.org|/debian' &&
      cp "$f" "$A/sources.list.d/$(basename "$(dirname "$f")")-$(basename "$f")"
  done
  # a sources.list copied under sources.list.d needs the .list suffix
  [ -f "$A/sources.list.d/apt-sources.list" ] && mv "$A/sources.list.d/apt-sources.list" "$A/sources.list.d/main.list"
  OPTS=(-oAPT::Architecture="$DEBARCH" -oAPT::Architectures="$DEBARCH"
        -oDir::State::Lists="$A/lists" -oDir::Cache="$A/cache"
        -oDir::Etc::SourceList=/dev/null -oDir::Etc::SourceParts="$A/sources.list.d")
  APT=(apt-get -oAPT::Sandbox::User=root "${OPTS[@]}")
  APTCACHE=(apt-cache "${OPTS[@]}")
  if [ ! -f "$A/updated" ]; then
    log "apt-get update for $DEBARCH (own lists in $A/lists)"
    "${APT[@]}" update >&2
    touch "$A/updated"
  fi
fi

candidate() { "${APTCACHE[@]}" show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Version: //p' | head -1; }

# download PKG[=VER] unless a matching .deb is already there
download() {
  local spec="$1" pkg="${1%%=*}" ver
  if [[ "$spec" == *=* ]]; then ver="${spec#*=}"; else ver="$(candidate "$pkg")"; fi
  [ -n "$ver" ] || die "no candidate for $pkg ($DEBARCH)"
  local fver="${ver//:/%3a}"
  if ls "$DEBS/${pkg}_${fver}_"*.deb >/dev/null 2>&1; then return 0; fi
  log "apt-get download $pkg=$ver ($DEBARCH)"
  (cd "$DEBS" && "${APT[@]}" download "$pkg=$ver" >&2)
}
debfile() { ls "$DEBS/${1}_"*.deb 2>/dev/null | sort -V | tail -1; }

IMGVER="$(candidate "linux-image-$ABI-${FLAVOURS[0]}")"
[ -n "$IMGVER" ] || die "linux-image-$ABI-${FLAVOURS[0]} not found in the apt lists (apt-get update? KPANIC_KERNEL_ABI=latest?)"
for fl in "${FLAVOURS[@]}"; do
  download "linux-image-$ABI-$fl=$IMGVER"
done
download "linux-headers-$ABI-${FLAVOURS[0]}=$IMGVER"
download "linux-headers-$ABI-common=$IMGVER"
download busybox-static
if [ "$DEBARCH" = amd64 ]; then
  # linux-kbuild is versioned separately (headers depend on ">= $IMGVER"): exact if
  # still in the archive, otherwise the candidate
  if "${APTCACHE[@]}" madison "linux-kbuild-$KERNEL_SERIES" | awk -F"|" '{gsub(/ /,"",$2); print $2}' | grep -qxF "$IMGVER"; then
    download "linux-kbuild-$KERNEL_SERIES=$IMGVER"
  else
    download "linux-kbuild-$KERNEL_SERIES"
  fi
  # the lkdtm source must be exactly the kernel's version
  download "linux-source-$KERNEL_SERIES=$IMGVER"
fi

# unpack: one root per flavour (image [+ headers + kbuild for the first flavour])
for fl in "${FLAVOURS[@]}"; do
  R="$CACHE/$ARCH/$fl/root"
  [ -f "$R/.done" ] && continue
  rm -rf "$R"; mkdir -p "$R"
  log "dpkg -x linux-image-$ABI-$fl -> $R"
  dpkg -x "$(debfile "linux-image-$ABI-$fl")" "$R"
  KREL="$(ls "$R/lib/modules")"
  depmod -b "$R" "$KREL"
  echo "$KREL" > "$R/.krel"
  echo "$IMGVER" > "$R/.version"
  echo "linux-image-$ABI-$fl" > "$R/.package"
  touch "$R/.done"
done

# headers + host kbuild (always the amd64 kbuild: it runs on the build host)
H="$CACHE/$ARCH/headers"
if [ ! -f "$H/.done" ]; then
  rm -rf "$H"; mkdir -p "$H"
  dpkg -x "$(debfile "linux-headers-$ABI-${FLAVOURS[0]}")" "$H"
  dpkg -x "$(debfile "linux-headers-$ABI-common")" "$H"
  [ "$DEBARCH" = amd64 ] && dpkg -x "$(debfile "linux-kbuild-$KERNEL_SERIES")" "$H"
  touch "$H/.done"
fi

BB="$CACHE/$ARCH/busybox"
if [ ! -f "$BB/.done" ]; then
  rm -rf "$BB"; mkdir -p "$BB"
  dpkg -x "$(debfile busybox-static)" "$BB"
  touch "$BB/.done"
fi
log "fetch $ARCH done: kernel $ABI ($IMGVER)"
