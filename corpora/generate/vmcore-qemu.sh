#!/bin/bash
# vmcore-qemu.sh [kaslr|nokaslr|logbuf|novmcoreinfo ...] : QEMU dump-guest-memory vmcores of a
# panicked x86_64 guest (sysrq-c), for kpanic's vmcore readers.
#   .cache/qemu-dump/<variant>/vmcore.elf         dump-guest-memory          (ELF, p_vaddr 0)
#   .cache/qemu-dump/<variant>/vmcore-paging.elf  dump-guest-memory -p       (ELF, paging: virtual addresses)
#   .cache/qemu-dump/<variant>/vmcore.kdump-flat  dump-guest-memory -z       (makedumpfile flattened, zlib)
#   .cache/qemu-dump/<variant>/console.log        the guest's serial console (the log kpanic must find)
# The guest loads qemu_fw_cfg (so that `-device vmcoreinfo` gets VMCOREINFO);
# when the console shows the end of the panic, the host stops the VM on the
# monitor socket and takes the three dumps. One guest at a time (~20-60 s).
source "$(dirname "$0")/common.sh"
VARIANTS=("$@"); [ ${#VARIANTS[@]} -gt 0 ] || VARIANTS=(kaslr nokaslr)
R="$CACHE/x86_64/amd64/root"
KREL="$(cat "$R/.krel")"
OUT="$CACHE/qemu-dump"
mkdir -p "$OUT"

# initrd = the corpus's initrd + qemu_fw_cfg.ko, depmod'ed
INITRD="$OUT/initrd-amd64-fwcfg.cpio.gz"
if [ ! -f "$INITRD" ] || [ "$CACHE/x86_64/initrd-amd64.cpio.gz" -nt "$INITRD" ]; then
  S="$(mktemp -d)"
  (cd "$S" && gunzip -c "$CACHE/x86_64/initrd-amd64.cpio.gz" | cpio -id --quiet)
  mkdir -p "$S/lib/modules/$KREL/kernel/drivers/firmware"
  cp "$R/lib/modules/$KREL/kernel/drivers/firmware/qemu_fw_cfg.ko" "$S/lib/modules/$KREL/kernel/drivers/firmware/"
  depmod -b "$S" "$KREL"
  (cd "$S" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9) > "$INITRD"
  rm -rf "$S"
fi

for V in "${VARIANTS[@]}"; do
  D="$OUT/$V"; rm -rf "$D"; mkdir -p "$D"
  EXTRA=""
  VMCOREINFO_DEV=(-device vmcoreinfo)
  case "$V" in
    nokaslr) EXTRA=" nokaslr" ;;
    logbuf) EXTRA=" log_buf_len=1M" ;;	# ring allocated at boot: in the direct map, found by the page-table walk
    novmcoreinfo) VMCOREINFO_DEV=() ;;	# no -device vmcoreinfo: the dumps carry no VMCOREINFO note (KASLR on)
  esac
  MON="$D/mon.sock"
  CMDLINE="console=ttyS0,115200 loglevel=7 printk.time=1 panic=0 lab.mods=qemu_fw_cfg lab.crash=sysrq-c$EXTRA"
  qemu-system-x86_64 -cpu max,la57=off -nographic -no-reboot -nic none -m 512M -smp 2 \
    "${VMCOREINFO_DEV[@]}" -monitor "unix:$MON,server,nowait" \
    -kernel "$R/boot/vmlinuz-$KREL" -initrd "$INITRD" -append "$CMDLINE" \
    </dev/null >"$D/console.log" 2>"$D/qemu-stderr" &
  dump_after_panic $! "$MON" "$D" 240
  log "$V: $(ls -la "$D" | awk 'NR>1 {print $5, $9}' | tr '\n' ' ')"
done
