/* export: the export sequence (see export.h). */
#include "export.h"

#include <unistd.h>

int vb_export_ranges(const char *bdf, int bar, const struct vb_bar_info *bi,
		     const struct vb_range **r, size_t *nr, struct vb_range *whole, uint64_t *total,
		     struct vb_err *e)
{
	if (*nr == 0) { /* the whole BAR; an absent or I/O BAR is refused below */
		*whole = vb_range_whole(bi);
		*r = whole;
		*nr = 1;
	}
	return vb_ranges_validate(bdf, bar, bi, *r, *nr, (uint64_t)getpagesize(), total, e);
}

int vb_export_named(struct vb_vfio_dev *d, const char *bdf, int bar, const struct vb_range *r,
		    size_t nr, char *name, struct vb_err *e)
{
	vb_dmabuf_name(bdf, bar, r, nr, name, VB_DMABUF_NAME_LEN);
	return vb_vfio_export(d, (uint32_t)bar, r, nr, name, e);
}
