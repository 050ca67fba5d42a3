#!/bin/bash
# vmcore-qemu.sh [kaslr|nokaslr|logbuf|novmcoreinfo|bullseye|bullseye-nokaslr ...] : QEMU
# dump-guest-memory vmcores of a panicked x86_64 guest (sysrq-c), for kpanic's vmcore readers.
# bullseye*: Debian 11's 5.10 kernel (fetch.sh x86_64-bullseye) with the same initrd (its own
# qemu_fw_cfg.ko added).
#   .cache/qemu-dump/<variant>/vmcore.elf         dump-guest-memory          (ELF, p_vaddr 0)
#   .cache/qemu-dump/<variant>/vmcore-paging.elf  dump-guest-memory -p       (ELF, paging: virtual addresses)
#   .cache/qemu-dump/<variant>/vmcore.kdump-flat  dump-guest-memory -z       (makedumpfile flattened, zlib)
#   .cache/qemu-dump/<variant>/console.log        the guest's serial console (the log kpanic must find)
# The guest loads qemu_fw_cfg (so that `-device vmcoreinfo` gets VMCOREINFO);
# when the console shows the end of the panic, the host stops the VM on the
# monitor socket and takes the three dumps. One guest at a time (~20-60 s).
source "$(dirname "$0")/common.sh"
VARIANTS=("$@"); [ ${#VARIANTS[@]} -gt 0 ] || VARIANTS=(kaslr nokaslr)
OUT="$CACHE/qemu-dump"
mkdir -p "$OUT"

# fwcfg_initrd ROOT OUT: the corpus's initrd + ROOT's qemu_fw_cfg.ko under its own release's
# lib/modules (the init's modprobe looks there, `uname -r`), depmod'ed
fwcfg_initrd() {
  local r="$1" out="$2" krel S
  krel="$(cat "$r/.krel")"
  [ -f "$out" ] && [ "$out" -nt "$CACHE/x86_64/initrd-amd64.cpio.gz" ] && [ "$out" -nt "$r/.done" ] && return 0
  S="$(mktemp -d)"
  (cd "$S" && gunzip -c "$CACHE/x86_64/initrd-amd64.cpio.gz" | cpio -id --quiet)
  mkdir -p "$S/lib/modules/$krel/kernel/drivers/firmware"
  cp "$r/lib/modules/$krel/kernel/drivers/firmware/qemu_fw_cfg.ko" "$S/lib/modules/$krel/kernel/drivers/firmware/"
  cp -n "$r/lib/modules/$krel"/modules.{order,builtin,builtin.modinfo} "$S/lib/modules/$krel/" 2>/dev/null || true
  depmod -b "$S" "$krel"
  (cd "$S" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9) > "$out"
  rm -rf "$S"
}

for V in "${VARIANTS[@]}"; do
  R="$CACHE/x86_64/amd64/root"
  INITRD="$OUT/initrd-amd64-fwcfg.cpio.gz"
  if [[ "$V" == bullseye* ]]; then
    R="$CACHE/x86_64-bullseye/amd64/root"
    [ -f "$R/.done" ] || bash "$GEN_DIR/fetch.sh" x86_64-bullseye
    INITRD="$OUT/initrd-amd64-bullseye-fwcfg.cpio.gz"
  fi
  KREL="$(cat "$R/.krel")"
  fwcfg_initrd "$R" "$INITRD"
  D="$OUT/$V"; rm -rf "$D"; mkdir -p "$D"
  EXTRA=""
  VMCOREINFO_DEV=(-device vmcoreinfo)
  case "$V" in
    nokaslr|bullseye-nokaslr) EXTRA=" nokaslr" ;;
    logbuf) EXTRA=" log_buf_len=1M" ;;	# ring allocated at boot: in the direct map, found by the page-table walk
    novmcoreinfo) VMCOREINFO_DEV=() ;;	# no -device vmcoreinfo: the dumps carry no VMCOREINFO note (KASLR on)
    bullseye) ;;	# 5.10 (the kernel above), KASLR on (bullseye-nokaslr: for vmcore-dmesg, which cannot map it)
    kaslr) ;;
    *) die "unknown variant $V" ;;
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
