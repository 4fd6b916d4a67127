/*  bench_support.h - what the benchmarks share: a clock, free ports, a private redis-server
 *  (AOF everysec, like production) and redis-benchmark's raw rate on it, the baseline every
 *  benchmark prints its figures beside.  */
#ifndef BENCH_SUPPORT_H
#define BENCH_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "chejian/client.h"
#include "chejian/store.h"

/*  Monotonic seconds.  */
double      bench_now (void);
/*  A free TCP port on 127.0.0.1.  */
int         bench_free_port (void);
/*  Prints "<program>: <message>" on stderr and exits 1.  */
void        bench_die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));
/*  Connects to CHEJIAN_REDIS_URL, or starts a private redis-server in a temporary directory
 *  (its path in 'dir', "" when none was started) and connects to it. Flushes it. Writes the
 *  URL into 'url' and the port into '*ret_port'.  */
cj_store_t *bench_redis (char *dir, size_t dir_size, char *url, size_t url_size, int *ret_port);
/*  Shuts the private redis-server down (when 'dir' is not "") and removes its directory.  */
void        bench_redis_stop (cj_store_t **store, const char *dir);
/*  redis-benchmark's rate of 'n' pipelined (100) 'command' requests, e.g.
 *  "XADD cj:bench:raw * f <payload>" (requests per second; 0 when it could not run).  */
double      bench_redis_rate (int port, long n, const char *command);
/*  Redis Streams used directly, with no business state: 'n' entries of 'payload' bytes
 *  appended with XADD ('window' pipelined) while another thread reads them with XREADGROUP
 *  and acknowledges every read with one XACK. Entries acknowledged per second (0 on error).  */
double      bench_streams_direct (int port, long n, long window, size_t payload);
/*  CPU seconds (user + system) process 'pid' has used so far.  */
double      bench_cpu (pid_t pid);
/*  Resident memory of process 'pid' in MiB: now (VmRSS) or its peak ('peak': VmHWM).  */
double      bench_rss_mib (pid_t pid, int peak);
/*  CPU seconds Redis has used: its own ('children' 0) or its forks' (AOF rewrites).  */
double      bench_redis_cpu (cj_store_t *store, int children);
/*  A number from Redis's INFO (e.g. "used_memory"), 0 when absent.  */
double      bench_redis_info (cj_store_t *store, const char *field);
/*  Events 'consumer' (short name, e.g. "pay") is behind 'producer' ("reg") over
 *  'partitions' partitions, as recorded in Redis (the producer's head minus the cursor).  */
uint64_t    bench_behind (cj_store_t *store, uint32_t partitions, const char *consumer,
                          const char *producer);
/*  Waits up to 60 s until 'consumer' is registered on every partition of 'producer' and its
 *  SUB has settled; exits on timeout.  */
void        bench_wait_subscribed (cj_store_t *store, uint32_t partitions, const char *producer,
                                   const char *consumer);
/*  One county code per partition ('partitions' <= 64) in 'out'.  */
void        bench_counties (char out[][7], uint32_t partitions);
/*  A valid GB 11643 resident ID (region 510822) for worker number 'w' (distinct for
 *  w < 10 million).  */
void        bench_resident_id (long w, char out[19]);
/*  A packed SubmitWageReport envelope of workshop 'workshop' for 'period' (yyyymm): 'n'
 *  monthly lines of workers first .. first + n - 1 (ids bench_resident_id, employments
 *  "E<w>"), gross 'gross' (w, months since 2020-01). NULL when out of memory.  */
uint8_t    *bench_wage_report (const char *event_id, const char *source, const char *county,
                               const char *workshop, int32_t period, long first, long n,
                               int64_t (*gross) (long w, int month), size_t *ret_len);
/*  Whether payroll's GetCountyIncomeSummary of 'county' for 'period', asked through
 *  'client' as 'source', reports total wages of exactly 'expected' fen.  */
bool        bench_county_wages_are (cj_client_t *client, const char *source, const char *county,
                                    int32_t period, int64_t expected);
/*  A payload of 'size' bytes of 'x' (static buffer, at most 4095).  */
const char *bench_payload (size_t size);

#endif
