/* fw_cfg.h — QEMU's firmware configuration device, traditional I/O
 * interface (QEMU docs/specs/fw_cfg.rst): write a 16-bit item key to the
 * selector port 0x510, then read the item's bytes one at a time from the
 * data port 0x511.  Numbers are little-endian, the file directory
 * big-endian.  No DMA interface (FW_CFG_ID says so). */
#ifndef RZ_FW_CFG_H
#define RZ_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

enum {
    FW_CFG_SIGNATURE = 0x00, FW_CFG_ID = 0x01, FW_CFG_UUID = 0x02, FW_CFG_RAM_SIZE = 0x03,
    FW_CFG_NOGRAPHIC = 0x04, FW_CFG_NB_CPUS = 0x05, FW_CFG_MACHINE_ID = 0x06,
    FW_CFG_KERNEL_ADDR = 0x07, FW_CFG_KERNEL_SIZE = 0x08, FW_CFG_KERNEL_CMDLINE = 0x09,
    FW_CFG_INITRD_ADDR = 0x0a, FW_CFG_INITRD_SIZE = 0x0b, FW_CFG_BOOT_DEVICE = 0x0c,
    FW_CFG_NUMA = 0x0d, FW_CFG_BOOT_MENU = 0x0e, FW_CFG_MAX_CPUS = 0x0f,
    FW_CFG_KERNEL_ENTRY = 0x10, FW_CFG_KERNEL_DATA = 0x11, FW_CFG_INITRD_DATA = 0x12,
    FW_CFG_CMDLINE_ADDR = 0x13, FW_CFG_CMDLINE_SIZE = 0x14, FW_CFG_CMDLINE_DATA = 0x15,
    FW_CFG_SETUP_ADDR = 0x16, FW_CFG_SETUP_SIZE = 0x17, FW_CFG_SETUP_DATA = 0x18,
    FW_CFG_FILE_DIR = 0x19, FW_CFG_FILE_FIRST = 0x20,
};
#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_MAX_FILES 16
#define FW_CFG_FILE_NAME 56     /* bytes, NUL included */
#define FW_CFG_ITEMS (FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES)

typedef struct FwCfgItem {
    uint8_t *data;        /* owned copy */
    uint32_t len;
} FwCfgItem;

typedef struct FwCfg {
    FwCfgItem item[FW_CFG_ITEMS];
    char name[FW_CFG_MAX_FILES][FW_CFG_FILE_NAME];
    unsigned nfiles;
    uint16_t selector;
    uint32_t offset;      /* next byte of the selected item */
} FwCfg;

/* Signature "QEMU" and ID (traditional interface only). */
void fw_cfg_init(FwCfg *f);
void fw_cfg_free(FwCfg *f);
/* Sets (or replaces) an item with a copy of data; 0, or -1 for a key out of
 * range or no memory. */
int fw_cfg_add_bytes(FwCfg *f, uint16_t key, const uint8_t *data, size_t len);
int fw_cfg_add_i16(FwCfg *f, uint16_t key, uint16_t v);
int fw_cfg_add_i32(FwCfg *f, uint16_t key, uint32_t v);
int fw_cfg_add_i64(FwCfg *f, uint16_t key, uint64_t v);
/* A named file (e.g. "etc/e820") in the next free key from 0x20, listed in
 * the directory (item 0x19); returns the key, or -1. */
int fw_cfg_add_file(FwCfg *f, const char *name, const uint8_t *data, size_t len);
/* The guest interface: select resets the read offset; reads past the end
 * of an item (or of an absent one) give 0. */
void fw_cfg_select(FwCfg *f, uint16_t key);
uint8_t fw_cfg_read(FwCfg *f);

#endif
