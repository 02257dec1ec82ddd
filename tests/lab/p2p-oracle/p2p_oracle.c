// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only kernel module for the vfiobuf QEMU lab: asks the kernel itself
 * for the P2P distance between PCI functions, so that vfiobuf's userspace
 * computation can be compared with it.  Never shipped.
 *
 *   insmod p2p_oracle.ko devs=0000:03:00.0,0000:04:00.0,...
 * prints one line per ordered pair to the kernel log:
 *   p2p_oracle: PROVIDER CLIENT DISTANCE
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>

static char *devs;
module_param(devs, charp, 0444);
MODULE_PARM_DESC(devs, "comma-separated PCI addresses");

#define MAX_DEVS 32

static int __init p2p_oracle_init(void)
{
	struct pci_dev *pdev[MAX_DEVS];
	char *list, *tok, *cur;
	int n = 0, i, j;

	if (!devs)
		return -EINVAL;
	list = kstrdup(devs, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	cur = list;
	while ((tok = strsep(&cur, ",")) && n < MAX_DEVS) {
		unsigned int dom, bus, dev, fn;

		if (sscanf(tok, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
			continue;
		pdev[n] = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(dev, fn));
		if (pdev[n])
			n++;
	}
	kfree(list);
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			struct device *client = &pdev[j]->dev;

			pr_info("p2p_oracle: %s %s %d\n", pci_name(pdev[i]), pci_name(pdev[j]),
				pci_p2pdma_distance_many(pdev[i], &client, 1, false));
		}
	for (i = 0; i < n; i++)
		pci_dev_put(pdev[i]);
	return -EAGAIN; /* report and unload: nothing stays in the kernel */
}

module_init(p2p_oracle_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfiobuf lab: pci_p2pdma_distance_many() oracle (test only)");
