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

/** Arch wrapper prefixes of syscall entry points: __x64_sys_read → sys_read. */
const ARCH_PREFIX_RE = /^__(?:x64|ia32|x32|arm64|riscv|s390x?|powerpc)_(?=(?:compat_)?sys_)/;
/** Syscall implementation prefixes, as syzbot strips them: __se_sys_read, __do_sys_read, ksys_read, SyS_read → read. */
const SYSCALL_IMPL_RE = /^(?:compat_)?(?:SYSC_|SyS_|__se_sys_|__do_sys_|____sys_|___sys_|__sys_|ksys_|sys_)(?=[A-Za-z0-9_])/;

/** The name as titles use it: no suffixes, no syscall wrapper or implementation prefix (__se_sys_mremap → mremap). */
export function titleName(fn: string): string {
  const s = baseName(fn).replace(ARCH_PREFIX_RE, "");
  const t = s.replace(SYSCALL_IMPL_RE, "");
  return t.length > 0 ? t : s;
}

/**
 * Stall and lockup titles keep the syscall's "sys_" name (syzbot's stall
 * extractor only drops the arch wrapper and the old SyS_/SYSC_ wrappers):
 * __x64_sys_recvmmsg → sys_recvmmsg, compat_SyS_mount → mount.
 */
export function stallName(fn: string): string {
  return baseName(fn).replace(SYSCALL_PREFIX_RE, "").replace(/^(?:compat_)?(?:SYSC_|SyS_)(?=[A-Za-z0-9_])/, "");
}

const skipCache = new WeakMap<readonly string[], Map<string, boolean>>();

/**
 * Does one skip entry match the name? An entry is a plain substring; a leading
 * `^` anchors it at the start of the name, a trailing `$` at its end (so `^down$`
 * skips the semaphore primitive but not `l2cap_sock_teardown_cb`).
 */
function skipMatches(fn: string, s: string): boolean {
  const start = s.charCodeAt(0) === 94; /* ^ */
  const end = s.length > 1 && s.charCodeAt(s.length - 1) === 36; /* $ */
  if (!start && !end) return fn.includes(s);
  const core = s.slice(start ? 1 : 0, end ? -1 : undefined);
  const name = end ? baseName(fn) : fn;
  if (start && end) return name === core;
  return start ? name.startsWith(core) : name.endsWith(core);
}

/** Does the name match one of the skip entries? (memoized per skip list: names repeat a lot) */
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
      if (skipMatches(fn, s)) {
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
  /ret_fast_syscall/, /el0_svc_handler/,
  /netif_receive_skb/, /do_softirq/, /call_timer_fn/, /_run_timers/, /run_timer_softirq/, /hrtimer_run/,
  /run_ksoftirqd/, /smpboot_thread_fn/, /^kthread$/, /start_secondary/, /cpu_startup_entry/,
  /ret_from_fork/, /vfs_write/, /vfs_read/, /vfs_iter_read/, /vfs_iter_write/, /do_iter_read/,
  /do_iter_write/, /call_read_iter/, /call_write_iter/, /new_sync_read/, /new_sync_write/,
  /vfs_ioctl/, /ksys_ioctl/, /compat_ioctl/, /compat_sys_ioctl/,
  /blkdev_driver_ioctl/, /blkdev_ioctl/, /^call_read_iter/,
  /^call_write_iter/, /do_iter_readv_writev/, /^call_mmap/, /mmap_region/, /do_mmap/,
  /do_dentry_open/, /vfs_open/, /^sock_sendmsg/, /^sock_recvmsg/, /^sock_release/,
  /^__sock_release/, /__sys_setsockopt/, /kernel_setsockopt/, /sock_common_setsockopt/,
  /__sys_listen/, /kernel_listen/, /sk_common_release/, /^sock_mmap/, /__sys_accept/,
  /kernel_accept/, /^sock_do_ioctl/, /^sock_ioctl/, /^compat_sock_ioctl/, /^nfnetlink_rcv_msg/,
  /^rtnetlink_rcv_msg/, /^netlink_dump/, /tasklet_action/, /tasklet_hi_action/,
  /^(?:compat_)?(?:SYSC|SyS|__sys|___sys|__do_sys|__se_sys|__x64_sys)_(?:socketpair|connect|ioctl)/,
  /__do_fault/, /do_page_fault/, /^page_fault$/, /__fput/, /task_work_run/,
  /exit_to_usermode/, /el0_svc/, /invoke_syscall/,
];

/**
 * Stalls and lockups: the representative frame is the one just above the
 * first entry-point anchor (the syscall, work item or timer that looped).
 */
export function stallFrame(frames: readonly Frame[], skip: readonly string[], anchorItself = false): Frame | null {
  const usable = frames.filter((f) => f.reliable);
  let prev: Frame | null = null;
  for (const f of usable) {
    const name = baseName(f.function);
    // A CPU waiting for others to run a cross-call: syzbot groups all of these
    // (smp_call_function_single, _many, _many_cond) under smp_call_function.
    if (name.startsWith("smp_call_function")) return { ...f, function: "smp_call_function" };
    if (STALL_ANCHORS.some((a) => a.test(name))) {
      if (prev) return prev;
      // The anchor is the first usable frame: with `anchorItself` it is then the
      // representative one (syzbot's extractor starts from the top frame).
      return anchorItself && !isSkipped(f.function, skip) ? f : null;
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
const HANG_SKIP = ["sched", "_lock", "_slowlock", "down", "rwsem", "completion", "kthread", "wait", "synchronize", "context_switch", "__switch_to", "cancel_delayed_work", "rcu_barrier"];

/** Hung tasks: group by the well-known waits, else the first non-waiting frame. */
export function hangFrame(frames: readonly Frame[]): { frame: Frame; name: string } | null {
  const usable = frames.filter((f) => f.reliable);
  for (const f of usable) {
    for (const [anchor, replacement] of HANG_ANCHORS) {
      if (f.function.includes(anchor)) return { frame: f, name: replacement ?? baseName(f.function) };
    }
  }
  for (const f of usable) {
    if (!isSkipped(f.function, HANG_SKIP)) return { frame: f, name: titleName(f.function) };
  }
  return null;
}
