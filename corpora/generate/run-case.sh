#!/bin/bash
# run-case.sh ARCH NAME : boot one case of cases.tsv under QEMU (TCG) and write
#   corpora/<arch>/<family>/<name>.log        the whole serial console, byte-exact
#   corpora/<arch>/<family>/<name>.dmesg      (survivors) bytes between the dmesg marker lines
#   corpora/<arch>/<family>/<name>.meta.json  provenance
# Assumes fetch/build steps are done (run.sh does them).
source "$(dirname "$0")/common.sh"
ARCH="${1:?arch}" NAME="${2:?case}"
ROW="$(awk -F'\t' -v a="$ARCH" -v n="$NAME" '!/^#/ && $1==n && $2==a' "$GEN_DIR/cases.tsv")"
[ -n "$ROW" ] || die "no case $ARCH/$NAME in cases.tsv"
IFS=$'\t' read -r _ _ FAMILY FL TRIGGER TIMEOUT EXPECT EXTRAS <<<"$ROW"
[ "$EXTRAS" = - ] && EXTRAS=""

REPO="$(cd "$CORPORA_DIR/.." && pwd)"
cd "$REPO"
rel() { realpath --relative-to="$REPO" "$1"; }
R="$CACHE/$ARCH/$FL/root"
KREL="$(cat "$R/.krel")"
# vmlinuz (x86_64, arm64, s390x, armhf) or vmlinux (riscv64: the raw Image; ppc64el: ELF)
KERNEL="$(rel "$(ls "$R/boot/vmlinuz-$KREL" "$R/boot/vmlinux-$KREL" 2>/dev/null | head -1)")"
INITRD="$(rel "$CACHE/$ARCH/initrd-$FL.cpio.gz")"

BAUD=,115200
case "$ARCH" in
  x86_64)  QEMU=(qemu-system-x86_64 -cpu max,la57=off); CONSOLE=ttyS0 ;;
  arm64)   QEMU=(qemu-system-aarch64 -M virt -cpu cortex-a57); CONSOLE=ttyAMA0 ;;
  # OpenSBI (QEMU's bundled fw_dynamic) then the kernel Image
  riscv64) QEMU=(qemu-system-riscv64 -M virt -bios default); CONSOLE=ttyS0 ;;
  # SLOF; without -action panic=none the pseries panic notifier's RTAS ibm,os-term makes
  # QEMU quit before "---[ end Kernel panic" is printed
  ppc64el) QEMU=(qemu-system-ppc64 -M pseries -cpu power9 -action panic=none); CONSOLE=hvc0 BAUD= ;;
  # a panic ends in a disabled-wait PSW: QEMU exits by itself
  s390x)   QEMU=(qemu-system-s390x -M s390-ccw-virtio -cpu qemu); CONSOLE=ttysclp0 BAUD= ;;
  armhf)   QEMU=(qemu-system-arm -M virt -cpu cortex-a15); CONSOLE=ttyAMA0 ;;
  # 32-bit x86 (686-pae kernel): -cpu max gives it PAE, NX, SMEP and SMAP. TCG's max CPU is
  # AuthenticAMD family 6 model 6 stepping 3, an Athlon without the MP bit: a 32-bit kernel's
  # amd_k7_smp_check() then WARNs on the second CPU at boot ("This combination of AMD processors is
  # not suitable for SMP", taint S) in every run; the Intel vendor string avoids it.
  i386)    QEMU=(qemu-system-i386 -cpu max,vendor=GenuineIntel); CONSOLE=ttyS0 ;;
  *) die "unknown arch $ARCH" ;;
esac
QEMU+=(-nographic -no-reboot -nic none -m 512M -smp 2 -kernel "$KERNEL")
[ "$TRIGGER" = no-initrd ] || QEMU+=(-initrd "$INITRD")
CMDLINE="console=$CONSOLE$BAUD loglevel=7 printk.time=1 panic=0"
[ "$TRIGGER" = no-initrd ] || CMDLINE+=" lab.crash=$TRIGGER"
[ -n "$EXTRAS" ] && CMDLINE+=" $EXTRAS"
MONDIR=""
if [ "$TRIGGER" = nmi ]; then
  MONDIR="$(mktemp -d /tmp/kpanic-mon.XXXXXX)"
  QEMU+=(-monitor "unix:$MONDIR/mon.sock,server,nowait")
fi
QEMU+=(-append "$CMDLINE")

T="$WORK/runs/$ARCH/$NAME"
rm -rf "$T"; mkdir -p "$T"
LOGF="$T/$NAME.log"
DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
t0=$(date +%s%N)
: > "$LOGF"
"${QEMU[@]}" </dev/null >"$LOGF" 2>"$T/qemu-stderr" &
QPID=$!
END="" NMI_SENT=0
deadline=$(( $(date +%s) + TIMEOUT ))
while kill -0 "$QPID" 2>/dev/null; do
  if grep -aqF -- '---[ end Kernel panic' "$LOGF"; then
    sleep 1; kill "$QPID" 2>/dev/null; END=panic-hang; break
  fi
  if [ -n "$MONDIR" ] && [ $NMI_SENT = 0 ] && grep -aqF '=====LAB-NMI-REQUEST=====' "$LOGF"; then
    echo nmi | socat - "UNIX-CONNECT:$MONDIR/mon.sock" >/dev/null 2>&1 || true
    NMI_SENT=1
  fi
  if [ "$(date +%s)" -ge $deadline ]; then
    kill "$QPID" 2>/dev/null; END=timeout; break
  fi
  sleep 0.2
done
wait "$QPID" 2>/dev/null || true
t1=$(date +%s%N)
WALL="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b - a) / 1e9}')"
if [ -z "$END" ]; then
  # s390x: QEMU quits on power-off before "reboot: Power down" reaches the console; /init
  # runs `poweroff -f` right after the dmesg END marker
  if grep -aqF 'reboot: Power down' "$LOGF" ||
     { [ "$ARCH" = s390x ] && [ "$(tr -d '\r' < "$LOGF" | grep -av '^$' | tail -1)" = '=====LAB-DMESG-END=====' ]; }; then
    END=poweroff
  else
    END=exit
  fi
fi
[ -n "$MONDIR" ] && rm -rf "$MONDIR"

# dmesg printed by /init between the marker lines: cut those bytes out, nothing converted
extract_dmesg "$LOGF" "$T/$NAME.dmesg"

cat > "$T/$NAME.meta.json" <<JSON
{
$(meta_head)
  "trigger": $(jstr "$TRIGGER"),
  "expect": $(jstr "$EXPECT"),
  "dmesgFile": $( [ -f "$T/$NAME.dmesg" ] && jstr "$NAME.dmesg" || echo null)
}
JSON

DEST="$CORPORA_DIR/$ARCH/$FAMILY"
mkdir -p "$DEST"
rm -f "$CORPORA_DIR/$ARCH"/*/"$NAME".{log,dmesg,meta.json}
mv "$T/$NAME".* "$DEST/"
ok=yes
if [ "$EXPECT" != - ] && ! grep -aqE -- "$EXPECT" "$DEST/$NAME.log"; then ok=NO; fi
log "$ARCH/$FAMILY/$NAME: end=$END wall=${WALL}s bytes=$(stat -c %s "$DEST/$NAME.log") expect=$ok"
