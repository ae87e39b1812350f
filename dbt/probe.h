/* probe.h — which undefined flags this host computes as tier 0 does
 * (probe.c; private to dbt/). */
#ifndef RZ_DBT_PROBE_H
#define RZ_DBT_PROBE_H

#include "internal.h"

/* The probed families (dbt.h: DBT_PROBE_*); Dbt.undef_ok[kind][ext] has
 * bit log2(size) set when host and tier 0 agree on results and all flags. */
enum { PROBE_SHIFT_CL = DBT_PROBE_SHIFT_CL, PROBE_SHIFT_I = DBT_PROBE_SHIFT_I,
       PROBE_IMUL2 = DBT_PROBE_IMUL2, PROBE_IMUL3 = DBT_PROBE_IMUL3, PROBE_KINDS };

void dbt_probe(Dbt *d);

#endif
