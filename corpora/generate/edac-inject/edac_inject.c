// SPDX-License-Identifier: GPL-2.0
/*
 * edac_inject: a fake memory controller registered with the real EDAC core, so that
 * the kernel's own EDAC code prints its error reports in a QEMU guest (QEMU emulates
 * no memory controller any EDAC driver binds to). kpanic corpus generator
 * (corpora/generate/edac-qemu.sh); no hardware is involved and nothing is read from it.
 *
 * On load it registers a platform device "edac_inject" and, on it,
 *  - memory controller MC0 (edac_mc_alloc + edac_mc_add_mc): 2 channels x 2 slots, 4 DIMMs
 *    of 2 GiB labelled like sb_edac labels its DIMMs (CPU_SrcID#0_Ha#0_Chan#C_DIMM#S),
 *  - with edac_device=1, an edac_device "edac_inject" (1 instance "cache", 2 blocks), which
 *    panics on an uncorrected error with device_panic_on_ue=1 (its panic_on_ue, which
 *    drivers such as qcom_edac set and sysfs exposes),
 * then reports the errors the `inject` parameter names through edac_mc_handle_error()
 * (edac_device_handle_{ce,ue}_count() for the device); the lines are printed by
 * drivers/edac/edac_mc.c and edac_device.c. Uncorrected errors panic when the kernel runs
 * with edac_core.edac_mc_panic_on_ue=1 (edac_core is built in on Debian).
 *
 *   inject=ce        one corrected read error on channel 0 slot 0, with page, offset, syndrome
 *   inject=ce-count  five corrected errors reported at once (error_count 5), same DIMM
 *   inject=ce-any    a corrected error the controller cannot place (all layers -1), no detail
 *   inject=ue        one uncorrected read error on channel 1 slot 0
 *   inject=ue-2dimm  an uncorrected error placed on channel 1 only (slot unknown: two labels)
 *   inject=dev-ce, dev-ue   edac_device corrected / uncorrected error (needs edac_device=1)
 * Several are given comma-separated and reported in that order.
 */
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/string.h>
#include <linux/edac.h>
#include "edac_mc.h"
#include "edac_device.h"

static char *inject = "ce";
module_param(inject, charp, 0444);
MODULE_PARM_DESC(inject, "comma-separated: ce, ce-count, ce-any, ue, ue-2dimm, dev-ce, dev-ue");
static bool edac_device;
module_param(edac_device, bool, 0444);
MODULE_PARM_DESC(edac_device, "also register an edac_device");
static bool device_panic_on_ue;
module_param(device_panic_on_ue, bool, 0444);
MODULE_PARM_DESC(device_panic_on_ue, "the edac_device panics on an uncorrected error (as qcom_edac sets it)");

#define MOD "edac_inject"
#define DETAIL_CE "area:DRAM err_code:0001:0090 socket:0 ha:0 channel_mask:1 rank:0"
#define DETAIL_UE "area:DRAM err_code:0000:0090 socket:0 ha:0 channel_mask:2 rank:0"

static struct platform_device *pdev;
static struct mem_ctl_info *mci;
static struct edac_device_ctl_info *edev;

static int register_mc(void)
{
	struct edac_mc_layer layers[2] = {
		{ .type = EDAC_MC_LAYER_CHANNEL, .size = 2, .is_virt_csrow = false },
		{ .type = EDAC_MC_LAYER_SLOT, .size = 2, .is_virt_csrow = true },
	};
	struct dimm_info *dimm;

	mci = edac_mc_alloc(0, ARRAY_SIZE(layers), layers, 0);
	if (!mci)
		return -ENOMEM;
	mci->pdev = &pdev->dev;
	mci->mtype_cap = MEM_FLAG_DDR4;
	mci->edac_ctl_cap = EDAC_FLAG_NONE | EDAC_FLAG_SECDED;
	mci->edac_cap = EDAC_FLAG_SECDED;
	mci->scrub_mode = SCRUB_NONE;	/* no software scrub of the (real) page the report names */
	mci->mod_name = MOD;
	mci->ctl_name = MOD;
	mci->dev_name = dev_name(&pdev->dev);
	mci->edac_check = NULL;		/* errors are "interrupt" driven: reported below */

	mci_for_each_dimm(mci, dimm) {
		dimm->nr_pages = MiB_TO_PAGES(2048);
		dimm->grain = 32;
		dimm->dtype = DEV_X8;
		dimm->mtype = MEM_DDR4;
		dimm->edac_mode = EDAC_SECDED;
		snprintf(dimm->label, sizeof(dimm->label), "CPU_SrcID#0_Ha#0_Chan#%u_DIMM#%u",
			 dimm->location[0], dimm->location[1]);
	}
	if (edac_mc_add_mc(mci)) {
		edac_mc_free(mci);
		mci = NULL;
		return -ENODEV;
	}
	return 0;
}

static int register_device(void)
{
	edev = edac_device_alloc_ctl_info(0, "cache", 1, "block", 2, 0, NULL, 0,
					  edac_device_alloc_index());
	if (!edev)
		return -ENOMEM;
	edev->dev = &pdev->dev;
	edev->mod_name = MOD;
	edev->ctl_name = MOD;
	edev->dev_name = dev_name(&pdev->dev);
	edev->edac_check = NULL;
	edev->panic_on_ue = device_panic_on_ue;
	if (edac_device_add_device(edev)) {
		edac_device_free_ctl_info(edev);
		edev = NULL;
		return -ENODEV;
	}
	return 0;
}

static void report(const char *what)
{
	pr_info(MOD ": reporting '%s' through the EDAC core\n", what);
	if (!strcmp(what, "ce"))
		edac_mc_handle_error(HW_EVENT_ERR_CORRECTED, mci, 1, 0x12345, 0x440, 0x5a,
				     0, 0, -1, "memory read error", DETAIL_CE);
	else if (!strcmp(what, "ce-count"))
		edac_mc_handle_error(HW_EVENT_ERR_CORRECTED, mci, 5, 0x12345, 0x440, 0x5a,
				     0, 0, -1, "memory scrubbing error", DETAIL_CE);
	else if (!strcmp(what, "ce-any"))
		edac_mc_handle_error(HW_EVENT_ERR_CORRECTED, mci, 1, 0, 0, 0,
				     -1, -1, -1, "", "");
	else if (!strcmp(what, "ue"))
		edac_mc_handle_error(HW_EVENT_ERR_UNCORRECTED, mci, 1, 0x23456, 0x80, 0,
				     1, 0, -1, "memory read error", DETAIL_UE);
	else if (!strcmp(what, "ue-2dimm"))
		edac_mc_handle_error(HW_EVENT_ERR_UNCORRECTED, mci, 1, 0x23456, 0x80, 0,
				     1, -1, -1, "memory read error", DETAIL_UE);
	else if (!strcmp(what, "dev-ce") && edev)
		edac_device_handle_ce_count(edev, 1, 0, 1, "injected corrected error");
	else if (!strcmp(what, "dev-ue") && edev)
		edac_device_handle_ue_count(edev, 1, 0, 1, "injected uncorrected error");
	else
		pr_err(MOD ": unknown or unavailable inject '%s'\n", what);
}

static int __init edac_inject_init(void)
{
	char *list, *p, *tok;
	int ret;

	pdev = platform_device_register_simple(MOD, -1, NULL, 0);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	ret = register_mc();
	if (!ret && edac_device)
		ret = register_device();
	if (ret) {
		if (mci) {
			edac_mc_del_mc(&pdev->dev);
			edac_mc_free(mci);
		}
		platform_device_unregister(pdev);
		return ret;
	}

	list = kstrdup(inject, GFP_KERNEL);
	if (!list)
		return 0;
	p = list;
	while ((tok = strsep(&p, ",")) != NULL)
		if (*tok)
			report(tok);
	kfree(list);
	return 0;
}

static void __exit edac_inject_exit(void)
{
	if (edev) {
		edac_device_del_device(&pdev->dev);
		edac_device_free_ctl_info(edev);
	}
	edac_mc_del_mc(&pdev->dev);
	edac_mc_free(mci);
	platform_device_unregister(pdev);
}

module_init(edac_inject_init);
module_exit(edac_inject_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kpanic corpus: fake memory controller reporting errors through the EDAC core");
