/**
 * Choosing the function to blame: skip generic frames (allocators, lock
 * primitives, report helpers...), normalise compiler suffixes, and for
 * stalls and hangs look past the place where the CPU happened to be.
 */
import type { Frame } from "../types.js";

/** One of `.isra.0`, `.constprop.3`, `.part.1`, `.cold`, `.llvm.1234` at the end (stripped repeatedly). */
const SUFFIX_RE = /\.(?:isra|constprop|part|cold|llvm|lto_priv|clone|sink)(?:\.[0-9]{1,24})?$/;
const SYSCALL_PREFIX_RE = /^(?:__(?:x64|ia32|x32|arm64|riscv|s390x?|powerpc|se|do)_)(?=(?:compat_)?sys_)/;

/** The function name without compiler-generated suffixes. */
export function baseName(fn: string): string {
  let s = fn;
  for (let i = 0; i < 8; i++) {
    const t = s.replace(SUFFIX_RE, "");
    if (t === s) break;
    s = t;
  }
  return s;
}

/** The name as titles use it: no suffixes, no arch-specific syscall wrapper prefix. */
export function titleName(fn: string): string {
  return baseName(fn).replace(SYSCALL_PREFIX_RE, "");
}

const skipCache = new WeakMap<readonly string[], Map<string, boolean>>();

/** Does the name contain one of the skip substrings? (memoized per skip list: names repeat a lot) */
export function isSkipped(fn: string, skip: readonly string[]): boolean {
  let m = skipCache.get(skip);
  if (!m) {
    m = new Map();
    skipCache.set(skip, m);
  }
  let v = m.get(fn);
  if (v === undefined) {
    v = false;
    for (const s of skip) {
      if (fn.includes(s)) {
        v = true;
        break;
      }
    }
    if (m.size > 20000) m.clear();
    m.set(fn, v);
  }
  return v;
}

/** First frame that is reliable and not skipped. */
export function firstUnskipped(frames: readonly Frame[], skip: readonly string[]): Frame | null {
  for (const f of frames) {
    if (!f.reliable) continue;
    if (isSkipped(f.function, skip)) continue;
    return f;
  }
  return null;
}

/** Frames where stall and lockup reports anchor (entry points and dispatchers). */
const STALL_ANCHORS: RegExp[] = [
  /process_one_work/, /do_syscall_/, /do_fast_syscall_/, /sysenter_dispatch/, /tracesys_phase2/,
  /netif_receive_skb/, /do_softirq/, /call_timer_fn/, /_run_timers/, /run_timer_softirq/,
  /run_ksoftirqd/, /smpboot_thread_fn/, /kthread/, /start_secondary/, /cpu_startup_entry/,
  /ret_from_fork/, /vfs_write/, /vfs_read/, /vfs_iter_read/, /vfs_iter_write/, /do_iter_read/,
  /do_iter_write/, /vfs_ioctl/, /blkdev_driver_ioctl/, /blkdev_ioctl/, /^call_read_iter/,
  /^call_write_iter/, /do_iter_readv_writev/, /^call_mmap/, /mmap_region/, /do_mmap/,
  /do_dentry_open/, /vfs_open/, /^sock_sendmsg/, /^sock_recvmsg/, /^sock_release/,
  /^__sock_release/, /__sys_setsockopt/, /kernel_setsockopt/, /sock_common_setsockopt/,
  /__sys_listen/, /kernel_listen/, /sk_common_release/, /^sock_mmap/, /__sys_accept/,
  /kernel_accept/, /^sock_do_ioctl/, /^sock_ioctl/, /^compat_sock_ioctl/, /^nfnetlink_rcv_msg/,
  /^(?:compat_)?(?:SYSC|SyS|__sys|___sys|__do_sys|__se_sys|__x64_sys)_(?:socketpair|connect|ioctl)/,
  /__do_fault/, /handle_mm_fault/, /do_page_fault/, /^page_fault$/, /__fput/, /task_work_run/,
  /exit_to_usermode/, /el0_svc/, /invoke_syscall/,
];

/**
 * Stalls and lockups: the representative frame is the one just above the
 * first entry-point anchor (the syscall, work item or timer that looped).
 */
export function stallFrame(frames: readonly Frame[], skip: readonly string[]): Frame | null {
  const usable = frames.filter((f) => f.reliable);
  let prev: Frame | null = null;
  for (const f of usable) {
    const name = baseName(f.function);
    if (STALL_ANCHORS.some((a) => a.test(name))) {
      if (prev) return prev;
      return null;
    }
    if (!isSkipped(f.function, skip)) prev = f;
  }
  return null;
}

const HANG_ANCHORS: [string, string | null][] = [
  ["rtnl_lock", null],
  ["synchronize_rcu", "synchronize_rcu"],
  ["synchronize_srcu", "synchronize_rcu"],
  ["synchronize_net", "synchronize_rcu"],
  ["synchronize_sched", "synchronize_rcu"],
];
const HANG_SKIP = ["sched", "_lock", "_slowlock", "down", "completion", "kthread", "wait", "synchronize", "context_switch", "__switch_to", "cancel_delayed_work"];

/** Hung tasks: group by the well-known waits, else the first non-waiting frame. */
export function hangFrame(frames: readonly Frame[]): { frame: Frame; name: string } | null {
  const usable = frames.filter((f) => f.reliable);
  for (const f of usable) {
    for (const [anchor, replacement] of HANG_ANCHORS) {
      if (f.function.startsWith(anchor)) return { frame: f, name: replacement ?? baseName(f.function) };
    }
  }
  for (const f of usable) {
    if (!isSkipped(f.function, HANG_SKIP)) return { frame: f, name: titleName(f.function) };
  }
  return null;
}
