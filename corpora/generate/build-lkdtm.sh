#!/bin/bash
# build-lkdtm.sh ARCH : build lkdtm.ko out of tree from Debian's linux-source-6.1
# (exactly the kernel's version) against the unpacked linux-headers.
# Debian 6.1 has CONFIG_LKDTM off; the module is unsigned and out of tree, so
# loading it taints the kernel "OE". Debug paths are mapped to the kernel tree's
# (drivers/misc/lkdtm/...), as an in-tree build has them; the module is kept,
# xz-compressed, as corpora/<arch>/modules/lkdtm.ko.xz.
source "$(dirname "$0")/common.sh"
ARCH="${1:?arch}"
ABI="$(resolve_abi)"
case "$ARCH" in
  x86_64) FL=amd64; KARCH=x86; CROSS= ;;
  arm64)  FL=arm64; KARCH=arm64; CROSS=aarch64-linux-gnu- ;;
  *) die "unknown arch $ARCH" ;;
esac
OUT="$CACHE/$ARCH/lkdtm/lkdtm.ko"
FIXTURE="$CORPORA_DIR/$ARCH/modules/lkdtm.ko.xz"
# The module that produced the logs is kept beside them (with DWARF) for the symbolization tests.
keep_fixture() {
  mkdir -p "$(dirname "$FIXTURE")"
  xz -9 --check=crc32 -c "$OUT" > "$FIXTURE.tmp" && mv "$FIXTURE.tmp" "$FIXTURE"
}
if [ -f "$OUT" ]; then
  [ -f "$FIXTURE" ] || keep_fixture
  exit 0
fi

[ -f "$CACHE/x86_64/headers/.done" ] || bash "$GEN_DIR/fetch.sh" x86_64   # linux-source + host kbuild
[ -f "$CACHE/$ARCH/headers/.done" ] || bash "$GEN_DIR/fetch.sh" "$ARCH"
VER="$(cat "$CACHE/$ARCH/$FL/root/.version")"
H="$CACHE/$ARCH/headers"
KDIR="$H/usr/src/linux-headers-$ABI-$FL"

# The flavour Makefile includes the -common one by absolute /usr/src path.
sed -i "s|^include /usr/src/linux-headers-$ABI-common/Makefile|include \$(dir \$(lastword \$(MAKEFILE_LIST)))../linux-headers-$ABI-common/Makefile|" "$KDIR/Makefile"
# A cross build needs the host (amd64) kbuild tools next to the target headers.
if [ ! -d "$H/usr/lib/linux-kbuild-$KERNEL_SERIES" ]; then
  dpkg -x "$(ls "$CACHE"/debs/amd64/linux-kbuild-"$KERNEL_SERIES"_*.deb | sort -V | tail -1)" "$H"
fi

# lkdtm source of exactly this kernel version
SRC="$CACHE/src/$VER/linux-source-$KERNEL_SERIES/drivers/misc/lkdtm"
if [ ! -f "$SRC/Makefile" ]; then
  log "extracting drivers/misc/lkdtm from linux-source-$KERNEL_SERIES $VER"
  mkdir -p "$CACHE/src/$VER"
  dpkg-deb --fsys-tarfile "$(ls "$CACHE"/debs/amd64/linux-source-"$KERNEL_SERIES"_"$VER"_all.deb)" |
    tar -xO "./usr/src/linux-source-$KERNEL_SERIES.tar.xz" |
    tar -xJ -C "$CACHE/src/$VER" "linux-source-$KERNEL_SERIES/drivers/misc/lkdtm"
fi

B="$WORK/lkdtm-build-$ARCH"
rm -rf "$B"; mkdir -p "$B"
cp -a "$SRC/." "$B/"
# native_write_cr4 is only exported to in-tree lkdtm: local stub (affects only UNSET_SMEP).
if grep -q native_write_cr4 "$B/bugs.c"; then
  # after the include block (the last #include may sit inside an #if ... #endif)
  last=$(awk '/^#include/ {l=NR} /^#endif/ && l && !e && NR>l {e=NR} END {print (e ? e : l)}' "$B/bugs.c")
  sed -i "${last}a\\
\\
/* kpanic corpus: native_write_cr4() is not exported to out-of-tree modules. */\\
static noinline void lkdtm_native_write_cr4_stub(unsigned long val)\\
{\\
	pr_err(\"lkdtm: native_write_cr4() unavailable out of tree (cr4=%lx)\\\\n\", val);\\
}\\
#define native_write_cr4 lkdtm_native_write_cr4_stub" "$B/bugs.c"
fi

log "building lkdtm.ko for $ARCH against $(basename "$KDIR")"
make -C "$KDIR" M="$B" ARCH="$KARCH" CROSS_COMPILE="$CROSS" CC="${CROSS}gcc-12" \
  CONFIG_LKDTM=m KCFLAGS="-fmacro-prefix-map=$B/=drivers/misc/lkdtm/ -fdebug-prefix-map=$B/=drivers/misc/lkdtm/" \
  -j"$(nproc)" modules >"$B/build.log" 2>&1 || { tail -30 "$B/build.log"; die "lkdtm build failed"; }
mkdir -p "$(dirname "$OUT")"
cp "$B/lkdtm.ko" "$OUT"
cp "$B/build.log" "$CACHE/$ARCH/lkdtm/build.log"
log "built $OUT ($(stat -c %s "$OUT") bytes)"
keep_fixture
