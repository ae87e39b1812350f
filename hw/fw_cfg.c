/* fw_cfg.c — QEMU's firmware configuration device (see fw_cfg.h). */
#include "fw_cfg.h"

#include <stdlib.h>
#include <string.h>

/* FW_CFG_ID bit 0: the traditional (port) interface; bit 1 would be DMA. */
#define FW_CFG_VERSION 1u
#define KEY_MASK 0x3fff   /* without the write-channel (0x4000) and arch-local (0x8000) bits */

void fw_cfg_init(FwCfg *f)
{
    memset(f, 0, sizeof *f);
    fw_cfg_add_bytes(f, FW_CFG_SIGNATURE, (const uint8_t *)"QEMU", 4);
    fw_cfg_add_i32(f, FW_CFG_ID, FW_CFG_VERSION);
    fw_cfg_add_file(f, NULL, NULL, 0);  /* an empty directory */
}

void fw_cfg_free(FwCfg *f)
{
    for (unsigned i = 0; i < FW_CFG_ITEMS; i++)
        free(f->item[i].data);
    memset(f, 0, sizeof *f);
}

int fw_cfg_add_bytes(FwCfg *f, uint16_t key, const uint8_t *data, size_t len)
{
    if (key >= FW_CFG_ITEMS || len > UINT32_MAX)
        return -1;
    uint8_t *copy = NULL;
    if (len) {
        copy = malloc(len);
        if (!copy)
            return -1;
        memcpy(copy, data, len);
    }
    free(f->item[key].data);
    f->item[key].data = copy;
    f->item[key].len = (uint32_t)len;
    return 0;
}

static int add_le(FwCfg *f, uint16_t key, uint64_t v, unsigned n)
{
    uint8_t b[8];
    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fw_cfg_add_bytes(f, key, b, n);
}

int fw_cfg_add_i16(FwCfg *f, uint16_t key, uint16_t v) { return add_le(f, key, v, 2); }
int fw_cfg_add_i32(FwCfg *f, uint16_t key, uint32_t v) { return add_le(f, key, v, 4); }
int fw_cfg_add_i64(FwCfg *f, uint16_t key, uint64_t v) { return add_le(f, key, v, 8); }

static void put_be(uint8_t *p, uint32_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* Directory: a big-endian count, then per file a big-endian size, key,
 * 16 reserved bits and the NUL-padded name. */
static int rebuild_dir(FwCfg *f)
{
    uint8_t dir[4 + FW_CFG_MAX_FILES * 64];
    memset(dir, 0, sizeof dir);
    put_be(dir, f->nfiles, 4);
    for (unsigned i = 0; i < f->nfiles; i++) {
        uint8_t *e = dir + 4 + 64 * i;
        put_be(e, f->item[FW_CFG_FILE_FIRST + i].len, 4);
        put_be(e + 4, FW_CFG_FILE_FIRST + i, 2);
        memcpy(e + 8, f->name[i], FW_CFG_FILE_NAME);
    }
    return fw_cfg_add_bytes(f, FW_CFG_FILE_DIR, dir, 4 + 64 * (size_t)f->nfiles);
}

int fw_cfg_add_file(FwCfg *f, const char *name, const uint8_t *data, size_t len)
{
    if (!name)
        return rebuild_dir(f);
    if (strlen(name) >= FW_CFG_FILE_NAME)
        return -1;
    unsigned i = 0;
    while (i < f->nfiles && strcmp(f->name[i], name))
        i++;
    if (i == FW_CFG_MAX_FILES)
        return -1;
    uint16_t key = (uint16_t)(FW_CFG_FILE_FIRST + i);
    if (fw_cfg_add_bytes(f, key, data, len))
        return -1;
    if (i == f->nfiles) {
        memset(f->name[i], 0, FW_CFG_FILE_NAME);
        strcpy(f->name[i], name);
        f->nfiles++;
    }
    return rebuild_dir(f) ? -1 : key;
}

void fw_cfg_select(FwCfg *f, uint16_t key)
{
    f->selector = key;
    f->offset = 0;
}

uint8_t fw_cfg_read(FwCfg *f)
{
    unsigned key = f->selector & KEY_MASK;
    /* Arch-local keys (0x8000) are not provided: they read as absent. */
    if ((f->selector & 0x8000) || key >= FW_CFG_ITEMS)
        return 0;
    const FwCfgItem *it = &f->item[key];
    if (f->offset >= it->len)
        return 0;
    return it->data[f->offset++];
}
