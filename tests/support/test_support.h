/*  test_support.h - what the tests share: where the test redis-server is, where the built
 *  binaries are, and small waiting helpers.  */
#ifndef CHEJIAN_TEST_SUPPORT_H
#define CHEJIAN_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/*  "redis://127.0.0.1:<port>/0" of the fixture's redis-server (static buffer), or NULL when
 *  the fixture is not running. CHEJIAN_TEST_REDIS_URL in the environment overrides.  */
const char *cj_test_redis_url (void);
/*  The fixture's port, or -1.  */
int         cj_test_redis_port (void);
/*  Absolute path of a built binary, e.g. cj_test_bin ("tests/integration/bus_producer").  */
const char *cj_test_bin (const char *relative);
/*  Milliseconds since an arbitrary monotonic origin.  */
int64_t     cj_test_now_ms (void);
/*  A free TCP port on 127.0.0.1 (bound and released; racy by nature but fine for tests).  */
int         cj_test_free_port (void);



/*  Starts the built binary 'relative' (as cj_test_bin) with the 'n' variables 'env'
 *  ("NAME=value") added to the environment and its stderr appended to 'log'. Returns the
 *  child's pid (its exit code is 126 when 'log' cannot be opened, 127 when the binary cannot
 *  run), or -1 when fork fails.  */
int cj_test_spawn (const char *relative, char env[][160], size_t n, const char *log);

/*  Waits up to 'timeout_ms' for child 'pid' to exit and reaps it. Returns its exit code,
 *  128 + the signal that killed it, or -1 when it did not exit in time (it is then killed
 *  with SIGKILL and reaped).  */
int cj_test_wait_exit (int pid, int timeout_ms);

/*  GET http://127.0.0.1:<port><path>; writes the body (NUL-terminated, truncated to 'size')
 *  and returns the HTTP status, or -1 when nothing answered within 2 s.  */
int cj_test_http_get (int port, const char *path, char *body, size_t size);
#endif
