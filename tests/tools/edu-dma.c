/* edu-dma: test-only (never part of vfiobuf).  Proves data moves P2P: QEMU's
 * edu device, bound to vfio-pci and attached through its VFIO cdev to an
 * iommufd IOAS, DMAs from a VFIO dma-buf (exported by vfiobuf, inherited as
 * an fd) mapped into that IOAS with IOMMU_IOAS_MAP_FILE.
 *
 *   edu-dma EDU_BDF DMABUF_FD EXPORTER_RESOURCE [RESET_CMD]
 *
 * EXPORTER_RESOURCE is the exporter BAR's sysfs resourceN file: a pattern is
 * written there, edu copies the buffer's first 2 KiB into its own memory
 * (the DMA under test) and back into RAM mapped at another IOVA, and the
 * RAM is compared with the pattern.  With RESET_CMD (run through sh, e.g.
 * `vfiobuf reset --server S 04:00.0`), the copy is repeated after it: the
 * old mapping is dead (the revoke tore it down; reads give zeros), and after
 * an unmap + map of the same fd it works again.  One line per step; exit 0
 * when every step went as the kernel documents. */
#include <errno.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../../src/lib/vfio_uapi.h"

#ifndef IOMMU_IOAS_MAP
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, 0x85)
#endif

#define XFER 2048              /* QEMU 7.2's edu aborts on a DMA that fills its 4 KiB */
#define EDU_BUF 0x40000        /* edu's DMA buffer in its own address space */
#define IOVA_BUF 0x100000ULL   /* the dma-buf (below edu's 28-bit DMA mask) */
#define IOVA_RAM 0x200000ULL   /* our RAM */

static int iommufd, devfd;
static uint32_t ioas;
static volatile uint8_t *edu;

static void die(const char *what)
{
	printf("edu-dma: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void edu_w64(uint32_t off, uint64_t v) { *(volatile uint64_t *)(edu + off) = v; }
static uint64_t edu_r64(uint32_t off) { return *(volatile uint64_t *)(edu + off); }

/* One edu DMA: RAM->edu (to_ram false) or edu->RAM; false on timeout. */
static int edu_dma(uint64_t src, uint64_t dst, bool to_ram)
{
	struct timespec ms = { 0, 10 * 1000 * 1000 };

	edu_w64(0x80, src);
	edu_w64(0x88, dst);
	edu_w64(0x90, XFER);
	edu_w64(0x98, 1 | (to_ram ? 2 : 0));
	for (int i = 0; i < 300; i++) {
		if (!(edu_r64(0x98) & 1))
			return 0;
		nanosleep(&ms, NULL);
	}
	return -1;
}

static int map_file(int fd)
{
	struct iommu_ioas_map_file m = { .size = sizeof(m), .ioas_id = ioas, .fd = fd,
					 .flags = VB_IOAS_MAP_FIXED_IOVA | VB_IOAS_MAP_READABLE |
						  VB_IOAS_MAP_WRITEABLE,
					 .start = 0, .length = 4096, .iova = IOVA_BUF };

	return ioctl(iommufd, IOMMU_IOAS_MAP_FILE, &m);
}

static void unmap(uint64_t iova)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = 4096 };

	ioctl(iommufd, IOMMU_IOAS_UNMAP, &u);
}

static void open_edu(const char *bdf)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = 0 };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	char path[256], name[64];
	uint16_t cmd;
	FILE *f;

	snprintf(path, sizeof(path), "ls /sys/bus/pci/devices/%s/vfio-dev/", bdf);
	f = popen(path, "r");
	if (!f || !fgets(name, sizeof(name), f))
		die("edu has no vfio-dev entry (not on vfio-pci?)");
	pclose(f);
	name[strcspn(name, "\n")] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	devfd = open(path, O_RDWR | O_CLOEXEC);
	if (iommufd < 0 || devfd < 0)
		die("open /dev/iommu or the edu cdev");
	bind.iommufd = iommufd;
	if (ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0 ||
	    ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc) < 0)
		die("bind edu to iommufd / allocate the IOAS");
	ioas = alloc.out_ioas_id;
	at.pt_id = ioas;
	if (ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) < 0 ||
	    ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0 ||
	    ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &cfg) < 0)
		die("attach edu / region info");
	edu = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, devfd, (off_t)ri.offset);
	if (edu == MAP_FAILED)
		die("mmap edu BAR0");
	/* memory decode and bus mastering */
	if (pread(devfd, &cmd, 2, (off_t)cfg.offset + 4) != 2)
		die("read edu command register");
	cmd |= 0x6;
	if (pwrite(devfd, &cmd, 2, (off_t)cfg.offset + 4) != 2)
		die("enable edu bus mastering");
	printf("edu: ident 0x%08x, attached to IOAS %u through %s\n",
	       (unsigned)*(volatile uint32_t *)edu, ioas, path);
}

/* Copy buffer -> edu -> RAM; 1 when RAM holds the pattern, 0 when not. */
static int copy_through_edu(volatile uint8_t *ram, const uint8_t *pattern, const char *step)
{
	int zeros = 1;

	memset((void *)ram, 0xee, XFER);
	if (edu_dma(IOVA_BUF, EDU_BUF, false) < 0 || edu_dma(EDU_BUF, IOVA_RAM, true) < 0) {
		printf("%s: edu DMA timed out\n", step);
		return 0;
	}
	for (int i = 0; i < XFER; i++)
		zeros &= ram[i] == 0;
	if (!memcmp((const void *)ram, pattern, XFER)) {
		printf("%s: data matched (%d bytes, buffer -> edu -> RAM)\n", step, XFER);
		return 1;
	}
	printf("%s: data did not match%s\n", step, zeros ? " (zeros)" : "");
	return 0;
}

int main(int argc, char **argv)
{
	struct iommu_ioas_map rm = { .size = sizeof(rm), .flags = VB_IOAS_MAP_FIXED_IOVA |
					 VB_IOAS_MAP_READABLE | VB_IOAS_MAP_WRITEABLE,
				     .length = 4096, .iova = IOVA_RAM };
	uint8_t pattern[XFER];
	volatile uint8_t *ram, *bar;
	int fd, resfd, ok = 1;

	if (argc < 4)
		return fprintf(stderr, "usage: edu-dma EDU_BDF DMABUF_FD EXPORTER_RESOURCE [RESET_CMD]\n"), 2;
	fd = atoi(argv[2]);
	open_edu(argv[1]);
	ram = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	rm.ioas_id = ioas;
	rm.user_va = (uintptr_t)ram;
	if (ram == MAP_FAILED || ioctl(iommufd, IOMMU_IOAS_MAP, &rm) < 0)
		die("map RAM into the IOAS");
	if (map_file(fd) < 0)
		die("IOMMU_IOAS_MAP_FILE of the dma-buf");
	printf("dma-buf fd %d mapped at IOVA 0x%llx, RAM at 0x%llx\n", fd, IOVA_BUF, IOVA_RAM);
	resfd = open(argv[3], O_RDWR | O_SYNC);
	bar = resfd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, resfd, 0);
	if (bar == MAP_FAILED)
		die("mmap the exporter's BAR through sysfs");
	for (int i = 0; i < XFER; i++)
		pattern[i] = (uint8_t)(i * 7 + 3);
	for (int i = 0; i < XFER; i++)
		bar[i] = pattern[i];
	ok &= copy_through_edu(ram, pattern, "before reset");
	if (argc > 4) {
		int rc = system(argv[4]);

		printf("reset of the exporter (%s): exit %d\n", argv[4], WEXITSTATUS(rc));
		for (int i = 0; i < XFER; i++)
			bar[i] = pattern[i];
		ok &= !copy_through_edu(ram, pattern, "after reset, old mapping");
		unmap(IOVA_BUF);
		if (map_file(fd) < 0) {
			printf("remap after reset refused: %s\n", strerror(errno));
			ok = 0;
		} else
			ok &= copy_through_edu(ram, pattern, "after reset, mapped again");
	}
	printf("%s\n", ok ? "edu-dma: as documented" : "edu-dma: NOT as documented");
	return ok ? 0 : 1;
}
