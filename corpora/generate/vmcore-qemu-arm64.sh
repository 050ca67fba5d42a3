#!/bin/bash
# vmcore-qemu-arm64.sh [kaslr|nokaslr|logbuf ...] : QEMU dump-guest-memory vmcores of a
# panicked arm64 guest (sysrq-c; qemu-system-aarch64 -M virt -cpu cortex-a57, TCG),
# the arm64 sibling of vmcore-qemu.sh, same Debian 6.1 kernel as the log corpus.
#   .cache/qemu-dump-arm64/<variant>/vmcore.elf         dump-guest-memory     (ELF, p_vaddr 0)
#   .cache/qemu-dump-arm64/<variant>/vmcore-paging.elf  dump-guest-memory -p  (only if QEMU supports paging on arm: it does not in 7.2)
#   .cache/qemu-dump-arm64/<variant>/vmcore.kdump-flat  dump-guest-memory -z  (makedumpfile flattened, zlib)
#   .cache/qemu-dump-arm64/<variant>/console.log        the guest's serial console
#   .cache/qemu-dump-arm64/<variant>/monitor.txt        what the monitor answered
# The guest loads qemu_fw_cfg (fw_cfg is MMIO on -M virt, found through the device tree)
# so that `-device vmcoreinfo` gets VMCOREINFO. KASLR: QEMU puts /chosen/kaslr-seed in
# the device tree, which randomises the kernel image *and* the linear map (PHYS_OFFSET
# becomes "negative"). One guest at a time (~30-90 s under TCG).
source "$(dirname "$0")/common.sh"
VARIANTS=("$@"); [ ${#VARIANTS[@]} -gt 0 ] || VARIANTS=(kaslr nokaslr logbuf)
R="$CACHE/arm64/arm64/root"
[ -f "$R/.done" ] || die "no arm64 kernel in $R: run 'bash corpora/generate/run.sh arm64' (or fetch.sh arm64) first"
KREL="$(cat "$R/.krel")"
OUT="$CACHE/qemu-dump-arm64"
mkdir -p "$OUT"

# initrd = the corpus's arm64 initrd + qemu_fw_cfg.ko, depmod'ed
INITRD="$OUT/initrd-arm64-fwcfg.cpio.gz"
if [ ! -f "$INITRD" ] || [ "$CACHE/arm64/initrd-arm64.cpio.gz" -nt "$INITRD" ]; then
  S="$(mktemp -d)"
  (cd "$S" && gunzip -c "$CACHE/arm64/initrd-arm64.cpio.gz" | cpio -id --quiet)
  mkdir -p "$S/lib/modules/$KREL/kernel/drivers/firmware"
  cp "$R/lib/modules/$KREL/kernel/drivers/firmware/qemu_fw_cfg.ko" "$S/lib/modules/$KREL/kernel/drivers/firmware/"
  depmod -b "$S" "$KREL"
  (cd "$S" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9 > "$INITRD"
  rm -rf "$S"
fi

for V in "${VARIANTS[@]}"; do
  D="$OUT/$V"; rm -rf "$D"; mkdir -p "$D"
  EXTRA=""
  case "$V" in
    nokaslr) EXTRA=" nokaslr" ;;
    logbuf) EXTRA=" log_buf_len=1M" ;;	# ring allocated at boot (memblock): in the linear map
  esac
  MON="$D/mon.sock"
  CMDLINE="console=ttyAMA0,115200 loglevel=7 printk.time=1 panic=0 lab.mods=qemu_fw_cfg lab.crash=sysrq-c$EXTRA"
  qemu-system-aarch64 -M virt -cpu cortex-a57 -nographic -no-reboot -nic none -m 512M -smp 2 \
    -device vmcoreinfo -monitor "unix:$MON,server,nowait" \
    -kernel "$R/boot/vmlinuz-$KREL" -initrd "$INITRD" -append "$CMDLINE" \
    </dev/null >"$D/console.log" 2>"$D/qemu-stderr" &
  dump_after_panic $! "$MON" "$D" 300
  log "$V: $(ls -la "$D" | awk 'NR>1 {print $5, $9}' | tr '\n' ' ')"
done
