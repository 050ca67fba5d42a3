// SPDX-License-Identifier: GPL-2.0
/*
 * kfence_inject: provokes real KFENCE reports (mm/kfence/report.c) for the kpanic corpus
 * (corpora/generate/kfence-qemu.sh). The kernel must run with KFENCE enabled
 * (CONFIG_KFENCE=y and a non-zero kfence.sample_interval, e.g. kfence.sample_interval=1 on
 * the command line: Debian builds it with CONFIG_KFENCE_SAMPLE_INTERVAL=0, i.e. off).
 *
 * On load it kmalloc()s KFENCE_INJECT_SIZE bytes, again and again (sleeping 1 ms between
 * tries, so that KFENCE's sample timer reopens its allocation gate), until an allocation is a
 * KFENCE object (is_kfence_address()) placed where the bug needs it: KFENCE puts each object
 * at random either at the start of its page ("left") or at its end ("right"), next to a
 * protected guard page. Then the function named after the `bug` parameter does the buggy
 * access itself; KFENCE catches it (a page fault on a protected page, or kfree() finding the
 * object freed or its canary bytes overwritten) and prints its report. After `max_tries`
 * allocations without a suitable object it gives up with a message and fails the load.
 *
 * The functions are named kfi_* rather than kfence_*: like syzbot, kpanic never blames a frame
 * whose name contains "kfence" (KFENCE's own report machinery), and the buggy accesses here
 * stand for any driver's.
 *
 *   bug=uaf-read       kfree() the object, then read its first byte
 *   bug=oob-read       read the byte just past the end of a right-placed object (guard page)
 *   bug=oob-read-left  read the byte just before a left-placed object (guard page)
 *   bug=oob-write      write the byte just past the end of a right-placed object (guard page)
 *   bug=double-free    kfree() the object twice (KFENCE: invalid free)
 *   bug=corrupt        write the byte just past the end of a left-placed object, i.e. into
 *                      the canary bytes filling the rest of its page; reported by kfree()
 *   bug=invalid-read   read the first byte of the KFENCE pool (a guard page that belongs to
 *                      no object: KFENCE "invalid read")
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/delay.h>
#include <linux/string.h>
#include <linux/kfence.h>

#define KFENCE_INJECT_SIZE 64

static char *bug = "uaf-read";
module_param(bug, charp, 0444);
MODULE_PARM_DESC(bug, "uaf-read, oob-read, oob-read-left, oob-write, double-free, corrupt, invalid-read");
static int max_tries = 5000;
module_param(max_tries, int, 0444);
MODULE_PARM_DESC(max_tries, "kmalloc() tries before giving up (1 ms apart)");

enum placement { ANY, LEFT, RIGHT };

static const char *const placement_name[] = { "any", "left", "right" };

/* A KFENCE-backed kmalloc() object with the wanted placement in its page, or NULL. */
static noinline char *kfi_alloc(enum placement want)
{
	int i;

	for (i = 1; i <= max_tries; i++) {
		char *p = kmalloc(KFENCE_INJECT_SIZE, GFP_KERNEL);
		unsigned long a = (unsigned long)p;

		if (!p)
			return NULL;
		if (is_kfence_address(p) &&
		    (want == ANY ||
		     (want == LEFT && PAGE_ALIGNED(a)) ||
		     (want == RIGHT && PAGE_ALIGNED(a + KFENCE_INJECT_SIZE)))) {
			pr_info("kfence_inject: KFENCE object of %d bytes (%s of its page) after %d kmalloc() tries\n",
				KFENCE_INJECT_SIZE, PAGE_ALIGNED(a) ? "left" : "right", i);
			return p;
		}
		kfree(p);
		msleep(1);
	}
	pr_err("kfence_inject: giving up: no KFENCE object (placement: %s) in %d kmalloc() tries; is KFENCE enabled (kfence.sample_interval=%lu)?\n",
	       placement_name[want], max_tries, kfence_sample_interval);
	return NULL;
}

static noinline int kfi_use_after_free_read(void)
{
	char *p = kfi_alloc(ANY);

	if (!p)
		return -ETIMEDOUT;
	kfree(p);
	OPTIMIZER_HIDE_VAR(p);
	pr_info("kfence_inject: read after free: 0x%02x\n", READ_ONCE(p[0]));
	return 0;
}

static noinline int kfi_out_of_bounds_read(void)
{
	char *p = kfi_alloc(RIGHT);

	if (!p)
		return -ETIMEDOUT;
	OPTIMIZER_HIDE_VAR(p);
	pr_info("kfence_inject: read past the end: 0x%02x\n", READ_ONCE(p[KFENCE_INJECT_SIZE]));
	kfree(p);
	return 0;
}

static noinline int kfi_out_of_bounds_read_left(void)
{
	char *p = kfi_alloc(LEFT);

	if (!p)
		return -ETIMEDOUT;
	OPTIMIZER_HIDE_VAR(p);
	pr_info("kfence_inject: read before the start: 0x%02x\n", READ_ONCE(p[-1]));
	kfree(p);
	return 0;
}

static noinline int kfi_out_of_bounds_write(void)
{
	char *p = kfi_alloc(RIGHT);

	if (!p)
		return -ETIMEDOUT;
	OPTIMIZER_HIDE_VAR(p);
	WRITE_ONCE(p[KFENCE_INJECT_SIZE], 0x42);
	pr_info("kfence_inject: wrote past the end\n");
	kfree(p);
	return 0;
}

static noinline int kfi_double_free(void)
{
	char *p = kfi_alloc(ANY);

	if (!p)
		return -ETIMEDOUT;
	kfree(p);
	OPTIMIZER_HIDE_VAR(p);
	kfree(p);
	pr_info("kfence_inject: freed twice\n");
	return 0;
}

static noinline int kfi_corrupt_canary(void)
{
	char *p = kfi_alloc(LEFT);

	if (!p)
		return -ETIMEDOUT;
	OPTIMIZER_HIDE_VAR(p);
	WRITE_ONCE(p[KFENCE_INJECT_SIZE], 0x42);	/* a canary byte: no fault, found by kfree() */
	kfree(p);
	pr_info("kfence_inject: freed the overwritten object\n");
	return 0;
}

static noinline int kfi_invalid_read(void)
{
	char *p = __kfence_pool;

	if (!p) {
		pr_err("kfence_inject: no KFENCE pool; is KFENCE enabled (kfence.sample_interval=%lu)?\n",
		       kfence_sample_interval);
		return -ENODEV;
	}
	OPTIMIZER_HIDE_VAR(p);
	pr_info("kfence_inject: read of the pool's first page: 0x%02x\n", READ_ONCE(p[0]));
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} bugs[] = {
	{ "uaf-read", kfi_use_after_free_read },
	{ "oob-read", kfi_out_of_bounds_read },
	{ "oob-read-left", kfi_out_of_bounds_read_left },
	{ "oob-write", kfi_out_of_bounds_write },
	{ "double-free", kfi_double_free },
	{ "corrupt", kfi_corrupt_canary },
	{ "invalid-read", kfi_invalid_read },
};

static int __init kfi_init(void)
{
	int i, ret;

	pr_info("kfence_inject: bug=%s (kfence.sample_interval=%lu)\n", bug, kfence_sample_interval);
	for (i = 0; i < ARRAY_SIZE(bugs); i++) {
		if (strcmp(bug, bugs[i].name))
			continue;
		ret = bugs[i].fn();
		pr_info("kfence_inject: %s returned %d\n", bugs[i].name, ret);
		return ret;
	}
	pr_err("kfence_inject: unknown bug '%s'\n", bug);
	return -EINVAL;
}

static void __exit kfi_exit(void)
{
}

module_init(kfi_init);
module_exit(kfi_exit);
MODULE_DESCRIPTION("Provoke KFENCE reports (kpanic corpus generator)");
MODULE_LICENSE("GPL");
