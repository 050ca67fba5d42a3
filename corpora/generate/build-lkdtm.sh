#!/bin/bash
# build-lkdtm.sh ARCH : build lkdtm.ko out of tree from Debian's linux-source-<series>
# (exactly the kernel's version) against the unpacked linux-headers.
# Debian's kernels have CONFIG_LKDTM off; the module is unsigned and out of tree, so
# loading it taints the kernel "OE". Debug paths are mapped to the kernel tree's
# (drivers/misc/lkdtm/...), as an in-tree build has them; the module is kept,
# xz-compressed, as corpora/<arch>/modules/lkdtm.ko.xz.
source "$(dirname "$0")/common.sh"
ARCH="${1:?arch}"
arch_vars "$ARCH"
FL="${FLAVOURS[0]}"
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
KREL="$(cat "$CACHE/$ARCH/$FL/root/.krel")"
ABI="${KREL%-"$FL"}"
SERIES="$(echo "$VER" | cut -d. -f1,2)"
H="$CACHE/$ARCH/headers"
KDIR="$H/usr/src/linux-headers-$KREL"

# The flavour Makefile includes the -common one by absolute /usr/src path.
sed -i "s|^include /usr/src/linux-headers-$ABI-common/Makefile|include \$(dir \$(lastword \$(MAKEFILE_LIST)))../linux-headers-$ABI-common/Makefile|" "$KDIR/Makefile"
# A cross build needs the host (amd64) kbuild tools next to the target headers.
if ! ls -d "$H"/usr/lib/linux-kbuild-* >/dev/null 2>&1; then
  dpkg -x "$(ls "$CACHE"/debs/amd64/linux-kbuild-"$KERNEL_SERIES"_*.deb | sort -V | tail -1)" "$H"
fi
# kbuild tools linked against a newer glibc than the host's (trixie's modpost needs GLIBC_2.38 for
# __isoc23_strtoul): run them with that suite's own ld.so + libc (fetch.sh unpacked it in hostlibc/).
if [ -d "$H/hostlibc" ]; then
  hostglibc="$(ldd --version | head -1 | grep -o '[0-9.]*$')"
  for f in $(find "$H"/usr/lib/linux-kbuild-*/ -type f -perm -u+x); do
    case "$f" in *.glibc-*) continue ;; esac
    file -b "$f" | grep -q '^ELF' || continue
    need="$(objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)"
    [ -n "$need" ] && [ "$(printf '%s\n%s\n' "$need" "$hostglibc" | sort -V | tail -1)" != "$hostglibc" ] || continue
    mv "$f" "$f.glibc-$need"
    printf '#!/bin/sh\n# kpanic corpus: %s needs glibc %s (host has %s)\nL=%s\nexec "$L/usr/lib64/ld-linux-x86-64.so.2" --library-path "$L/usr/lib/x86_64-linux-gnu" "$0.glibc-%s" "$@"\n' \
      "$(basename "$f")" "$need" "$hostglibc" "$H/hostlibc" "$need" > "$f"
    chmod +x "$f"
    log "wrapped $(basename "$f") (needs glibc $need)"
  done
fi

# lkdtm source of exactly this kernel version
SRCDEB="$(cat "$H/.source-deb" 2>/dev/null || ls "$CACHE"/debs/amd64/linux-source-"$SERIES"_"$VER"_all.deb)"
SRC="$CACHE/src/$VER/linux-source-$SERIES/drivers/misc/lkdtm"
if [ ! -f "$SRC/Makefile" ]; then
  log "extracting drivers/misc/lkdtm from linux-source-$SERIES $VER"
  mkdir -p "$CACHE/src/$VER"
  dpkg-deb --fsys-tarfile "$SRCDEB" |
    tar -xO "./usr/src/linux-source-$SERIES.tar.xz" |
    tar -xJ -C "$CACHE/src/$VER" "linux-source-$SERIES/drivers/misc/lkdtm"
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

# 6.12 headers ship vmlinux, so kbuild would generate module BTF with pahole (not installed): off.
EXTRA=()
grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$KDIR/.config" && EXTRA+=(CONFIG_DEBUG_INFO_BTF_MODULES=)
log "building lkdtm.ko for $ARCH against $(basename "$KDIR")"
make -C "$KDIR" M="$B" ARCH="$KARCH" CROSS_COMPILE="$CROSS" CC="${CROSS}gcc-12" \
  CONFIG_LKDTM=m KCFLAGS="-fmacro-prefix-map=$B/=drivers/misc/lkdtm/ -fdebug-prefix-map=$B/=drivers/misc/lkdtm/" \
  "${EXTRA[@]}" -j"$(nproc)" modules >"$B/build.log" 2>&1 || { tail -30 "$B/build.log"; die "lkdtm build failed"; }
mkdir -p "$(dirname "$OUT")"
cp "$B/lkdtm.ko" "$OUT"
cp "$B/build.log" "$CACHE/$ARCH/lkdtm/build.log"
log "built $OUT ($(stat -c %s "$OUT") bytes)"
keep_fixture
