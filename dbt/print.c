/* print.c — -d out_asm: a translated block, guest and host side by side. */
#include "internal.h"
#include "../disasm/disasm.h"
#include "../softmmu/mem.h"

static void host_lines(FILE *f, const uint8_t *code, size_t from, size_t to, const uint8_t *base)
{
    while (from < to) {
        char text[96];
        int n = disasm_one(code + from, to - from, 64, (uint64_t)(uintptr_t)(base + from), text,
                           sizeof text);
        fprintf(f, "      %04zx  %s\n", from, text);
        from += n > 0 ? (size_t)n : 1;
    }
}

void dbt_print_block(const Dbt *d, const Block *b, const DbtBlock *db, FILE *f)
{
    const uint8_t *start = db->code_x - db->entry_off;
    const uint8_t *w = start - d->code->delta;   /* read through the write view */
    fprintf(f, "OUT: [rip %llx key %llx, %u guest instructions, %u native, %u bytes of host code at %p]\n",
            (unsigned long long)b->rip, (unsigned long long)b->key, db->ninsns, db->nnative, db->code_size, (const void *)start);
    if (db->ntrace > 1) {
        fprintf(f, "  a trace of %u blocks:", db->ntrace);
        for (unsigned j = 0; j < db->ntrace; j++)
            fprintf(f, " %llx", (unsigned long long)db->trace[j]->rip);
        fprintf(f, "\n");
    }
    if (db->entry_off) {
        fprintf(f, "  checked entry (jumps from other pages):\n");
        host_lines(f, w, 0, db->entry_off, start);
    }
    fprintf(f, "  entry (budget and stop checks):\n");
    host_lines(f, w, db->entry_off, db->host_off[0], start);
    for (unsigned i = 0; i < db->ninsns; i++) {
        uint64_t rip;
        const Insn *in = dbt_trace_insn(db, i, &rip);
        uint8_t bytes[15];
        char text[96];
        int avail = mem_fetch(&d->cpu->mmu, cpu_code_lin(d->cpu, rip), bytes, in->len);
        if (avail != in->len ||
            !disasm_one(bytes, in->len, 16u << in->code_mode, rip, text, sizeof text))
            snprintf(text, sizeof text, "%s", form_info[in->form].name);
        fprintf(f, "  %016llx  %s\n", (unsigned long long)rip, text);
        host_lines(f, w, db->host_off[i], db->host_off[i + 1], start);
    }
    fprintf(f, "  out of line (side exits, TLB misses, exits):\n");
    host_lines(f, w, db->host_off[db->ninsns], db->code_size, start);
}
