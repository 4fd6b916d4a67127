/*  bench_support.h - what the benchmarks share: a clock, free ports, a private redis-server
 *  (AOF everysec, like production) and redis-benchmark's raw rate on it, the baseline every
 *  benchmark prints its figures beside.  */
#ifndef BENCH_SUPPORT_H
#define BENCH_SUPPORT_H

#include <stddef.h>

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
/*  A payload of 'size' bytes of 'x' (static buffer, at most 4095).  */
const char *bench_payload (size_t size);

#endif
