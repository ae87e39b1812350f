/* device.c — registering DeviceDesc regions and walking a board's devices. */
#include "device.h"

#include <stdio.h>
#include <string.h>

int device_map(Mem *mem, const DeviceDesc *d, void *opaque, char *err, size_t errlen)
{
    for (const DeviceRegion *dr = d->regions; dr && dr->name; dr++) {
        Region r = { .name = dr->name, .start = dr->start, .size = dr->size, .kind = REGION_IO,
                     .read = dr->read, .write = dr->write, .opaque = opaque,
                     .sizes = dr->sizes, .misfit = dr->misfit };
        if (dr->mmio ? mem_add_region(mem, &r, err, errlen) : mem_add_port_region(mem, &r, err, errlen))
            return -1;
    }
    return 0;
}

int device_add(DeviceList *l, Mem *mem, const DeviceDesc *d, void *opaque, void *state,
               char *err, size_t errlen)
{
    if (l->n >= DEVICE_LIST_MAX) {
        snprintf(err, errlen, "too many devices adding '%s'", d->name);
        return -1;
    }
    if (device_map(mem, d, opaque, err, errlen))
        return -1;
    l->dev[l->n++] = (struct DeviceInstance){ d, opaque, state };
    return 0;
}

void device_reset_all(DeviceList *l)
{
    for (int i = 0; i < l->n; i++)
        if (l->dev[i].desc->reset)
            l->dev[i].desc->reset(l->dev[i].opaque);
}

const struct DeviceInstance *device_find(const DeviceList *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->dev[i].desc->name, name))
            return &l->dev[i];
    return NULL;
}
