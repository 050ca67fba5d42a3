#!/bin/bash
# kfence-qemu.sh [CASE ...] : real KFENCE reports (mm/kfence/report.c). KFENCE is a sampling
# heap-error detector built into production kernels; it needs CONFIG_KFENCE=y, which Debian
# bookworm's 6.1 kernels do not set (every 6.1.0-50/-56 config of this corpus: "# CONFIG_KFENCE is
# not set"). The one corpus kernel that has it is riscv64's Debian trixie 6.12.117+deb13-riscv64
# (CONFIG_KFENCE=y, CONFIG_KFENCE_SAMPLE_INTERVAL=0 = off until the kernel command line sets
# kfence.sample_interval, CONFIG_KFENCE_NUM_OBJECTS=255), so the samples are made with that
# kernel, unmodified, under qemu-system-riscv64 (TCG) exactly as run-case.sh boots it, plus
# kfence.sample_interval=1 (a KFENCE allocation every millisecond).
#
# A small out-of-tree module, kfence_inject.ko (generate/kfence-inject/kfence_inject.c), built
# like lkdtm (build-lkdtm.sh) against the kernel's linux-headers, kmalloc()s until it gets a
# KFENCE object placed where the bug needs it (is_kfence_address(); the first or last bytes of
# its page), then does the buggy access itself: KFENCE catches it (a fault on a protected page,
# or kfree() finding the object already freed or its canary overwritten) and the kernel prints
# its report. The guest boots the corpus riscv64 initrd plus the module and /kfence-init
# (rdinit=/kfence-init), a wrapper that insmods it with bug=<lab.kfence_bug> and execs the
# corpus /init unchanged (lab.crash=none: it sleeps lab.wait seconds, prints dmesg and powers
# off). KFENCE only reports (and taints the kernel "B"); with panic_on_warn=1 it panics.
#
# Cases (writes corpora/riscv64/kfence/<case>.{log,dmesg,meta.json} like run-case.sh):
#   kfence-uaf-read          read of a kfree()d object            "use-after-free read"
#   kfence-oob-read          read of the byte after the object     "out-of-bounds read" (right)
#   kfence-oob-read-left     read of the byte before the object    "out-of-bounds read" (1B left)
#   kfence-oob-write         write of the byte after the object    "out-of-bounds write"
#   kfence-double-free       kfree() twice                         "invalid free"
#   kfence-corrupt           write into the canary after the object, kfree() -> "memory corruption"
#   kfence-invalid-read      read of the KFENCE pool's first page  "invalid read" (no object)
#   kfence-uaf-read-panic_on_warn     the use-after-free with panic_on_warn=1 -> "Kernel panic -
#                            not syncing: KFENCE: panic_on_warn set ..."
#   kfence-oob-write-no_hash_pointers the out-of-bounds write with no_hash_pointers: real
#                            addresses, and KFENCE prints the registers (show_regs)
#   kfence-corrupt-no_hash_pointers   the corruption with no_hash_pointers: the canary bytes
#                            are shown ("[ 0x42 . . ...]") instead of "[ ! . . ...]"
source "$(dirname "$0")/common.sh"
CASES=("$@"); [ ${#CASES[@]} -gt 0 ] || CASES=(kfence-uaf-read kfence-oob-read kfence-oob-read-left
  kfence-oob-write kfence-double-free kfence-corrupt kfence-invalid-read kfence-uaf-read-panic_on_warn
  kfence-oob-write-no_hash_pointers kfence-corrupt-no_hash_pointers)
ARCH=riscv64 FAMILY=kfence
arch_vars "$ARCH"
FL="${FLAVOURS[0]}"
REPO="$(cd "$CORPORA_DIR/.." && pwd)"
cd "$REPO"
rel() { realpath --relative-to="$REPO" "$1"; }
R="$CACHE/$ARCH/$FL/root"
[ -f "$R/.done" ] || bash "$GEN_DIR/fetch.sh" "$ARCH"
KREL="$(cat "$R/.krel")"
VER="$(cat "$R/.version")"
grep -qx 'CONFIG_KFENCE=y' "$R/boot/config-$KREL" || die "$KREL has no CONFIG_KFENCE"
KERNEL="$(rel "$(ls "$R/boot/vmlinuz-$KREL" "$R/boot/vmlinux-$KREL" 2>/dev/null | head -1)")"
PLAIN_INITRD="$CACHE/$ARCH/initrd-$FL.cpio.gz"
[ -f "$PLAIN_INITRD" ] || bash "$GEN_DIR/build-initramfs.sh" "$ARCH" "$FL"
# build-lkdtm.sh prepares the headers (the flavour Makefile's absolute include made relative,
# trixie's kbuild tools wrapped to run with trixie's glibc)
bash "$GEN_DIR/build-lkdtm.sh" "$ARCH"
KDIR="$CACHE/$ARCH/headers/usr/src/linux-headers-$KREL"
SRCMOD="$GEN_DIR/kfence-inject"

# --- kfence_inject.ko -------------------------------------------------------------------------
MOD="$CACHE/$ARCH/kfence-inject/kfence_inject.ko"
modinputs="$(cat "$SRCMOD/kfence_inject.c" "$SRCMOD/Makefile" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$MOD" ] || [ "$(cat "$MOD.inputs" 2>/dev/null)" != "$modinputs" ]; then
  B="$WORK/kfence-inject-build-$ARCH"
  rm -rf "$B"; mkdir -p "$B"
  cp "$SRCMOD/kfence_inject.c" "$SRCMOD/Makefile" "$B/"
  # 6.12 headers ship vmlinux, so kbuild would generate module BTF with pahole (not installed): off.
  EXTRA=()
  grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$KDIR/.config" && EXTRA+=(CONFIG_DEBUG_INFO_BTF_MODULES=)
  log "building kfence_inject.ko for $ARCH against $(basename "$KDIR")"
  make -C "$KDIR" M="$B" ARCH="$KARCH" CROSS_COMPILE="$CROSS" CC="${CROSS}gcc-12" \
    KCFLAGS="-fdebug-prefix-map=$B/=kfence_inject/" "${EXTRA[@]}" \
    -j"$(nproc)" modules >"$B/build.log" 2>&1 || { tail -30 "$B/build.log"; die "kfence_inject build failed"; }
  mkdir -p "$(dirname "$MOD")"
  cp "$B/kfence_inject.ko" "$MOD"
  cp "$B/build.log" "$(dirname "$MOD")/build.log"
  echo "$modinputs" > "$MOD.inputs"
  log "built $MOD ($(stat -c %s "$MOD") bytes)"
fi

# --- initrd: the corpus initrd + kfence_inject.ko + /kfence-init --------------------------------
KF_INITRD="$CACHE/kfence/initrd-$FL-kfence.cpio.gz"
mkdir -p "$CACHE/kfence"
if [ ! -f "$KF_INITRD" ] || [ "$PLAIN_INITRD" -nt "$KF_INITRD" ] || [ "$GEN_DIR/kfence-qemu.sh" -nt "$KF_INITRD" ] || [ "$MOD" -nt "$KF_INITRD" ]; then
  S="$(mktemp -d)"
  (cd "$S" && gunzip -c "$PLAIN_INITRD" | cpio -id --quiet)
  cat > "$S/kfence-init" <<'EOF'
#!/bin/sh
# kfence-qemu.sh wrapper: load kfence_inject.ko with bug=<lab.kfence_bug>, then exec /init
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mount -t devtmpfs devtmpfs /dev	# left mounted (/init's own mount of it is silent)
BUG=
for arg in $($B cat /proc/cmdline); do
	case "$arg" in
	lab.kfence_bug=*) BUG="${arg#*=}" ;;
	esac
done
echo "lab: kfence sample_interval=$($B cat /sys/module/kfence/parameters/sample_interval)"
echo "lab: insmod kfence_inject.ko bug=$BUG"
$B ln -sf busybox /bin/insmod	# so that the reports name the task "insmod", not "busybox"
/bin/insmod /lib/modules/kfence_inject.ko bug="$BUG"
echo "lab: insmod exited with status $?"
$B umount /sys
$B umount /proc
exec /init
EOF
  chmod 0755 "$S/kfence-init"
  "${CROSS}strip" --strip-debug -o "$S/lib/modules/kfence_inject.ko" "$MOD"
  (cd "$S" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible) | gzip -9n > "$KF_INITRD.tmp.$$"
  mv "$KF_INITRD.tmp.$$" "$KF_INITRD"
  rm -rf "$S"
fi

run_case() {
  local NAME="$1" WAIT=2 TIMEOUT=150 EXTRA="" BUG EXPECT
  case "$NAME" in
    kfence-uaf-read)
      BUG=uaf-read; EXPECT='BUG: KFENCE: use-after-free read in kfi_use_after_free_read' ;;
    kfence-oob-read)
      BUG=oob-read; EXPECT='BUG: KFENCE: out-of-bounds read in kfi_out_of_bounds_read\+' ;;
    kfence-oob-read-left)
      BUG=oob-read-left; EXPECT='BUG: KFENCE: out-of-bounds read in kfi_out_of_bounds_read_left' ;;
    kfence-oob-write)
      BUG=oob-write; EXPECT='BUG: KFENCE: out-of-bounds write in kfi_out_of_bounds_write' ;;
    kfence-double-free)
      BUG=double-free; EXPECT='BUG: KFENCE: invalid free in kfi_double_free' ;;
    kfence-corrupt)
      BUG=corrupt; EXPECT='BUG: KFENCE: memory corruption in kfi_corrupt_canary' ;;
    kfence-invalid-read)
      BUG=invalid-read; EXPECT='BUG: KFENCE: invalid read in kfi_invalid_read' ;;
    kfence-uaf-read-panic_on_warn)
      BUG=uaf-read; EXTRA="panic_on_warn=1"
      EXPECT='Kernel panic - not syncing: KFENCE: panic_on_warn set' ;;
    kfence-oob-write-no_hash_pointers)
      BUG=oob-write; EXTRA="no_hash_pointers"
      EXPECT='BUG: KFENCE: out-of-bounds write in kfi_out_of_bounds_write' ;;
    kfence-corrupt-no_hash_pointers)
      BUG=corrupt; EXTRA="no_hash_pointers"
      EXPECT='Corrupted memory at 0x[0-9a-f]+ \[ 0x42 ' ;;
    *) die "unknown case $NAME" ;;
  esac

  local T="$WORK/runs/$ARCH/$NAME"
  rm -rf "$T"; mkdir -p "$T"
  local CMDLINE="console=ttyS0,115200 loglevel=7 printk.time=1 panic=0 lab.crash=none lab.wait=$WAIT rdinit=/kfence-init kfence.sample_interval=1 lab.kfence_bug=$BUG${EXTRA:+ $EXTRA}"
  local -a QEMU=(qemu-system-riscv64 -M virt -bios default -nographic -no-reboot -nic none -m 512M -smp 2
    -kernel "$KERNEL" -initrd "$(rel "$KF_INITRD")" -append "$CMDLINE")
  local LOGF="$T/$NAME.log" DATE END WALL
  run_qemu "$LOGF" "$TIMEOUT" "${QEMU[@]}"
  extract_dmesg "$LOGF" "$T/$NAME.dmesg"

  cat > "$T/$NAME.meta.json" <<JSON
{
$(meta_head)
  "trigger": "kfence-inject-module",
  "provocation": "module-provoked: corpora/generate/kfence-inject/kfence_inject.c (bug=$BUG) kmalloc()s until it gets a KFENCE object and then does the buggy access itself; the report is KFENCE's own (mm/kfence/report.c of the unmodified kernel, enabled with kfence.sample_interval=1)",
  "moduleSourceSha256": $(jstr "$(sha "$SRCMOD/kfence_inject.c")"),
  "moduleSha256": $(jstr "$(sha "$MOD")"),
  "initrdSha256": $(jstr "$(sha "$KF_INITRD")"),
$(meta_tail)
}
JSON
  local DEST="$CORPORA_DIR/$ARCH/$FAMILY" ok
  ok="$(install_case "$T" "$NAME" "$DEST" "$EXPECT")"
  log "$ARCH/$FAMILY/$NAME: end=$END wall=${WALL}s bytes=$(stat -c %s "$DEST/$NAME.log") expect=$ok"
}

for C in "${CASES[@]}"; do run_case "$C"; done
