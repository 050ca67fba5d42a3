#!/bin/bash
# kdump.sh : real kdump run on x86_64.
# First kernel (crashkernel=256M, -m 1024M) loads the capture kernel with `kexec -p`,
# then sysrq-c. The capture kernel (same vmlinuz, lab.crash=capture) writes to two virtio
# disks: vda in Debian kdump-tools layout, vdb in RHEL kdump layout (see initramfs/init).
# Output: corpora/kdump/kdump-first-and-capture-kernel.{log,meta.json},
#         corpora/kdump/debian/var/crash/..., corpora/kdump/rhel/var/crash/...
# The dump files go to .cache/kdump/ and are replaced by <name>.NOT-COMMITTED.txt notes.
# Lab extra: .cache/kdump/lab-extra/{vmcore-elf,dmesg-elf}.<stamp> (makedumpfile -E; not committed).
source "$(dirname "$0")/common.sh"
ARCH=x86_64 FL=amd64 NAME=kdump-first-and-capture-kernel TIMEOUT=300
[ -f "$CACHE/$ARCH/$FL/root/.done" ] || bash "$GEN_DIR/fetch.sh" "$ARCH"
bash "$GEN_DIR/build-initramfs.sh" "$ARCH" "$FL" kdump

REPO="$(cd "$CORPORA_DIR/.." && pwd)"
cd "$REPO"
rel() { realpath --relative-to="$REPO" "$1"; }
R="$CACHE/$ARCH/$FL/root"
KREL="$(cat "$R/.krel")"
T="$WORK/kdump"
rm -rf "$T"; mkdir -p "$T"
for d in debian rhel; do
  truncate -s 512M "$T/$d.img"
  mke2fs -q -t ext4 -L "crash-$d" -F "$T/$d.img"
done
CMDLINE="console=ttyS0,115200 loglevel=7 printk.time=1 panic=0 crashkernel=256M lab.crash=kdump"
QEMU=(qemu-system-x86_64 -cpu max,la57=off -nographic -no-reboot -nic none -m 1024M -smp 2
  -kernel "$(rel "$R/boot/vmlinuz-$KREL")" -initrd "$(rel "$CACHE/$ARCH/initrd-$FL-kdump.cpio.gz")"
  -drive "file=$(rel "$T/debian.img"),format=raw,if=virtio"
  -drive "file=$(rel "$T/rhel.img"),format=raw,if=virtio"
  -append "$CMDLINE")

LOGF="$T/$NAME.log"
DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
log "kdump: booting first kernel (crashkernel=256M) + capture kernel"
t0=$(date +%s%N)
: > "$LOGF"
"${QEMU[@]}" </dev/null >"$LOGF" 2>"$T/qemu-stderr" &
QPID=$!
END=""
deadline=$(( $(date +%s) + TIMEOUT ))
while kill -0 "$QPID" 2>/dev/null; do
  if grep -aqF -- '---[ end Kernel panic' "$LOGF"; then sleep 1; kill "$QPID"; END=panic-hang; break; fi
  if [ "$(date +%s)" -ge $deadline ]; then kill "$QPID"; END=timeout; break; fi
  sleep 0.5
done
wait "$QPID" 2>/dev/null || true
t1=$(date +%s%N)
WALL="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b - a) / 1e9}')"
[ -n "$END" ] || END=exit

OUT="$CORPORA_DIR/kdump"
# replace only what this script makes (kpanic keeps its *.expected.json goldens next to the logs)
rm -rf "$OUT/debian" "$OUT/rhel" "$OUT/$NAME.log" "$OUT/$NAME.meta.json"
mkdir -p "$OUT/debian/var" "$OUT/rhel/var"
cp "$LOGF" "$OUT/$NAME.log"
cat > "$OUT/$NAME.meta.json" <<JSON
{
  "arch": "x86_64",
  "case": "$NAME",
  "family": "kdump",
  "kernelPackage": $(jstr "$(cat "$R/.package")"),
  "kernelVersion": $(jstr "$(cat "$R/.version")"),
  "kernelRelease": $(jstr "$KREL"),
  "flavour": "$FL",
  "qemuCommand": $(jstr "$(quote "${QEMU[@]}")"),
  "kernelCommandLine": $(jstr "$CMDLINE"),
  "date": "$DATE",
  "end": "$END",
  "wallSeconds": $WALL,
  "timeoutSeconds": $TIMEOUT,
  "trigger": "kdump",
  "expect": "Kernel panic - not syncing: sysrq triggered crash"
}
JSON

# extract /var/crash from both disks without mounting
for d in debian rhel; do
  debugfs -R "rdump /var/crash $OUT/$d/var" "$T/$d.img" 2>"$T/debugfs-$d.err" || true
done
# the dumps are too big for git: keep them in the cache, leave a note
KEEP="$CACHE/kdump"
rm -rf "$KEEP"; mkdir -p "$KEEP"
while IFS= read -r f; do
  relp="${f#"$OUT"/}"
  mkdir -p "$KEEP/$(dirname "$relp")"
  mv "$f" "$KEEP/$relp"
  {
    echo "$(basename "$f") is not committed (too large for git); it is kept in corpora/generate/.cache/kdump/$relp"
    echo "size: $(stat -c %s "$KEEP/$relp") bytes"
    echo "file: $(file -b "$KEEP/$relp")"
    echo "sha256: $(sha "$KEEP/$relp")"
  } > "$f.NOT-COMMITTED.txt"
done < <(find "$OUT" -type f \( -name 'dump.*' -o -name 'vmcore' \) ! -name '*.txt')
cp "$T/qemu-stderr" "$KEEP/qemu-stderr" 2>/dev/null || true
# lab extra (outside both layouts, cache only): makedumpfile -E (ELF) of the same crash and
# makedumpfile --dump-dmesg on it, both written by the capture kernel on the Debian disk
debugfs -R "rdump /lab-extra $KEEP" "$T/debian.img" 2>"$T/debugfs-lab-extra.err" || true
rm -f "$T/debian.img" "$T/rhel.img"
log "kdump: end=$END wall=${WALL}s; $(find "$OUT" -type f | wc -l) files under corpora/kdump"
find "$OUT" -type f -printf '%10s %P\n' | sort -k2 >&2
find "$KEEP/lab-extra" -type f -printf '%10s .cache/kdump/lab-extra/%P\n' 2>/dev/null | sort -k2 >&2 || true
