/*
 * crashme MODE: provoke one user-space fault, for the kpanic corpus (lab.crash=user:MODE).
 *
 * Freestanding and static (-nostdlib: no libc, so the arm64 cross compiler needs no
 * libc6-dev-arm64-cross), one source for x86_64 and arm64. Every fault address is read
 * from a volatile global so gcc can neither see a NULL dereference (it would turn it
 * into a trap instruction) nor drop the access.
 *
 *   segv-null-read    load from address 0                       SIGSEGV
 *   segv-null-write   store to address 0                        SIGSEGV
 *   segv-exec         call through a NULL function pointer      SIGSEGV
 *   gpf               load from 0x8000000000000000 (x86: non-canonical -> #GP)  SIGSEGV
 *   div0              integer division by zero (x86: #DE -> SIGFPE; arm64 does not trap: 0)
 *   int3 | brk        breakpoint instruction (x86 int3, arm64 brk #0)            SIGTRAP
 *   ud2 | undef       undefined instruction (x86 ud2, arm64 udf #0)              SIGILL
 *   abort             kill(getpid(), SIGABRT): a signal, not a fault            SIGABRT
 */
typedef unsigned long ulong;

#if defined(__x86_64__)
enum { SYS_write = 1, SYS_getpid = 39, SYS_kill = 62, SYS_exit_group = 231 };
static long sys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}
__asm__(".globl _start\n_start:\n\txor %ebp, %ebp\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall cstart\n\thlt\n");
#define BREAKPOINT() __asm__ volatile("int3")
#define UNDEFINED() __asm__ volatile("ud2")
#elif defined(__aarch64__)
enum { SYS_write = 64, SYS_getpid = 172, SYS_kill = 129, SYS_exit_group = 94 };
static long sys3(long n, long a, long b, long c)
{
	register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b, x2 __asm__("x2") = c;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
}
__asm__(".globl _start\n_start:\n\tmov x29, #0\n\tmov x30, #0\n\tmov x0, sp\n\tbl cstart\n\tbrk #1\n");
#define BREAKPOINT() __asm__ volatile("brk #0")
#define UNDEFINED() __asm__ volatile("udf #0")
#else
#error "x86_64 or aarch64 only"
#endif

static volatile ulong null_addr = 0;
static volatile ulong noncanonical_addr = 0x8000000000000000UL;
static void (*volatile null_fn)(void) = 0;
static volatile long dividend = 1, divisor = 0;

static ulong len(const char *s) { ulong n = 0; while (s[n]) n++; return n; }
static void say(const char *s) { sys3(SYS_write, 2, (long)s, (long)len(s)); }
static int eq(const char *a, const char *b) { while (*a && *a == *b) a++, b++; return *a == *b; }
static __attribute__((noreturn)) void quit(int code) { for (;;) sys3(SYS_exit_group, code, 0, 0); }

__attribute__((used, noreturn)) void cstart(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	const char *m = argc > 1 ? argv[1] : "";

	if (eq(m, "segv-null-read")) {
		(void)*(volatile int *)null_addr;
	} else if (eq(m, "segv-null-write")) {
		*(volatile int *)null_addr = 1;
	} else if (eq(m, "segv-exec")) {
		null_fn();
	} else if (eq(m, "gpf")) {
		(void)*(volatile int *)noncanonical_addr;
	} else if (eq(m, "div0")) {
		long q = dividend / divisor;
		say(q == 0 ? "crashme: div0: 1/0 = 0, this CPU does not trap on integer division by zero\n"
			   : "crashme: div0: 1/0 != 0 and no trap\n");
		quit(0);
	} else if (eq(m, "int3") || eq(m, "brk")) {
		BREAKPOINT();
	} else if (eq(m, "ud2") || eq(m, "undef")) {
		UNDEFINED();
	} else if (eq(m, "abort")) {
		sys3(SYS_kill, sys3(SYS_getpid, 0, 0, 0), 6 /* SIGABRT */, 0);
	} else {
		say("usage: crashme segv-null-read|segv-null-write|segv-exec|gpf|div0|int3|brk|ud2|undef|abort\n");
		quit(2);
	}
	say("crashme: still alive after ");
	say(m);
	say("\n");
	quit(1);
}
