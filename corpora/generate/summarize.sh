#!/bin/bash
# summarize.sh : verify the corpus and regenerate the generated sections of corpora/README.md
# (package versions + sha256, case table, verification). Prints problems on stderr.
source "$(dirname "$0")/common.sh"
README="$CORPORA_DIR/README.md"
TMP="$WORK/summary"; rm -rf "$TMP"; mkdir -p "$TMP"
CRASH_RE='Kernel panic - not syncing|segfault at|traps: |unhandled exception: |BUG: |kernel BUG at|WARNING: CPU|Oops|Unable to handle kernel|Unhandled fault|general protection fault|invoked oom-killer|INFO: task .* blocked|soft lockup|rcu: INFO: .*detected stalls|list_(add|del) corruption|usercopy: |refcount_t: |detected buffer overflow|Uhhuh\. NMI|stack-protector|kernel tried to execute|unable to handle page fault|Attempted to kill init|VFS: Unable to mount|lkdtm: (FAIL|XFAIL)|Memory correctly poisoned|lkdtm: Good|Warning message trigger|stack guard page|Kernel stack is corrupted|BUG [^ :]+ [(](Not t|T)ainted'

mdesc() { sed -e 's/\r//g' -e 's/\x1b[^a-zA-Z]*[a-zA-Z]//g' -e 's/|/\\|/g' | cut -c1-170; }
jget() { sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$1" | head -1; }

# ---- packages
{
  echo "| package | version | arch | size (bytes) | sha256 |"
  echo "|---|---|---|---:|---|"
  for f in $(ls "$CACHE"/debs/*/*.deb 2>/dev/null | sort); do
    p="$(dpkg-deb -f "$f" Package)"; v="$(dpkg-deb -f "$f" Version)"; a="$(dpkg-deb -f "$f" Architecture)"
    echo "| $p | $v | $a | $(stat -c %s "$f") | \`$(sha "$f")\` |"
  done | sort -u
  echo
  echo "Host tools used (installed with apt-get, versions at generation time):"
  echo
  for p in qemu-system-x86 qemu-system-arm qemu-system-misc qemu-system-ppc busybox-static kexec-tools makedumpfile e2fsprogs gcc-12 \
      gcc-12-aarch64-linux-gnu gcc-12-riscv64-linux-gnu gcc-12-powerpc64le-linux-gnu gcc-12-s390x-linux-gnu gcc-12-arm-linux-gnueabihf kmod; do
    echo "- $p $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo '(not installed)')"
  done
} > "$TMP/packages.md"

# ---- cases + verification
FAIL=0
{
  echo "| file | bytes | end | wall s | .dmesg bytes | first crash line |"
  echo "|---|---:|---|---:|---:|---|"
} > "$TMP/cases.md"
: > "$TMP/verify.md"
TOTAL_LOGS=0
for m in $(find "$CORPORA_DIR" -path "$GEN_DIR" -prune -o -name '*.meta.json' -print | sort); do
  d="$(dirname "$m")"; n="$(basename "$m" .meta.json)"; L="$d/$n.log"
  # systemd-guest.sh's captures: the serial console is <name>.console.log beside the exports
  [ -f "$L" ] || [ ! -f "$d/$n.console.log" ] || L="$d/$n.console.log"
  relf="${L#"$CORPORA_DIR"/}"
  [ -f "$L" ] || { echo "- \`$relf\`: log missing" >> "$TMP/verify.md"; FAIL=1; continue; }
  TOTAL_LOGS=$((TOTAL_LOGS + 1))
  end="$(jget "$m" end)"; wall="$(jget "$m" wallSeconds)"; exp="$(jget "$m" expect)"
  # expected crash line: the current cases.tsv entry (the meta.json keeps the one of its run)
  arch="${relf%%/*}"
  exp="$(awk -F'\t' -v a="$arch" -v n="$n" '!/^#/ && $2==a && $1==n {print $7}' "$GEN_DIR/cases.tsv")"
  [ "$relf" = kdump/kdump-first-and-capture-kernel.log ] && exp="$(awk -F'\t' '!/^#/ && $1=="kdump" {print $7}' "$GEN_DIR/cases.tsv")"
  db="-"; [ -f "$d/$n.dmesg" ] && db="$(stat -c %s "$d/$n.dmesg")"
  # first crash line of the console part (after /init started, if it did)
  first="$(tr -d '\r' < "$L" | awk -v re="$CRASH_RE" '/lab: init started/ {p=1} p && $0 ~ re {print; exit}' || true)"
  [ -n "$first" ] || first="$(tr -d '\r' < "$L" | grep -aE -m1 -- "$CRASH_RE" || true)"
  first="$(printf '%s' "$first" | sed 's/^.*\(\[ *[0-9]*\.[0-9]*\] \)/\1/' | mdesc)"
  [ -n "$first" ] || first="(none)"
  echo "| \`$relf\` | $(stat -c %s "$L") | $end | $wall | $db | \`${first}\` |" >> "$TMP/cases.md"
  # The banner is KERN_NOTICE: a console at loglevel 5 or below does not print it.
  if ! grep -qE '"kernelCommandLine": "([^"]* )?loglevel=[0-5]( |")' "$m"; then
    grep -aq 'Linux version 6\.' "$L" || { echo "- \`$relf\`: no \`Linux version 6.\` banner" >> "$TMP/verify.md"; FAIL=1; }
  fi
  if [ -n "$exp" ] && [ "$exp" != - ] && ! grep -aqE -- "$exp" "$L"; then
    echo "- \`$relf\`: expected crash line not found (\`$exp\`)" >> "$TMP/verify.md"; FAIL=1
  fi
  if [ "$end" = timeout ] && [[ "$n" != *SOFTLOCKUP-nopanic* ]]; then
    echo "- \`$relf\`: ended by timeout" >> "$TMP/verify.md"
  fi
done
[ -s "$TMP/verify.md" ] || echo "- all $TOTAL_LOGS logs contain \`Linux version 6.\` (but those of a loglevel<=5 console, which does not print it) and their expected crash line (\`expect\` in cases.tsv)" > "$TMP/verify.md"

# ---- sizes (the corpus itself; kpanic's own *.expected.json goldens next to the logs are counted apart)
cfiles() { find "$1" -path "$GEN_DIR" -prune -o -type f ! -name '*.expected.json' -printf '%s\n'; }
{
  echo "| directory | files | bytes |"
  echo "|---|---:|---:|"
  for sub in "${ALL_ARCHES[@]}" kdump; do
    [ -d "$CORPORA_DIR/$sub" ] || continue
    echo "| \`$sub/\` | $(cfiles "$CORPORA_DIR/$sub" | wc -l) | $(cfiles "$CORPORA_DIR/$sub" | awk '{s+=$1} END {print s+0}') |"
  done
  echo "| corpus in all (logs, dmesg, meta, kdump trees, README; without generate/) | $(cfiles "$CORPORA_DIR" | wc -l) | $(cfiles "$CORPORA_DIR" | awk '{s+=$1} END {print s+0}') |"
  g="$(find "$CORPORA_DIR" -path "$GEN_DIR" -prune -o -type f -name '*.expected.json' -printf '%s\n')"
  [ -n "$g" ] && echo "| kpanic golden files \`*.expected.json\` (not made by the generator) | $(echo "$g" | wc -l) | $(echo "$g" | awk '{s+=$1} END {print s+0}') |"
  echo "| generator \`generate/\` (without .cache, .work) | $(find "$GEN_DIR" \( -name .cache -o -name .work \) -prune -o -type f -print | wc -l) | $(find "$GEN_DIR" \( -name .cache -o -name .work \) -prune -o -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}') |"
} > "$TMP/sizes.md"

# ---- splice into README between <!-- generated:NAME --> ... <!-- /generated:NAME -->
touch "$README"
for sec in packages cases verify sizes; do
  if ! grep -q "<!-- generated:$sec -->" "$README"; then
    printf '\n<!-- generated:%s -->\n<!-- /generated:%s -->\n' "$sec" "$sec" >> "$README"
  fi
  awk -v sec="$sec" -v f="$TMP/$sec.md" '
    $0 == "<!-- generated:" sec " -->" {print; while ((getline l < f) > 0) print l; skip=1; next}
    $0 == "<!-- /generated:" sec " -->" {skip=0}
    !skip {print}' "$README" > "$TMP/README.new"
  mv "$TMP/README.new" "$README"
done
cat "$TMP/verify.md" >&2
log "summary: $TOTAL_LOGS logs; README.md updated"
exit $FAIL
