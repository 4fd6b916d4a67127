/*  bench_feed.h - the registry facts the payroll and month-end benchmarks start from, written
 *  through registry_feed (tests/integration) as chejian-registry would write them.  */
#ifndef BENCH_FEED_H
#define BENCH_FEED_H

#include <stdint.h>

#include "registry_feed.h"

/*  Workshops W0 .. W<n-1> (one per 'per_report' workers; workshop s in county
 *  counties[s % partitions], opened 2019-01-01), then 'workers' workers (odd numbers
 *  registered-poor since 2018-01-01, ids bench_resident_id) each with employment "E<w>" in
 *  workshop w / per_report from 2019-01-01; committed and published. Exits on a Redis error.  */
void bench_feed_facts (reg_feed_t *feed, cj_store_t *store, char counties[][7],
                       uint32_t partitions, long workers, long per_report);

#endif
