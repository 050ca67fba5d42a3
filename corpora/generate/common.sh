# shellcheck shell=bash
# Shared settings and helpers for the kpanic corpus generator (sourced, not run).
set -euo pipefail

GEN_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CORPORA_DIR="$(cd "$GEN_DIR/.." && pwd)"
CACHE="${KPANIC_CORPORA_CACHE:-$GEN_DIR/.cache}"
WORK="${KPANIC_CORPORA_WORK:-$GEN_DIR/.work}"
JOBS="${JOBS:-2}"

# Kernel ABI to use. The default is the one the committed corpus was made with;
# set KPANIC_KERNEL_ABI=latest to follow whatever `linux-image-amd64` depends on.
KERNEL_ABI="${KPANIC_KERNEL_ABI:-6.1.0-56}"
KERNEL_SERIES="6.1"

# Packages the generator installs on the host (Debian bookworm).
HOST_PACKAGES=(qemu-system-x86 qemu-system-arm busybox-static kexec-tools makedumpfile
  e2fsprogs gcc make bc kmod cpio gzip xz-utils file libc6-dev socat coreutils
  gcc-12-aarch64-linux-gnu binutils-aarch64-linux-gnu
  qemu-system-misc qemu-system-ppc
  gcc-12-riscv64-linux-gnu binutils-riscv64-linux-gnu
  gcc-12-powerpc64le-linux-gnu binutils-powerpc64le-linux-gnu
  gcc-12-s390x-linux-gnu binutils-s390x-linux-gnu
  gcc-12-arm-linux-gnueabihf binutils-arm-linux-gnueabihf)

# All architectures of the corpus, in the order run.sh runs them.
ALL_ARCHES=(x86_64 arm64 riscv64 ppc64el s390x armhf i386)

# arch_vars ARCH: sets DEBARCH (Debian architecture), FLAVOURS (kernel flavours; the first one
# gets headers + lkdtm), KARCH (kernel ARCH=), CROSS (cross tool prefix, empty = host), SUITE
# (Debian suite the kernel comes from: bookworm has no riscv64 port, so riscv64 uses trixie),
# IMAGE_ONLY (1: fetch.sh fetches and unpacks only the kernel image, no headers, kbuild or busybox).
arch_vars() {
  SUITE=bookworm IMAGE_ONLY=0
  case "$1" in
    x86_64)  DEBARCH=amd64;   FLAVOURS=(amd64 cloud-amd64); KARCH=x86;     CROSS= ;;
    arm64)   DEBARCH=arm64;   FLAVOURS=(arm64);             KARCH=arm64;   CROSS=aarch64-linux-gnu- ;;
    riscv64) DEBARCH=riscv64; FLAVOURS=(riscv64);           KARCH=riscv;   CROSS=riscv64-linux-gnu-; SUITE=trixie ;;
    ppc64el) DEBARCH=ppc64el; FLAVOURS=(powerpc64le);       KARCH=powerpc; CROSS=powerpc64le-linux-gnu- ;;
    s390x)   DEBARCH=s390x;   FLAVOURS=(s390x);             KARCH=s390;    CROSS=s390x-linux-gnu- ;;
    armhf)   DEBARCH=armhf;   FLAVOURS=(armmp);             KARCH=arm;     CROSS=arm-linux-gnueabihf- ;;
    # 32-bit x86: the host's gcc-12 builds it (-m32 comes from the kernel's CONFIG_X86_32); PAE flavour
    # (NX, 3-level paging: '*pdpt = ... *pde = ...' in page-fault reports)
    i386)    DEBARCH=i386;    FLAVOURS=(686-pae);           KARCH=x86;     CROSS= ;;
    # Debian 11 bullseye's 5.10 kernel, image only (not in ALL_ARCHES; for vmcore-qemu.sh bullseye):
    # the first lockless printk ring, still with its dictionary ring (gone in 5.11)
    x86_64-bullseye) DEBARCH=amd64; FLAVOURS=(amd64);       KARCH=x86;     CROSS=; SUITE=bullseye; IMAGE_ONLY=1 ;;
    *) die "unknown arch $1" ;;
  esac
}

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

ensure_host_packages() {
  local missing=() p
  for p in "${HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ] || apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# resolve_abi: prints the kernel ABI (e.g. 6.1.0-56)
resolve_abi() {
  if [ "$KERNEL_ABI" = latest ]; then
    apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: linux-image-\([0-9.]*-[0-9]*\)-amd64.*/\1/p' | head -1
  else
    echo "$KERNEL_ABI"
  fi
}

# sha256 helper
sha() { sha256sum "$1" | cut -d' ' -f1; }

quote() {	# argv -> one shell-quoted string (for the command lines in meta.json)
  local out="" a
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./:=,+@%-]+$ ]]; then out+=" $a"; else out+=" '${a//\'/\'\\\'\'}'"; fi
  done
  printf '%s' "${out# }"
}

jstr() {	# JSON string
  local s="$1"
  s="${s//\\/\\\\}"; s="${s//\"/\\\"}"; s="${s//$'\t'/\\t}"; s="${s//$'\n'/\\n}"; s="${s//$'\r'/\\r}"
  printf '"%s"' "$s"
}

# extract_dmesg LOG OUT: the dmesg /init printed between its marker lines, cut out byte for
# byte (from just after the BEGIN marker line, its \r\n included, up to the END marker).
extract_dmesg() {
  local log="$1" out="$2" m e b txt s
  m="$(LC_ALL=C grep -abo '=====LAB-DMESG-BEGIN=====.*' "$log" | head -1 || true)"
  e="$(LC_ALL=C grep -abo '=====LAB-DMESG-END=====' "$log" | head -1 | cut -d: -f1 || true)"
  if [ -n "$m" ] && [ -n "$e" ]; then
    b="${m%%:*}" txt="${m#*:}"
    s=$(LC_ALL=C; echo $((b + ${#txt} + 1)))
    if [ "$e" -gt "$s" ]; then tail -c +$((s + 1)) "$log" | head -c $((e - s)) > "$out"; fi
  fi
}

# dump_after_panic QPID MON DIR TIMEOUT: wait for the guest's "---[ end Kernel panic" on
# DIR/console.log, then through the monitor socket MON write DIR/vmcore.elf (plain ELF),
# vmcore-paging.elf (-p) and vmcore.kdump-flat (-z), and quit QEMU.
dump_after_panic() {
  local qpid="$1" mon="$2" dir="$3" timeout="$4" deadline
  deadline=$(( $(date +%s) + timeout ))
  until grep -aqF -- '---[ end Kernel panic' "$dir/console.log"; do
    kill -0 "$qpid" 2>/dev/null || die "$(basename "$dir"): QEMU exited early"
    [ "$(date +%s)" -lt $deadline ] || { kill "$qpid"; die "$(basename "$dir"): no panic within $timeout s"; }
    sleep 0.5
  done
  sleep 1
  local c
  for c in "stop" "dump-guest-memory $dir/vmcore.elf" "dump-guest-memory -p $dir/vmcore-paging.elf" "dump-guest-memory -z $dir/vmcore.kdump-flat" "quit"; do
    printf '%s\n' "$c" | socat -t 600 - "UNIX-CONNECT:$mon" >>"$dir/monitor.txt" 2>&1
  done
  wait "$qpid" 2>/dev/null || true
  rm -f "$mon"
}

# run_qemu LOGF TIMEOUT QEMU-ARGV...: boots a case and waits until QEMU exits, the console
# shows the end of a panic (QEMU is then stopped), or TIMEOUT seconds pass. Sets DATE (UTC,
# start), END (poweroff | panic-hang | timeout | exit) and WALL (seconds); QEMU's stderr goes
# to qemu-stderr beside LOGF. (run-case.sh and mce-qemu.sh act while the guest runs and keep
# their own loops; they share case_end.)
run_qemu() {
  local logf="$1" timeout="$2" t0 t1 qpid deadline
  shift 2
  DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  END=""
  t0=$(date +%s%N)
  : > "$logf"
  "$@" </dev/null >"$logf" 2>"$(dirname "$logf")/qemu-stderr" &
  qpid=$!
  deadline=$(( $(date +%s) + timeout ))
  while kill -0 "$qpid" 2>/dev/null; do
    if grep -aqF -- '---[ end Kernel panic' "$logf"; then
      sleep 1; kill "$qpid" 2>/dev/null; END=panic-hang; break
    fi
    if [ "$(date +%s)" -ge $deadline ]; then kill "$qpid" 2>/dev/null; END=timeout; break; fi
    sleep 0.2
  done
  wait "$qpid" 2>/dev/null || true
  t1=$(date +%s%N)
  case_end "$logf"
  WALL="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b - a) / 1e9}')"
}

# case_end LOGF: when END is still empty, poweroff if the guest said so, else exit.
case_end() {
  [ -z "$END" ] || return 0
  if grep -aqF 'reboot: Power down' "$1"; then END=poweroff; else END=exit; fi
}

# meta_head: the fields every case's meta.json starts with (from ARCH NAME FAMILY R KREL FL
# QEMU CMDLINE DATE END WALL TIMEOUT), each line ending with a comma.
meta_head() {
  cat <<JSON
  "arch": $(jstr "$ARCH"),
  "case": $(jstr "$NAME"),
  "family": $(jstr "$FAMILY"),
  "kernelPackage": $(jstr "$(cat "$R/.package")"),
  "kernelVersion": $(jstr "$(cat "$R/.version")"),
  "kernelRelease": $(jstr "$KREL"),
  "flavour": $(jstr "$FL"),
  "qemuCommand": $(jstr "$(quote "${QEMU[@]}")"),
  "kernelCommandLine": $(jstr "$CMDLINE"),
  "date": $(jstr "$DATE"),
  "end": $(jstr "$END"),
  "wallSeconds": $WALL,
  "timeoutSeconds": $TIMEOUT,
JSON
}

# meta_tail: the fields every case's meta.json ends with (from LOGF EXPECT T NAME), the last
# without a comma.
meta_tail() {
  cat <<JSON
  "logSha256": $(jstr "$(sha "$LOGF")"),
  "expect": $(jstr "$EXPECT"),
  "dmesgFile": $( [ -f "$T/$NAME.dmesg" ] && jstr "$NAME.dmesg" || echo null)
JSON
}

# install_case TMPDIR NAME DEST EXPECT: moves NAME.{log,dmesg,meta.json} into DEST (replacing
# the old ones) and prints "yes" when the log has the expected line, else "NO".
install_case() {
  local t="$1" name="$2" dest="$3" expect="$4"
  mkdir -p "$dest"
  rm -f "$dest/$name".{log,dmesg,meta.json}
  mv "$t/$name".* "$dest/"
  if grep -aqE -- "$expect" "$dest/$name.log"; then echo yes; else echo NO; fi
}
