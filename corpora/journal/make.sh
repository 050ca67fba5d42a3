#!/bin/sh
# Rebuilds the journald captures in this directory from a real console log of
# the corpus: each kernel line becomes a journal entry (_TRANSPORT=kernel, its
# monotonic time, a fixed boot id; one MESSAGE made non-UTF-8 so journald
# stores it as a binary field), imported into a real journal file by
# systemd-journal-remote, then printed by journalctl itself (-o export, -o json).
# Needs: python3, systemd-journal-remote (apt-get install systemd-journal-remote), journalctl.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../x86_64/panic/sysrq-c.log"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$src" "$tmp/in.export" <<'PY'
import re, struct, sys
boot = b"4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
out = bytearray()
for l in open(sys.argv[1], "rb").read().split(b"\n"):
    m = re.match(rb"^\[\s*(\d+)\.(\d{6})\] (.*?)\r?$", l)
    if not m:
        continue
    us = int(m.group(1)) * 1000000 + int(m.group(2))
    msg = m.group(3)
    if b"Trigger" in msg:
        msg += b" \xff"  # not UTF-8: exported as a binary field, shown by -o json as a byte array
    fields = [(b"__REALTIME_TIMESTAMP", str(1795894000000000 + us).encode()), (b"__MONOTONIC_TIMESTAMP", str(us).encode()),
              (b"_BOOT_ID", boot), (b"_TRANSPORT", b"kernel"), (b"PRIORITY", b"6"), (b"SYSLOG_FACILITY", b"0"),
              (b"SYSLOG_IDENTIFIER", b"kernel"), (b"_SOURCE_MONOTONIC_TIMESTAMP", str(us).encode()),
              (b"_MACHINE_ID", b"0123456789abcdef0123456789abcdef"), (b"_HOSTNAME", b"lab"), (b"MESSAGE", msg)]
    for k, v in fields:
        if any(c < 32 or c >= 127 for c in v):
            out += k + b"\n" + struct.pack("<Q", len(v)) + v + b"\n"
        else:
            out += k + b"=" + v + b"\n"
    out += b"\n"
open(sys.argv[2], "wb").write(out)
PY
/lib/systemd/systemd-journal-remote --output="$tmp/lab.journal" "$tmp/in.export"
journalctl --file "$tmp/lab.journal" -o export > "$here/sysrq-c.export"
journalctl --file "$tmp/lab.journal" -o json > "$here/sysrq-c.jsonl"
