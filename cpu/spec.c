/* spec.c — which instance of a handler runs a decoded instruction. */
#include "spec.h"

/* Called once per instruction when a block is decoded: a form whose
 * handler (the table's column) is a hot template gets the instance for its
 * sub-operation, operand size and operand kind. */
Handler insn_handler(const Insn *in)
{
    Handler h = form_handler[in->form];
#define X(name) if (h == name) return name##_select(in);
    SPEC_FAMILIES(X)
#undef X
    return h;
}
