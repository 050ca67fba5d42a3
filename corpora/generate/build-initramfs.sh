#!/bin/bash
# build-initramfs.sh ARCH FLAVOUR [kdump] : busybox-static initramfs with /init (initramfs/init),
# lkdtm.ko (every flavour but cloud-amd64), a few disk modules, on x86_64/arm64 the static
# freestanding `crashme` (initramfs/crashme.c, user-space faults), and on x86_64 the static `hog`
# plus kexec, makedumpfile and vmcore-dmesg with their shared libraries.
# "kdump" additionally embeds the capture kernel and the plain initramfs under /kdump.
source "$(dirname "$0")/common.sh"
ARCH="${1:?arch}" FL="${2:?flavour}" KIND="${3:-plain}"
arch_vars "$ARCH"
R="$CACHE/$ARCH/$FL/root"
[ -f "$R/.done" ] || bash "$GEN_DIR/fetch.sh" "$ARCH"
KREL="$(cat "$R/.krel")"
if [ "$KIND" = kdump ]; then OUT="$CACHE/$ARCH/initrd-$FL-kdump.cpio.gz"; else OUT="$CACHE/$ARCH/initrd-$FL.cpio.gz"; fi
# rebuild when /init, hog.c or crashme.c changed
STAMPF="$OUT.inputs"
inputs="$(cat "$GEN_DIR/initramfs/init" "$GEN_DIR/initramfs/hog.c" "$GEN_DIR/initramfs/crashme.c" "$0" | sha256sum | cut -d' ' -f1)"
[ -f "$OUT" ] && [ "$(cat "$STAMPF" 2>/dev/null)" = "$inputs" ] && exit 0

WITH_LKDTM=1; [ "$FL" = cloud-amd64 ] && WITH_LKDTM=0
if [ $WITH_LKDTM = 1 ]; then bash "$GEN_DIR/build-lkdtm.sh" "$ARCH"; fi
S="$WORK/initramfs-$ARCH-$FL-$KIND"
rm -rf "$S"; mkdir -p "$S"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,mnt,lib/modules/"$KREL"}
# bookworm's busybox-static has bin/busybox, trixie's (riscv64) usr/bin/busybox
cp "$(ls "$CACHE/$ARCH"/busybox/{bin,usr/bin}/busybox 2>/dev/null | head -1)" "$S/bin/busybox"
ln -s busybox "$S/bin/sh"
install -m 0755 "$GEN_DIR/initramfs/init" "$S/init"
if [ -f "$CACHE/$ARCH/lkdtm/lkdtm.ko" ] && [ $WITH_LKDTM = 1 ]; then
  # stripped of debug info like Debian's in-tree modules
  "${CROSS}strip" --strip-debug \
    -o "$S/lib/modules/lkdtm.ko" "$CACHE/$ARCH/lkdtm/lkdtm.ko"
fi

# crashme: no libc (-nostdlib, own _start and syscalls), so the arm64 cross gcc needs no arm64 libc
# (x86_64 and aarch64 only: its syscalls are inline asm)
if [ "$ARCH" = x86_64 ] || [ "$ARCH" = arm64 ]; then
  "$( [ "$ARCH" = arm64 ] && echo aarch64-linux-gnu-gcc-12 || echo gcc)" -static -nostdlib -ffreestanding \
    -fno-pie -no-pie -fno-stack-protector -fno-asynchronous-unwind-tables -fno-builtin -O2 -Wall -s \
    -o "$S/bin/crashme" "$GEN_DIR/initramfs/crashme.c"
fi

copy_with_libs() {	# host binary + ldd libraries (x86_64 guest only)
  local b="$1" l
  install -D -m 0755 "$b" "$S$b"
  for l in $(ldd "$b" | grep -o '/[^ ]*'); do
    [ -e "$S$l" ] || install -D -m 0755 "$(readlink -f "$l")" "$S$l"
  done
}

if [ "$ARCH" = x86_64 ]; then
  gcc -static -O2 -s -o "$S/bin/hog" "$GEN_DIR/initramfs/hog.c"
  copy_with_libs /sbin/kexec
  copy_with_libs /usr/bin/makedumpfile
  copy_with_libs /sbin/vmcore-dmesg
  mods=(virtio_pci virtio_blk crc32c_generic ext4)
else
  mods=()
fi
if [ ${#mods[@]} -gt 0 ]; then
  for f in $(modprobe -d "$R" -S "$KREL" --show-depends -a "${mods[@]}" | awk '$1=="insmod" {print $2}'); do
    rel="${f#"$R"}"
    install -D -m 0644 "$f" "$S$rel"
  done
fi
cp "$R/lib/modules/$KREL"/modules.{order,builtin,builtin.modinfo} "$S/lib/modules/$KREL/" 2>/dev/null || true
depmod -b "$S" "$KREL"

if [ "$KIND" = kdump ]; then
  bash "$0" "$ARCH" "$FL" plain
  mkdir -p "$S/kdump"
  cp "$R/boot/vmlinuz-$KREL" "$S/kdump/vmlinuz"
  cp "$CACHE/$ARCH/initrd-$FL.cpio.gz" "$S/kdump/initrd.img"
fi

(cd "$S" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible) | gzip -9n > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$inputs" > "$STAMPF"
log "initramfs $OUT ($(stat -c %s "$OUT") bytes)"
