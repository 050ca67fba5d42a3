#!/bin/bash
# systemd-guest.sh [rootfs|run] : real journald / rsyslog / dmesg / /dev/kmsg captures from a booted
# Debian bookworm userland with systemd, on the corpus's own x86_64 kernel (linux-image-<abi>-amd64)
# and lkdtm.ko. Writes corpora/journal/<CASE>.<format> + <CASE>.meta.json (see corpora/README.md).
#
#   1. rootfs (cached in .cache/systemd-guest/rootfs, made once):
#        debootstrap --variant=minbase --include=systemd,systemd-sysv,rsyslog,udev,kmod,util-linux bookworm DIR MIRROR
#      (MIRROR = the first Debian, non-security URI of the host's apt sources).
#   2. per run, in .work/systemd-guest/: a copy of the rootfs + the kernel's /lib/modules + lkdtm.ko
#      (lib/modules/<krel>/extra, depmod) + lab.service/lab-run (below), made into an ext4 image with
#      `mke2fs -d` (no loop mount); an empty ext4 "out" disk; a busybox initramfs that loads
#      virtio_pci/virtio_blk/ext4, mounts /dev/vda and switch_roots to systemd.
#   3. QEMU boots it; lab.service (after multi-user.target) loads lkdtm, provokes a WARNING and, in a
#      child shell, an ACCESS_NULL Oops (kills only that child), waits, flushes the journal, mounts
#      /dev/vdb and writes each export listed in exports.tsv below, then powers off.
#   4. host: debugfs rdump of the out disk, files copied into corpora/journal/, meta.json written.
source "$(dirname "$0")/common.sh"
STAGE="${1:-run}"
ARCH=x86_64 FL=amd64
CASE="${KPANIC_SYSTEMD_CASE:-systemd-WARNING-ACCESS_NULL}"
SG="$CACHE/systemd-guest"
ROOTFS="$SG/rootfs"
DB_INCLUDE=systemd,systemd-sysv,rsyslog,udev,kmod,util-linux
DB_SUITE=bookworm

mirror() {	# first Debian (not -security) URI of the host's apt sources
  local m
  m="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    sed -n -e 's/^URIs:[[:space:]]*//p' -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\).*/\2/p' |
    tr ' ' '\n' | grep -E '/debian/?$' | grep -v security | head -1)"
  echo "${m:-http://deb.debian.org/debian}"
}

build_rootfs() {
  [ -f "$ROOTFS/.lab-debootstrap.json" ] && return 0
  command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap
  local m d cmd
  m="$(mirror)"
  d="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  rm -rf "$ROOTFS" "$SG/rootfs.tmp"; mkdir -p "$SG"
  cmd=(debootstrap --variant=minbase "--include=$DB_INCLUDE" "$DB_SUITE" "$SG/rootfs.tmp" "$m")
  log "${cmd[*]}"
  "${cmd[@]}" > "$SG/debootstrap.log" 2>&1 || { tail -20 "$SG/debootstrap.log"; die "debootstrap failed"; }
  rm -f "$SG/rootfs.tmp"/var/cache/apt/archives/*.deb
  cat > "$SG/rootfs.tmp/.lab-debootstrap.json" <<JSON
{ "date": "$d", "end": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "mirror": "$m", "suite": "$DB_SUITE",
  "command": "debootstrap --variant=minbase --include=$DB_INCLUDE $DB_SUITE DIR $m",
  "debootstrapVersion": "$(dpkg-query -W -f='${Version}' debootstrap)" }
JSON
  mv "$SG/rootfs.tmp" "$ROOTFS"
  log "rootfs ready: $(du -sh "$ROOTFS" | cut -f1)"
}

build_rootfs
[ "$STAGE" = rootfs ] && exit 0

# ---------------------------------------------------------------- per run
R="$CACHE/$ARCH/$FL/root"
[ -f "$R/.done" ] || bash "$GEN_DIR/fetch.sh" "$ARCH"
[ -f "$CACHE/$ARCH/lkdtm/lkdtm.ko" ] || bash "$GEN_DIR/build-lkdtm.sh" "$ARCH"
KREL="$(cat "$R/.krel")"
REPO="$(cd "$CORPORA_DIR/.." && pwd)"
W="$WORK/systemd-guest"
rm -rf "$W"; mkdir -p "$W"

# What the guest exports, one file per line: <suffix> TAB <command, stdout -> file>.
# The file lands in corpora/journal/<CASE>.<suffix>; suffixes end in .log/.dmesg/.export/.jsonl
# so that test/corpus.ts treats them as logs.
cat > "$W/exports.tsv" <<'TSV'
export	journalctl -k -b -o export
jsonl	journalctl -k -b -o json
short.log	journalctl -k -b
short-precise.log	journalctl -k -b -o short-precise
short-monotonic.log	journalctl -k -b -o short-monotonic
short-iso.log	journalctl -k -b -o short-iso
kern.log	cat /var/log/kern.log
kern-traditional.log	cat /var/log/kern-traditional.log
syslog.log	cat /var/log/syslog
dmesg	dmesg
dmesg-T.log	dmesg -T
dmesg-x.log	dmesg -x
dmesg-r.log	dmesg -r
dmesg-iso.log	dmesg --time-format iso
dmesg-json.log	dmesg --json
kmsg.log	dd if=/dev/kmsg iflag=nonblock bs=65536 status=none
TSV

# /usr/local/sbin/lab-run, started once by lab.service
cat > "$W/lab-run" <<'SH'
#!/bin/sh
# kpanic corpus (corpora/generate/systemd-guest.sh): provoke a WARNING and an Oops, export the logs, power off.
DIRECT=/sys/kernel/debug/provoke-crash/DIRECT
say() { echo "lab: $*"; echo "lab: $*" > /dev/kmsg; }
say "lab.service started on $(uname -r)"
modprobe lkdtm || say "modprobe lkdtm failed"
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
say "echo WARNING > $DIRECT"
echo WARNING > "$DIRECT"
sleep 1
say "child: sh -c 'echo ACCESS_NULL > $DIRECT'"
sh -c "echo ACCESS_NULL > $DIRECT"
say "child exited with status $?"
mkdir -p /mnt/out
mount -t ext4 /dev/vdb /mnt/out || { say "cannot mount /dev/vdb"; systemctl --no-block poweroff; exit 1; }
O=/mnt/out/lab
mkdir -p "$O"
sleep 5
journalctl --flush
journalctl --sync
sync
sleep 3
: > "$O/status.tsv"
while IFS='	' read -r f cmd; do
	case "$f" in ''|'#'*) continue ;; esac
	sh -c "$cmd" > "$O/$f" 2> "$O/$f.stderr"
	printf '%s\t%s\n' "$f" "$?" >> "$O/status.tsv"
done < /usr/local/lib/lab/exports.tsv
{
	echo "bootId	$(cat /proc/sys/kernel/random/boot_id)"
	echo "machineId	$(cat /etc/machine-id)"
	echo "hostname	$(hostname)"
	echo "uname	$(uname -a)"
	echo "cmdline	$(cat /proc/cmdline)"
	echo "guestDate	$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "journalctlVersion	$(journalctl --version | head -1)"
	echo "dmesgVersion	$(dmesg --version)"
	echo "rsyslogdVersion	$(rsyslogd -v | head -1 | sed 's/ *compiled with:.*//')"
	echo "journalStorage	$(ls -d /var/log/journal/*/ /run/log/journal/*/ 2>/dev/null | tr '\n' ' ')"
	echo "tainted	$(cat /proc/sys/kernel/tainted)"
} > "$O/info.tsv"
dpkg-query -W -f='${Package}\t${Version}\n' > "$O/packages.tsv"
sync
umount /mnt/out
say "exports written, powering off"
systemctl --no-block poweroff
SH

cat > "$W/lab.service" <<'UNIT'
[Unit]
Description=kpanic corpus: provoke a WARNING and an Oops, export the kernel log, power off
After=multi-user.target rsyslog.service systemd-journald.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/lab-run
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
UNIT

cat > "$W/lab-traditional.conf" <<'CONF'
# kpanic corpus: the kernel facility once more in rsyslog's traditional format
# ("Nov 24 17:38:08 host kernel: ..."; bookworm's default files use RFC 3339 high-precision stamps)
kern.*	action(type="omfile" file="/var/log/kern-traditional.log" template="RSYSLOG_TraditionalFileFormat")
CONF

# root tree: debootstrap result + kernel modules + lkdtm + the lab files
G="$W/root"
log "root tree"
cp -a "$ROOTFS" "$G"
rm -f "$G/.lab-debootstrap.json"
mkdir -p "$G/lib/modules"
cp -a "$R/lib/modules/$KREL" "$G/lib/modules/"
mkdir -p "$G/lib/modules/$KREL/extra"
strip --strip-debug -o "$G/lib/modules/$KREL/extra/lkdtm.ko" "$CACHE/$ARCH/lkdtm/lkdtm.ko"
depmod -b "$G" "$KREL"
install -D -m 0755 "$W/lab-run" "$G/usr/local/sbin/lab-run"
install -D -m 0644 "$W/exports.tsv" "$G/usr/local/lib/lab/exports.tsv"
install -D -m 0644 "$W/lab.service" "$G/etc/systemd/system/lab.service"
ln -sf /etc/systemd/system/lab.service "$G/etc/systemd/system/multi-user.target.wants/lab.service"
install -D -m 0644 "$W/lab-traditional.conf" "$G/etc/rsyslog.d/lab-traditional.conf"
echo lab > "$G/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tlab\n' > "$G/etc/hosts"
printf '/dev/vda\t/\text4\trw,relatime\t0\t0\n' > "$G/etc/fstab"
sed -i 's/^root:[^:]*:/root::/' "$G/etc/shadow"
log "root.img"
mke2fs -q -F -t ext4 -L labroot -d "$G" "$W/root.img" 2G
mke2fs -q -F -t ext4 -L labout "$W/out.img" 64M

# initramfs: busybox, the modules to mount an ext4 virtio disk, /init that switch_roots to systemd
I="$W/initramfs"
mkdir -p "$I"/{bin,proc,sys,dev,newroot,lib/modules/"$KREL"}
cp "$CACHE/$ARCH/busybox/bin/busybox" "$I/bin/busybox"
ln -s busybox "$I/bin/sh"
for f in $(modprobe -d "$R" -S "$KREL" --show-depends -a virtio_pci virtio_blk crc32c_generic ext4 | awk '$1=="insmod" {print $2}'); do
  install -D -m 0644 "$f" "$I${f#"$R"}"
done
cp "$R/lib/modules/$KREL"/modules.{order,builtin,builtin.modinfo} "$I/lib/modules/$KREL/"
depmod -b "$I" "$KREL"
cat > "$I/init" <<'SH'
#!/bin/sh
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in virtio_pci virtio_blk crc32c_generic ext4; do modprobe $m; done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if ! mount -t ext4 -o rw /dev/vda /newroot; then echo "lab-initramfs: cannot mount /dev/vda"; sleep 2; poweroff -f; fi
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
SH
chmod 0755 "$I/init"
find "$I" -exec touch -h -d @0 {} +	# fixed mtimes: the same inputs give the same initrd
(cd "$I" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible) | gzip -9n > "$W/initrd.cpio.gz"

# boot
cd "$REPO"
rel() { realpath --relative-to="$REPO" "$1"; }
TIMEOUT=900
CMDLINE="console=ttyS0,115200 loglevel=7 printk.time=1 panic=0 root=/dev/vda rw"
QEMU=(qemu-system-x86_64 -cpu max,la57=off -nographic -no-reboot -nic none -m 512M -smp 2
  -kernel "$(rel "$R/boot/vmlinuz-$KREL")" -initrd "$(rel "$W/initrd.cpio.gz")"
  -drive "file=$(rel "$W/root.img"),format=raw,if=virtio" -drive "file=$(rel "$W/out.img"),format=raw,if=virtio"
  -append "$CMDLINE")
DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
log "boot: ${QEMU[*]}"
t0=$(date +%s%N)
rc=0
timeout "$TIMEOUT" "${QEMU[@]}" </dev/null >"$W/console.log" 2>"$W/qemu-stderr" || rc=$?
t1=$(date +%s%N)
WALL="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b - a) / 1e9}')"
if [ $rc = 124 ]; then END=timeout; elif grep -aqF 'reboot: Power down' "$W/console.log"; then END=poweroff; else END=exit; fi
log "end=$END wall=${WALL}s"

debugfs -R "rdump /lab $W" "$W/out.img" 2>/dev/null
[ -f "$W/lab/status.tsv" ] || die "the guest wrote no exports (see $W/console.log)"

# into the corpus
DEST="$CORPORA_DIR/journal"
mkdir -p "$DEST"
while IFS=$'\t' read -r f _; do
  cp "$W/lab/$f" "$DEST/$CASE.$f"
done < "$W/exports.tsv"
cp "$W/console.log" "$DEST/$CASE.console.log"

QCMD="$(for a in "${QEMU[@]}"; do if [[ "$a" =~ ^[A-Za-z0-9_./:=,+@%-]+$ ]]; then printf '%s ' "$a"; else printf "'%s' " "${a//\'/\'\\\'\'}"; fi; done)"
export CASE DEST W KREL DATE END WALL TIMEOUT CMDLINE QCMD="${QCMD% }" SCRIPT_SHA="$(sha "$0")"
export PKG="$(cat "$R/.package")" KVER="$(cat "$R/.version")" FLAVOUR="$FL" ARCH
export VMLINUZ_SHA="$(sha "$R/boot/vmlinuz-$KREL")" INITRD_SHA="$(sha "$W/initrd.cpio.gz")"
export LKDTM_SHA="$(sha "$CACHE/$ARCH/lkdtm/lkdtm.ko")" LKDTM_GUEST_SHA="$(sha "$G/lib/modules/$KREL/extra/lkdtm.ko")"
export LABRUN_SHA="$(sha "$W/lab-run")" UNIT_SHA="$(sha "$W/lab.service")" RSYSLOGCONF_SHA="$(sha "$W/lab-traditional.conf")"
export BUSYBOX_SHA="$(sha "$CACHE/$ARCH/busybox/bin/busybox")" PACKAGES_SHA="$(sha "$W/lab/packages.tsv")"
export DEBOOTSTRAP_JSON="$(cat "$ROOTFS/.lab-debootstrap.json")"
node - <<'JS'
const fs = require("fs"), crypto = require("crypto"), e = process.env;
const tsv = (p) => fs.readFileSync(p, "utf8").split("\n").filter(Boolean).map((l) => l.split("\t"));
const info = Object.fromEntries(tsv(`${e.W}/lab/info.tsv`).map(([k, ...v]) => [k, v.join("\t")]));
const pk = Object.fromEntries(tsv(`${e.W}/lab/packages.tsv`));
const status = Object.fromEntries(tsv(`${e.W}/lab/status.tsv`));
const files = tsv(`${e.W}/exports.tsv`).map(([f, cmd]) => {
  const p = `${e.DEST}/${e.CASE}.${f}`, b = fs.readFileSync(p);
  const err = fs.readFileSync(`${e.W}/lab/${f}.stderr`, "utf8").trim();
  return { file: `${e.CASE}.${f}`, command: cmd, exitStatus: Number(status[f]), stderr: err || null,
           bytes: b.length, sha256: crypto.createHash("sha256").update(b).digest("hex") };
});
const con = fs.readFileSync(`${e.DEST}/${e.CASE}.console.log`);
files.push({ file: `${e.CASE}.console.log`, command: "(host) QEMU serial console, byte-exact", exitStatus: null, stderr: null,
             bytes: con.length, sha256: crypto.createHash("sha256").update(con).digest("hex") });
const meta = {
  arch: e.ARCH, case: e.CASE, kernelPackage: e.PKG, kernelVersion: e.KVER, kernelRelease: e.KREL, flavour: e.FLAVOUR,
  qemuCommand: e.QCMD, kernelCommandLine: e.CMDLINE, date: e.DATE, end: e.END, wallSeconds: Number(e.WALL),
  timeoutSeconds: Number(e.TIMEOUT),
  trigger: "lab.service (after multi-user.target): modprobe lkdtm; echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT; " +
           "sh -c 'echo ACCESS_NULL > /sys/kernel/debug/provoke-crash/DIRECT' (child); sleep 5; journalctl --flush; journalctl --sync; sync; sleep 3; exports",
  debootstrap: JSON.parse(e.DEBOOTSTRAP_JSON),
  guest: { ...info, packages: { systemd: pk["systemd"], rsyslog: pk["rsyslog"], "util-linux": pk["util-linux"], udev: pk["udev"],
           kmod: pk["kmod"], libc6: pk["libc6"] }, installedPackages: Object.keys(pk).length, packagesSha256: e.PACKAGES_SHA },
  inputs: { vmlinuz: e.VMLINUZ_SHA, initrd: e.INITRD_SHA, "lkdtm.ko": e.LKDTM_SHA, "lkdtm.ko (stripped, in guest)": e.LKDTM_GUEST_SHA,
            busybox: e.BUSYBOX_SHA, "lab-run": e.LABRUN_SHA, "lab.service": e.UNIT_SHA, "lab-traditional.conf": e.RSYSLOGCONF_SHA,
            "systemd-guest.sh": e.SCRIPT_SHA },
  files,
};
fs.writeFileSync(`${e.DEST}/${e.CASE}.meta.json`, JSON.stringify(meta, null, 2) + "\n");
JS
for f in "$DEST/$CASE".*; do
  s=$(stat -c %s "$f"); [ "$s" -gt 409600 ] && log "WARNING: $f is $s bytes"
done
log "journal/$CASE: $(ls "$DEST/$CASE".* | wc -l) files, $(cat "$DEST/$CASE".* | wc -c) bytes"
