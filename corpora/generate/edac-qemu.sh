#!/bin/bash
# edac-qemu.sh [CASE ...] : real x86_64 EDAC memory-controller error reports. QEMU emulates no
# memory controller any EDAC driver binds to, so a small out-of-tree module, edac_inject.ko
# (generate/edac-inject/edac_inject.c), registers a fake memory controller (and optionally an
# edac_device) with the kernel's real EDAC core and reports errors through
# edac_mc_handle_error() / edac_device_handle_{ce,ue}_count(): the "EDAC MC0: 1 CE ..." lines,
# and with edac_core.edac_mc_panic_on_ue=1 the "Kernel panic - not syncing: UE ..." panic, are
# printed by the unmodified drivers/edac code of the corpus's Debian 6.1.0-56-amd64 kernel
# (CONFIG_EDAC=y: edac_core is built in, so its parameters are set on the kernel command line).
# The errors are injected, not detected: no hardware fault exists, just as the MCE samples of
# mce-qemu.sh are injected through QEMU's monitor.
#
# The module is built out of tree like lkdtm (build-lkdtm.sh) against the unpacked
# linux-headers, with drivers/edac/edac_mc.h and edac_device.h (private to drivers/edac, not in
# linux-headers) taken from linux-source-6.1 of exactly the kernel's version. The guest boots the
# corpus initrd plus the module and /edac-init (rdinit=/edac-init), a wrapper that insmods it
# with the lab.edac_* arguments of the command line and execs the corpus /init unchanged
# (lab.crash=none: it sleeps lab.wait seconds, prints dmesg and powers off).
#
# Cases (writes corpora/x86_64/hardware/<case>.{log,dmesg,meta.json} like mce-qemu.sh):
#   edac-ce               one corrected read error on channel 0 slot 0 (page, offset, syndrome)
#   edac-ce-repeated      that error, then five reported at once on the same DIMM (error_count 5),
#                         then one the controller cannot place ("any memory", no detail)
#   edac-ue               an uncorrected error on channel 1 slot 0, then one on channel 1 whose
#                         slot is unknown (two DIMM labels); edac_mc_panic_on_ue=0: it goes on
#   edac-ue-panic_on_ue   the uncorrected error with edac_core.edac_mc_panic_on_ue=1 -> panic
#   edac-ue-panic_on_ue-loglevel4  the same on a console at loglevel=4 (what "quiet" sets): the
#                         KERN_WARNING "EDAC MC0: 1 UE" line is not printed, only the panic
#   edac-device           an edac_device ("EDAC DEVICE0: CE: ..." / "UE: ...") corrected and
#                         uncorrected error
#   edac-device-panic_on_ue  the edac_device's uncorrected error with its panic_on_ue set (the
#                         module's device_panic_on_ue=1) -> "Kernel panic - not syncing: EDAC ..."
source "$(dirname "$0")/common.sh"
CASES=("$@"); [ ${#CASES[@]} -gt 0 ] || CASES=(edac-ce edac-ce-repeated edac-ue edac-ue-panic_on_ue edac-ue-panic_on_ue-loglevel4 edac-device edac-device-panic_on_ue)
ARCH=x86_64 FL=amd64 FAMILY=hardware
REPO="$(cd "$CORPORA_DIR/.." && pwd)"
cd "$REPO"
rel() { realpath --relative-to="$REPO" "$1"; }
R="$CACHE/$ARCH/$FL/root"
[ -f "$R/.done" ] || bash "$GEN_DIR/fetch.sh" "$ARCH"
KREL="$(cat "$R/.krel")"
VER="$(cat "$R/.version")"
SERIES="$(echo "$VER" | cut -d. -f1,2)"
KERNEL="$(rel "$R/boot/vmlinuz-$KREL")"
PLAIN_INITRD="$CACHE/$ARCH/initrd-$FL.cpio.gz"
[ -f "$PLAIN_INITRD" ] || bash "$GEN_DIR/build-initramfs.sh" "$ARCH" "$FL"
# build-lkdtm.sh prepares the headers (the flavour Makefile's absolute include made relative)
bash "$GEN_DIR/build-lkdtm.sh" "$ARCH"
H="$CACHE/$ARCH/headers"
KDIR="$H/usr/src/linux-headers-$KREL"
SRCMOD="$GEN_DIR/edac-inject"

# --- edac_inject.ko ---------------------------------------------------------------------------
MOD="$CACHE/$ARCH/edac-inject/edac_inject.ko"
modinputs="$(cat "$SRCMOD/edac_inject.c" "$SRCMOD/Makefile" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$MOD" ] || [ "$(cat "$MOD.inputs" 2>/dev/null)" != "$modinputs" ]; then
  EDACSRC="$CACHE/src/$VER/linux-source-$SERIES/drivers/edac"
  if [ ! -f "$EDACSRC/edac_mc.h" ]; then
    SRCDEB="$(cat "$H/.source-deb" 2>/dev/null || ls "$CACHE"/debs/amd64/linux-source-"$SERIES"_"$VER"_all.deb)"
    log "extracting drivers/edac/edac_{mc,device}.h from linux-source-$SERIES $VER"
    mkdir -p "$CACHE/src/$VER"
    dpkg-deb --fsys-tarfile "$SRCDEB" |
      tar -xO "./usr/src/linux-source-$SERIES.tar.xz" |
      tar -xJ -C "$CACHE/src/$VER" "linux-source-$SERIES/drivers/edac/edac_mc.h" "linux-source-$SERIES/drivers/edac/edac_device.h"
  fi
  B="$WORK/edac-inject-build-$ARCH"
  rm -rf "$B"; mkdir -p "$B"
  cp "$SRCMOD/edac_inject.c" "$SRCMOD/Makefile" "$EDACSRC/edac_mc.h" "$EDACSRC/edac_device.h" "$B/"
  log "building edac_inject.ko against $(basename "$KDIR")"
  make -C "$KDIR" M="$B" ARCH=x86 CC=gcc-12 KCFLAGS="-fdebug-prefix-map=$B/=edac_inject/" \
    -j"$(nproc)" modules >"$B/build.log" 2>&1 || { tail -30 "$B/build.log"; die "edac_inject build failed"; }
  mkdir -p "$(dirname "$MOD")"
  cp "$B/edac_inject.ko" "$MOD"
  cp "$B/build.log" "$(dirname "$MOD")/build.log"
  echo "$modinputs" > "$MOD.inputs"
  log "built $MOD ($(stat -c %s "$MOD") bytes)"
fi

# --- initrd: the corpus initrd + edac_inject.ko + /edac-init ------------------------------------
EDAC_INITRD="$CACHE/edac/initrd-$FL-edac.cpio.gz"
mkdir -p "$CACHE/edac"
if [ ! -f "$EDAC_INITRD" ] || [ "$PLAIN_INITRD" -nt "$EDAC_INITRD" ] || [ "$GEN_DIR/edac-qemu.sh" -nt "$EDAC_INITRD" ] || [ "$MOD" -nt "$EDAC_INITRD" ]; then
  S="$(mktemp -d)"
  (cd "$S" && gunzip -c "$PLAIN_INITRD" | cpio -id --quiet)
  cat > "$S/edac-init" <<'EOF'
#!/bin/sh
# edac-qemu.sh wrapper: load edac_inject.ko with the lab.edac_* arguments, then exec /init
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mount -t devtmpfs devtmpfs /dev	# left mounted (/init's own mount of it is silent)
ARGS=""
for arg in $($B cat /proc/cmdline); do
	case "$arg" in
	lab.edac_inject=*) ARGS="$ARGS inject=${arg#*=}" ;;
	lab.edac_device=1) ARGS="$ARGS edac_device=1" ;;
	lab.edac_device_panic_on_ue=1) ARGS="$ARGS device_panic_on_ue=1" ;;
	esac
done
echo "lab: edac_core edac_mc_panic_on_ue=$($B cat /sys/module/edac_core/parameters/edac_mc_panic_on_ue)"
echo "lab: insmod edac_inject.ko$ARGS"
$B insmod /lib/modules/edac_inject.ko $ARGS
echo "lab: insmod exited with status $?"
$B umount /sys
$B umount /proc
exec /init
EOF
  chmod 0755 "$S/edac-init"
  strip --strip-debug -o "$S/lib/modules/edac_inject.ko" "$MOD"
  (cd "$S" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible) | gzip -9n > "$EDAC_INITRD.tmp.$$"
  mv "$EDAC_INITRD.tmp.$$" "$EDAC_INITRD"
  rm -rf "$S"
fi

run_case() {
  local NAME="$1" WAIT=2 TIMEOUT=120 EXTRA="" LOGLEVEL=7 INJECT EXPECT
  case "$NAME" in
    edac-ce)
      INJECT="lab.edac_inject=ce"
      EXPECT='EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#0 ' ;;
    edac-ce-repeated)
      INJECT="lab.edac_inject=ce,ce-count,ce-any"
      EXPECT='EDAC MC0: 5 CE memory scrubbing error on ' ;;
    edac-ue)
      INJECT="lab.edac_inject=ue,ue-2dimm"
      EXPECT='EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 or ' ;;
    edac-ue-panic_on_ue)
      INJECT="lab.edac_inject=ue"; EXTRA="edac_core.edac_mc_panic_on_ue=1"
      EXPECT='Kernel panic - not syncing: UE memory read error on ' ;;
    edac-ue-panic_on_ue-loglevel4)
      INJECT="lab.edac_inject=ue"; EXTRA="edac_core.edac_mc_panic_on_ue=1"; LOGLEVEL=4
      EXPECT='Kernel panic - not syncing: UE memory read error on ' ;;
    edac-device)
      INJECT="lab.edac_inject=dev-ce,dev-ue lab.edac_device=1"
      EXPECT='EDAC DEVICE0: UE: edac_inject instance: cache0 ' ;;
    edac-device-panic_on_ue)
      INJECT="lab.edac_inject=dev-ue lab.edac_device=1 lab.edac_device_panic_on_ue=1"
      EXPECT='Kernel panic - not syncing: EDAC edac_inject: UE instance: cache0 ' ;;
    *) die "unknown case $NAME" ;;
  esac

  local T="$WORK/runs/$ARCH/$NAME"
  rm -rf "$T"; mkdir -p "$T"
  local CMDLINE="console=ttyS0,115200 loglevel=$LOGLEVEL printk.time=1 panic=0 lab.crash=none lab.wait=$WAIT rdinit=/edac-init $INJECT${EXTRA:+ $EXTRA}"
  local -a QEMU=(qemu-system-x86_64 -cpu max,la57=off -nographic -no-reboot -nic none -m 512M -smp 2
    -kernel "$KERNEL" -initrd "$(rel "$EDAC_INITRD")" -append "$CMDLINE")
  local LOGF="$T/$NAME.log" DATE END WALL
  run_qemu "$LOGF" "$TIMEOUT" "${QEMU[@]}"
  extract_dmesg "$LOGF" "$T/$NAME.dmesg"

  cat > "$T/$NAME.meta.json" <<JSON
{
$(meta_head)
  "trigger": "edac-inject-module",
  "injection": "module-injected: corpora/generate/edac-inject/edac_inject.c registers a fake memory controller with the kernel's real EDAC core and reports the errors through edac_mc_handle_error() / edac_device_handle_{ce,ue}_count(); the EDAC lines are printed by the kernel's own drivers/edac code, no hardware error occurred",
  "moduleSourceSha256": $(jstr "$(sha "$SRCMOD/edac_inject.c")"),
  "moduleSha256": $(jstr "$(sha "$MOD")"),
  "initrdSha256": $(jstr "$(sha "$EDAC_INITRD")"),
$(meta_tail)
}
JSON
  local DEST="$CORPORA_DIR/$ARCH/$FAMILY" ok
  ok="$(install_case "$T" "$NAME" "$DEST" "$EXPECT")"
  log "$ARCH/$FAMILY/$NAME: end=$END wall=${WALL}s bytes=$(stat -c %s "$DEST/$NAME.log") expect=$ok"
}

for C in "${CASES[@]}"; do run_case "$C"; done
