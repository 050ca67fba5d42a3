#!/bin/bash
# mce-qemu.sh [CASE ...] : real x86_64 machine-check samples. Boots the corpus's Debian
# 6.1.0-56-amd64 kernel (QEMU/TCG, same argv as run-case.sh plus a monitor socket), waits until
# /init has started (lab.crash=none: it only sleeps lab.wait seconds, then prints dmesg and powers
# off), injects machine checks with the QEMU human monitor's `mce [-b] cpu bank status mcg_status
# addr misc`, and writes corpora/x86_64/hardware/<case>.{log,dmesg,meta.json} like run-case.sh.
#
# QEMU's `-cpu max` under TCG is "AuthenticAMD ... family 0xf": MCA with 10 banks, MCG_CTL_P and
# MCG_SER_P, no CMCI, no AMD SUCCOR (so on it every UC error panics). A corrected error only sets
# the bank; the kernel finds it when its poll timer runs (check_interval, 300 s by default, and no
# boot option changes it). Cases with lab.mce_interval=N therefore boot through /mce-init, a
# wrapper added to a copy of the corpus initrd (rdinit=/mce-init): it writes N to
# /sys/devices/system/machinecheck/machinecheck0/check_interval (before any injection: the write
# re-inits and clears the banks), optionally starts a busy user-space loop pinned to one CPU
# (lab.mce_busy=CPU, so an injected #MC hits user context), and execs the corpus /init unchanged.
#
# Cases:
#   mce-corrected                 corrected error, bank 1, ADDR+MISC, found by the 10 s poll
#   mce-corrected-poll300         the same with the default 300 s check_interval (plain initrd; ~6 min)
#   mce-fatal                     UC|PCC with MCIP|RIPV in bank 1 -> "Fatal machine check" panic
#   mce-uncorrected-amd           UC|S|AR data-load error in user context on the AMD model (no SUCCOR)
#                                 -> "Uncorrected error without MCA Recovery" panic
#   mce-uncorrected-kernel-intel  that error on -cpu max,vendor=GenuineIntel with CPU 0 idle (kernel
#                                 context) -> "Data load in unrecoverable area of kernel" panic
#                                 (Intel: mce panic_timeout 30 s, so it reboots and QEMU exits)
#   mce-uncorrected-recoverable   the same on -cpu max,vendor=GenuineIntel (Intel severity table,
#                                 broadcast with -b) -> memory_failure() of the page
source "$(dirname "$0")/common.sh"
CASES=("$@"); [ ${#CASES[@]} -gt 0 ] || CASES=(mce-corrected mce-fatal mce-uncorrected-recoverable)
ARCH=x86_64 FL=amd64 FAMILY=hardware
REPO="$(cd "$CORPORA_DIR/.." && pwd)"
cd "$REPO"
rel() { realpath --relative-to="$REPO" "$1"; }
R="$CACHE/$ARCH/$FL/root"
KREL="$(cat "$R/.krel")"
KERNEL="$(rel "$R/boot/vmlinuz-$KREL")"
PLAIN_INITRD="$CACHE/$ARCH/initrd-$FL.cpio.gz"
[ -f "$PLAIN_INITRD" ] || bash "$GEN_DIR/build-initramfs.sh" "$ARCH" "$FL"

# initrd with the /mce-init wrapper (the corpus initrd + one file)
MCE_INITRD="$CACHE/mce/initrd-$FL-mce.cpio.gz"
mkdir -p "$CACHE/mce"
if [ ! -f "$MCE_INITRD" ] || [ "$PLAIN_INITRD" -nt "$MCE_INITRD" ] || [ "$GEN_DIR/mce-qemu.sh" -nt "$MCE_INITRD" ]; then
  S="$(mktemp -d)"
  (cd "$S" && gunzip -c "$PLAIN_INITRD" | cpio -id --quiet)
  cat > "$S/mce-init" <<'EOF'
#!/bin/sh
# mce-qemu.sh wrapper: shorten the MCE poll interval / start a busy user loop, then exec /init
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mount -t devtmpfs devtmpfs /dev	# left mounted (/init's own mount of it is silent)
for arg in $($B cat /proc/cmdline); do
	case "$arg" in
	lab.mce_interval=*)
		echo "${arg#*=}" > /sys/devices/system/machinecheck/machinecheck0/check_interval
		echo "lab: mce check_interval=$($B cat /sys/devices/system/machinecheck/machinecheck0/check_interval)" ;;
	lab.mce_busy=*)
		$B taskset -c "${arg#*=}" /bin/sh -c 'while :; do :; done' &
		echo "lab: busy loop pid $! on CPU ${arg#*=}" ;;
	lab.mce_edac=1)
		# EDAC's AMD MCE decoder
		$B insmod /lib/modules/edac_mce_amd.ko && echo "lab: edac_mce_amd loaded" ;;
	esac
done
$B umount /sys
$B umount /proc
exec /init
EOF
  chmod 0755 "$S/mce-init"
  install -m 0644 "$(find "$CACHE/$ARCH/$FL/root/lib/modules" -name edac_mce_amd.ko | head -1)" "$S/lib/modules/edac_mce_amd.ko"
  (cd "$S" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible) | gzip -9n > "$MCE_INITRD.tmp.$$"
  mv "$MCE_INITRD.tmp.$$" "$MCE_INITRD"
  rm -rf "$S"
fi

# MCi_STATUS bits (arch/x86/include/asm/mce.h)
VAL=$((1 << 63)) OVER=$((1 << 62)) UC=$((1 << 61)) EN=$((1 << 60)) MISCV=$((1 << 59))
ADDRV=$((1 << 58)) PCC=$((1 << 57)) S=$((1 << 56)) AR=$((1 << 55))
# MCG_STATUS
RIPV=1 EIPV=2 MCIP=4
hex() { printf '0x%016x' "$(( $1 ))"; }
# MISC 0x86: address mode 2 (physical address), LSB 6 (MCI_MISC_ADDR_MODE / _LSB)

run_case() {
  local NAME="$1" CPU="max,la57=off" INITRD="$PLAIN_INITRD" WAIT=60 TIMEOUT=120 EXTRA="" EXPECT
  local -a MON_CMDS=()
  case "$NAME" in
    mce-corrected)
      INITRD="$MCE_INITRD"; EXTRA="rdinit=/mce-init lab.mce_interval=10"; WAIT=40
      MON_CMDS=("mce 0 1 $(hex "VAL|EN|MISCV|ADDRV|0x90") 0x0 0x12345000 0x86")
      EXPECT='Machine Check: 0 Bank 1: 9c00000000000090' ;;
    mce-corrected-edac-amd)
      # edac_mce_amd refuses to load under a hypervisor (X86_FEATURE_HYPERVISOR) and has no
      # decoder for TCG's "max" model (family 0xf): an Opteron model without the hypervisor bit.
      CPU="Opteron_G3,-hypervisor"
      INITRD="$MCE_INITRD"; EXTRA="rdinit=/mce-init lab.mce_interval=10 lab.mce_edac=1"; WAIT=40
      MON_CMDS=("mce 0 1 $(hex "VAL|EN|MISCV|ADDRV|0x90") 0x0 0x12345000 0x86")
      EXPECT='MC1_STATUS.*0x9c00000000000090' ;;   # EDAC decodes it instead of the generic lines
    mce-corrected-poll300)
      WAIT=360; TIMEOUT=480
      MON_CMDS=("mce 0 1 $(hex "VAL|EN|MISCV|ADDRV|0x90") 0x0 0x12345000 0x86")
      EXPECT='Machine Check: 0 Bank 1: 9c00000000000090' ;;
    mce-fatal)
      MON_CMDS=("mce 0 1 $(hex "VAL|UC|EN|MISCV|ADDRV|PCC|0x150") $((MCIP|RIPV)) 0x12345000 0x86")
      EXPECT='Kernel panic - not syncing: Fatal (local )?machine check' ;;
    mce-uncorrected-amd)
      INITRD="$MCE_INITRD"; EXTRA="rdinit=/mce-init lab.mce_busy=0"
      MON_CMDS=("mce 0 1 $(hex "VAL|UC|EN|MISCV|ADDRV|S|AR|0x134") $((MCIP|EIPV|RIPV)) 0x12345000 0x86")
      EXPECT='Kernel panic - not syncing: Fatal (local )?machine check' ;;
    mce-uncorrected-kernel-intel)
      CPU="max,la57=off,vendor=GenuineIntel"
      MON_CMDS=("mce -b 0 1 $(hex "VAL|UC|EN|MISCV|ADDRV|S|AR|0x134") $((MCIP|EIPV|RIPV)) 0x12345000 0x86")
      EXPECT='Kernel panic - not syncing: Fatal machine check' ;;
    mce-uncorrected-recoverable)
      CPU="max,la57=off,vendor=GenuineIntel"
      INITRD="$MCE_INITRD"; EXTRA="rdinit=/mce-init lab.mce_busy=0"
      MON_CMDS=("mce -b 0 1 $(hex "VAL|UC|EN|MISCV|ADDRV|S|AR|0x134") $((MCIP|EIPV|RIPV)) 0x12345000 0x86")
      EXPECT='Memory failure: 0x12345' ;;
    *) die "unknown case $NAME" ;;
  esac

  local T="$WORK/runs/$ARCH/$NAME"
  rm -rf "$T"; mkdir -p "$T"
  local MONDIR; MONDIR="$(mktemp -d /tmp/kpanic-mon.XXXXXX)"
  local CMDLINE="console=ttyS0,115200 loglevel=7 printk.time=1 panic=0 lab.crash=none lab.wait=$WAIT${EXTRA:+ $EXTRA}"
  local -a QEMU=(qemu-system-x86_64 -cpu "$CPU" -nographic -no-reboot -nic none -m 512M -smp 2
    -kernel "$KERNEL" -initrd "$(rel "$INITRD")" -monitor "unix:$MONDIR/mon.sock,server,nowait"
    -append "$CMDLINE")
  local LOGF="$T/$NAME.log" DATE t0 t1 tinj="" END="" SENT=0 c
  DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  t0=$(date +%s%N)
  "${QEMU[@]}" </dev/null >"$LOGF" 2>"$T/qemu-stderr" &
  local QPID=$! deadline=$(( $(date +%s) + TIMEOUT ))
  while kill -0 "$QPID" 2>/dev/null; do
    if grep -aqF -- '---[ end Kernel panic' "$LOGF"; then
      sleep 1; kill "$QPID" 2>/dev/null; END=panic-hang; break
    fi
    if [ $SENT = 0 ] && grep -aqF 'lab: init started' "$LOGF"; then
      sleep 2	# /init is in `sleep lab.wait` by now
      tinj=$(date +%s%N)
      for c in "${MON_CMDS[@]}"; do
        { printf '>>> %s\n' "$c"; printf '%s\n' "$c" | socat -t 2 - "UNIX-CONNECT:$MONDIR/mon.sock" 2>&1; echo; } >>"$T/monitor.txt"
      done
      SENT=1
    fi
    if [ "$(date +%s)" -ge $deadline ]; then kill "$QPID" 2>/dev/null; END=timeout; break; fi
    sleep 0.2
  done
  wait "$QPID" 2>/dev/null || true
  t1=$(date +%s%N)
  rm -rf "$MONDIR"
  case_end "$LOGF"
  local WALL INJ=null
  WALL="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b - a) / 1e9}')"
  [ -n "$tinj" ] && INJ="$(awk -v a="$t0" -v b="$tinj" 'BEGIN {printf "%.1f", (b - a) / 1e9}')"

  extract_dmesg "$LOGF" "$T/$NAME.dmesg"

  local cmds="" resp=""
  for c in "${MON_CMDS[@]}"; do cmds+="${cmds:+, }$(jstr "$c")"; done
  # the monitor's replies with the banner and prompts dropped (empty when the injection succeeded)
  resp="$(tr -d '\r' < "$T/monitor.txt" | grep -av '^>>> \|^QEMU .* monitor\|^(qemu)' | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | grep -av '^[[:space:]]*$' || true)"
  cat > "$T/$NAME.meta.json" <<JSON
{
$(meta_head)
  "trigger": "qemu-monitor-mce",
  "monitorCommands": [$cmds],
  "monitorReply": $(jstr "$resp"),
  "injectedAtSeconds": $INJ,
  "initrdSha256": $(jstr "$(sha "$INITRD")"),
$(meta_tail)
}
JSON
  local DEST="$CORPORA_DIR/$ARCH/$FAMILY" ok
  ok="$(install_case "$T" "$NAME" "$DEST" "$EXPECT")"
  log "$ARCH/$FAMILY/$NAME: end=$END wall=${WALL}s injected=${INJ}s bytes=$(stat -c %s "$DEST/$NAME.log") expect=$ok"
}

for C in "${CASES[@]}"; do run_case "$C"; done
