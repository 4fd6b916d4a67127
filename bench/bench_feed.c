/*  bench_feed.c - see bench_feed.h.  */
#include "bench_feed.h"

#include <stdio.h>

#include "bench_support.h"

void
bench_feed_facts (reg_feed_t *feed, cj_store_t *store, char counties[][7], uint32_t partitions,
                  long workers, long per_report)
{
    long nws = (workers + per_report - 1) / per_report;
    for (long s = 0; s < nws; s++) {
        char id[24];
        snprintf (id, sizeof id, "W%ld", s);
        if (reg_feed_workshop (feed, counties[s % partitions], id,
                               CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_FACTORY_STYLE,
                               20190101) != 0)
            bench_die ("feed: %s", cj_store_errstr (store));
    }
    for (long w = 0; w < workers; w++) {
        char rid[19], emp[24], ws[24];
        long s = w / per_report;
        const char *county = counties[s % partitions];
        bench_resident_id (w, rid);
        snprintf (emp, sizeof emp, "E%ld", w);
        snprintf (ws, sizeof ws, "W%ld", s);
        int poverty = w % 2 ? CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR
                            : CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_NOT_REGISTERED;
        if (reg_feed_worker (feed, county, rid, poverty, 20180101, 800000, 2018) != 0
            || reg_feed_employment (feed, county, emp, rid, ws, 20190101) != 0)
            bench_die ("feed: %s", cj_store_errstr (store));
    }
    if (reg_feed_commit (feed) != 0)
        bench_die ("feed: %s", cj_store_errstr (store));
}
