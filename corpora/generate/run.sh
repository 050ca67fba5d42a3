#!/bin/bash
# Entry point of the kpanic real-kernel crash corpus generator.
#   bash corpora/generate/run.sh [all|x86_64|arm64|riscv64|ppc64el|s390x|armhf|i386|kdump|summary|CASE|ARCH/CASE ...]
#   (npm run corpora -- CASE)
# No argument = all. A bare CASE name runs that case on every architecture that has it
# in cases.tsv; ARCH/NAME (e.g. arm64/NAME, riscv64/NAME) picks one. Everything missing (apt packages,
# Debian kernel .debs, lkdtm.ko, initramfs) is fetched/built into corpora/generate/.cache.
source "$(dirname "$0")/common.sh"
[ $# -eq 0 ] && set -- all

SEL=()      # "arch<TAB>name"
DO_SUMMARY=0
add_arch() { while IFS= read -r l; do SEL+=("$l"); done < <(awk -F'\t' -v a="$1" '!/^#/ && NF>1 && $2==a {print $2 "\t" $1}' "$GEN_DIR/cases.tsv"); }
for a in "$@"; do
  case "$a" in
    all) for x in "${ALL_ARCHES[@]}"; do add_arch "$x"; done; DO_SUMMARY=1 ;;
    x86_64|arm64|riscv64|ppc64el|s390x|armhf|i386) add_arch "$a" ;;
    summary|verify) DO_SUMMARY=1 ;;
    */*) SEL+=("${a%%/*}"$'\t'"${a#*/}") ;;
    *) n=0
       while IFS= read -r l; do SEL+=("$l"); n=$((n + 1)); done < <(awk -F'\t' -v c="$a" '!/^#/ && $1==c {print $2 "\t" $1}' "$GEN_DIR/cases.tsv")
       [ $n -gt 0 ] || die "unknown case '$a' (see corpora/generate/cases.tsv)" ;;
  esac
done

if [ ${#SEL[@]} -gt 0 ]; then
  ensure_host_packages
  mkdir -p "$CACHE" "$WORK"
  T0=$(date +%s)
  # prepare what the selected cases need
  declare -A NEED=()
  for s in "${SEL[@]}"; do
    arch="${s%%$'\t'*}" name="${s#*$'\t'}"
    fl="$(awk -F'\t' -v a="$arch" -v n="$name" '!/^#/ && $1==n && $2==a {print $4}' "$GEN_DIR/cases.tsv")"
    [ -n "$fl" ] || die "no case $arch/$name in cases.tsv"
    NEED["$arch/$fl"]=1
  done
  for k in "${!NEED[@]}"; do
    arch="${k%/*}" fl="${k#*/}"
    [ "$arch" = x86_64 ] || [ -f "$CACHE/x86_64/headers/.done" ] || bash "$GEN_DIR/fetch.sh" x86_64
    [ -f "$CACHE/$arch/$fl/root/.done" ] || bash "$GEN_DIR/fetch.sh" "$arch"
    bash "$GEN_DIR/build-initramfs.sh" "$arch" "$fl"
  done
  log "prepared in $(( $(date +%s) - T0 )) s; running ${#SEL[@]} case(s), $JOBS at a time"
  T1=$(date +%s)
  # kdump last (it needs its own initramfs and disks)
  printf '%s\n' "${SEL[@]}" | awk -F'\t' '$2!="kdump"' | tr '\t' ' ' |
    xargs -r -P "$JOBS" -L 1 bash "$GEN_DIR/run-case.sh" || true
  if printf '%s\n' "${SEL[@]}" | grep -q $'\tkdump$'; then
    bash "$GEN_DIR/kdump.sh" || log "kdump run failed"
  fi
  log "ran ${#SEL[@]} case(s) in $(( $(date +%s) - T1 )) s"
fi
if [ $DO_SUMMARY = 1 ]; then
  bash "$GEN_DIR/summarize.sh"
fi
