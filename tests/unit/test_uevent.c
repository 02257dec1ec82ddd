/* Unit tests for the kernel uevent payload parser (uevent.c). */
#include <string.h>

#include "tap.h"
#include "uevent.h"

#define MSG(s) s, sizeof(s) - 1

int main(void)
{
	struct vb_uevent ev;

	is_int(vb_uevent_parse(MSG("unbind@/devices/pci0000:00/0000:00:02.0/0000:04:00.0\0"
				   "ACTION=unbind\0DEVPATH=/devices/pci0000:00/0000:00:02.0/0000:04:00.0\0"
				   "SUBSYSTEM=pci\0PCI_SLOT_NAME=0000:04:00.0\0SEQNUM=1234\0"), &ev),
	       0, "kernel unbind event");
	is_str(ev.action, "unbind", "action");
	is_str(ev.subsystem, "pci", "subsystem");
	is_str(ev.slot, "0000:04:00.0", "slot");
	is_str(ev.driver, "", "no driver after unbind");
	ok(ev.seqnum == 1234, "seqnum");
	is_int(vb_uevent_parse(MSG("bind@/devices/x\0ACTION=bind\0DEVPATH=/devices/x\0SUBSYSTEM=pci\0"
				   "DRIVER=vfio-pci\0PCI_SLOT_NAME=0000:04:00.0"), &ev),
	       0, "last pair without a NUL");
	is_str(ev.driver, "vfio-pci", "driver");
	is_int(vb_uevent_parse(MSG("libudev\0\xfe\xed\xca\xfe"), &ev), -1, "udev's format refused");
	is_int(vb_uevent_parse(MSG("no header here\0ACTION=add\0"), &ev), -1, "no ACTION@DEVPATH");
	is_int(vb_uevent_parse(MSG("add@/x"), &ev), -1, "header without NUL");
	is_int(vb_uevent_parse(MSG("add@/x\0SUBSYSTEM=pci\0"), &ev), -1, "no ACTION pair");
	{
		char longv[400] = "add@/x";
		size_t n = 7;

		n += (size_t)snprintf(longv + n, sizeof(longv) - n, "ACTION=add") + 1;
		n += (size_t)snprintf(longv + n, sizeof(longv) - n, "DEVPATH=/x") + 1;
		memcpy(longv + n, "DRIVER=", 7);
		memset(longv + n + 7, 'a', 200);
		n += 207;
		is_int(vb_uevent_parse(longv, n, &ev), 0, "long value parses");
		is_int((int)strlen(ev.driver), 63, "and is cut to the field");
	}
	return tap_done();
}
