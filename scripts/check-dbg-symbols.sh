#!/bin/bash
# Documented end-to-end check of symbolization with Debian's real debug
# symbols (not part of `npm test`: the package is ~860 MB).
#
#   bash scripts/check-dbg-symbols.sh [path/to/linux-image-6.1.0-56-amd64-dbg_*.deb]
#
# Downloads linux-image-<ABI>-amd64-dbg with apt-get (unless a .deb is given),
# extracts only vmlinux (633 MB) into a temporary directory, and checks that
# the corpus's sysrq panic resolves end to end: sysrq_handle_crash+0x16 to
# drivers/tty/sysrq.c:155, as crash's `sym` answers.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ABI="${KPANIC_KERNEL_ABI:-6.1.0-56}"
PKG="linux-image-$ABI-amd64-dbg"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
DEB="${1:-}"
if [ -z "$DEB" ]; then
  (cd "$WORK" && apt-get download "$PKG")
  DEB="$(ls "$WORK"/"$PKG"_*.deb)"
fi
VM="./usr/lib/debug/boot/vmlinux-$ABI-amd64"
dpkg-deb --fsys-tarfile "$DEB" | tar -x -C "$WORK" "$VM"
VMLINUX="$WORK/$VM"
KP=(node "$ROOT/bin/kpanic.js")
fail=0
check() { # check DESCRIPTION EXPECTED ACTUAL
  if grep -qF -- "$2" <<<"$3"; then echo "ok   $1"; else echo "FAIL $1: expected '$2'"; fail=1; fi
}
out="$("${KP[@]}" sym "$VMLINUX" sysrq_handle_crash+0x16)"
check "sym sysrq_handle_crash+0x16" "sysrq_handle_crash+22 drivers/tty/sysrq.c: 155" "$out"
start=$(date +%s%N)
report="$("${KP[@]}" --no-auto-symbols --symbols "$VMLINUX" "$ROOT/corpora/x86_64/panic/sysrq-c.log")"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "panic backtrace: sysrq_handle_crash" "sysrq_handle_crash+0x16/0x20  drivers/tty/sysrq.c:155" "$report"
check "panic backtrace: every frame resolved" "28 of 28 frames resolved" "$report"
check "inlined chain (proc_reg_write -> pde_write)" "inlined pde_write fs/proc/inode.c:340" "$report"
json="$("${KP[@]}" --no-auto-symbols --format json --symbols "$VMLINUX" --symbols "$ROOT/corpora/x86_64/modules" "$ROOT/corpora/x86_64/oops/lkdtm-ACCESS_NULL.log")"
check "module + vmlinux frames (ACCESS_NULL)" '"unresolved": 0' "$json"
echo "analyze with the vmlinux took ${ms} ms"
exit $fail
