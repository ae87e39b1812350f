/* device.h — how a device describes itself to the board.
 *
 * A DeviceDesc lists the device's port and MMIO regions with the access
 * sizes each decodes (the softmmu enforces them: softmmu/mem.h, IO_SPLIT
 * and IO_DROP), its reset hook, and the fields that make up its state, for
 * snapshots: {name, offset, size} into the device's state struct.  The
 * descriptor is constant; an instance is the descriptor plus the opaque
 * pointer its callbacks get and the state struct its fields are in (often
 * the same pointer; a board-level register's state may live in the board).
 */
#ifndef RZ_DEVICE_H
#define RZ_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "../softmmu/mem.h"

typedef struct DeviceField {
    const char *name;
    size_t offset, size;
} DeviceField;

/* One member of struct type (a nested member or array element may be named:
 * DEVICE_FIELD(PicPair, chip[1].imr)). */
#define DEVICE_FIELD(type, member) { #member, offsetof(type, member), sizeof(((type *)0)->member) }

typedef struct DeviceRegion {
    const char *name;
    bool mmio;            /* false: port I/O */
    uint64_t start, size;
    uint8_t sizes;        /* accepted access sizes, a mask of 1|2|4|8 */
    uint8_t misfit;       /* IO_SPLIT or IO_DROP for the other sizes */
    IoRead read;          /* NULL: reads all-ones */
    IoWrite write;        /* NULL: writes are ignored */
} DeviceRegion;

typedef struct DeviceDesc {
    const char *name;
    const DeviceRegion *regions;  /* ends with an entry whose name is NULL */
    void (*reset)(void *opaque);  /* NULL: nothing resets (battery-backed) */
    const DeviceField *state;     /* ends with a NULL name; NULL for none */
    size_t state_size;            /* sizeof the state struct */
} DeviceDesc;

/* Maps every region of d with opaque for its callbacks.  Returns 0, or -1
 * with the reason (an overlap names both regions) in err. */
int device_map(Mem *mem, const DeviceDesc *d, void *opaque, char *err, size_t errlen);

#define DEVICE_LIST_MAX 32

/* A board's devices, in registration order: what a reset walks. */
typedef struct DeviceList {
    struct DeviceInstance {
        const DeviceDesc *desc;
        void *opaque;     /* the callbacks' argument */
        void *state;      /* the struct desc->state's offsets are in */
    } dev[DEVICE_LIST_MAX];
    int n;
} DeviceList;

/* device_map, then records the instance in l. */
int device_add(DeviceList *l, Mem *mem, const DeviceDesc *d, void *opaque, void *state,
               char *err, size_t errlen);
/* Every device's reset hook, in registration order. */
void device_reset_all(DeviceList *l);
const struct DeviceInstance *device_find(const DeviceList *l, const char *name);

#endif
