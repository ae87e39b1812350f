/* native.c — direct execution of noncritical forms (native.h). */
#include "native.h"

void native_begin(NativeCtx *nc, X64 *e, const Block *b)
{
    nc->e = e;
    nc->b = b;
    nc->flags_in_host = false;
}

bool native_emit(NativeCtx *nc, unsigned i)
{
    (void)nc;
    (void)i;
    return false;
}

void native_sync(NativeCtx *nc, unsigned i)
{
    (void)i;
    nc->flags_in_host = false;
}

void native_end(NativeCtx *nc)
{
    (void)nc;
}
