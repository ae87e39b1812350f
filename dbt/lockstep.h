/* lockstep.h — each translated block replayed in tier 0 and compared
 * (lockstep.c; private to dbt/). */
#ifndef RZ_DBT_LOCKSTEP_H
#define RZ_DBT_LOCKSTEP_H

#include "internal.h"

typedef struct Lockstep Lockstep;

int lockstep_init(Dbt *d, CPU *cpu, char *err, size_t errlen);
void lockstep_free(Dbt *d);
/* Runs b's code (not chained: lockstep never links) and checks it; returns
 * b, or re-raises the exception both tiers raised. */
Block *lockstep_run(Dbt *d, CPU *cpu, Block *b);

#endif
