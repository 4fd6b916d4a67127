/*  cli_send.c - the windowed sender used by publish, import and the queries.
 *
 *  Up to 'window' requests are in flight at once, on the DEALER of their owner's endpoint;
 *  Acks are matched by event_id. A request without an answer within the timeout, or answered
 *  UNAVAILABLE, is sent again (the same bytes, so the same event_id: the service answers a
 *  repeat DUPLICATE with the first outcome) after an exponential backoff, up to 'retries'
 *  times. REJECTED with only NOT_YET_KNOWN problems (a fact still travelling between
 *  services) is sent again the same way for up to 'settle_ms'. Each request's final answer
 *  goes to the 'done' callback.  */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_BACKOFF_FIRST_MS  200
#define S_BACKOFF_MAX_MS    10000
#define S_SETTLE_FIRST_MS   100
#define S_SETTLE_MAX_MS     2000

typedef enum { S_QUEUED, S_SENT, S_WAITING } s_state_t;

typedef struct s_req_t {
    struct s_req_t *next;            /* queue */
    uint8_t        *bytes;
    size_t          len;
    char            event_id[CLI_EVENT_ID_MAX];
    cj_owner_t      owner;
    void           *user;
    s_state_t       state;
    int             attempts;        /* attempts that failed (no answer, UNAVAILABLE) */
    int             settles;         /* NOT_YET_KNOWN answers so far */
    int64_t         settle_start;
    int64_t         due;             /* SENT: answer deadline; WAITING: when to send again */
    cj_ack_t       *last;            /* the last UNAVAILABLE answer */
} s_req_t;

struct cli_sender_t {
    cli_conn_t     *conn;
    cli_send_opts_t opts;
    cli_done_fn    *done;
    void           *arg;
    s_req_t        *head, *tail;     /* queued, not yet sent */
    s_req_t       **flight;          /* sent or waiting to be sent again */
    size_t          n_flight;
    size_t          gave_up;
    bool            gave_up_silent;  /* the last one given up on never had an answer */
    char            gave_up_endpoint[CLI_ENDPOINT_MAX];
    int64_t         last_note_ms;
    bool            failed;
};

static void
s_req_free (s_req_t *req)
{
    free (req->bytes);
    cj_ack_free (&req->last);
    free (req);
}

cli_sender_t *
cli_sender_new (cli_conn_t *conn, const cli_send_opts_t *opts, cli_done_fn *done, void *arg)
{
    cli_sender_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->conn = conn;
    self->opts = *opts;
    if (self->opts.window < 1)
        self->opts.window = 1;
    if (self->opts.window > CLI_WINDOW_MAX)
        self->opts.window = CLI_WINDOW_MAX;
    self->done = done;
    self->arg = arg;
    self->flight = calloc ((size_t) self->opts.window, sizeof *self->flight);
    if (!self->flight) {
        free (self);
        return NULL;
    }
    return self;
}

void
cli_sender_destroy (cli_sender_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cli_sender_t *self = *self_p;
    while (self->head) {
        s_req_t *next = self->head->next;
        s_req_free (self->head);
        self->head = next;
    }
    for (size_t i = 0; i < self->n_flight; i++)
        s_req_free (self->flight[i]);
    free (self->flight);
    free (self);
    *self_p = NULL;
}

int
cli_sender_submit_bytes (cli_sender_t *self, uint8_t *bytes, size_t len, const char *event_id,
                         cj_owner_t owner, void *user)
{
    if (!cli_conn_client (self->conn, owner)) {
        free (bytes);
        return -1;
    }
    s_req_t *req = calloc (1, sizeof *req);
    if (!req) {
        free (bytes);
        cli_error (self->conn->cmd, "out of memory");
        return -1;
    }
    req->bytes = bytes;
    req->len = len;
    snprintf (req->event_id, sizeof req->event_id, "%s", event_id);
    req->owner = owner;
    req->user = user;
    if (self->tail)
        self->tail->next = req;
    else
        self->head = req;
    self->tail = req;
    return 0;
}

int
cli_sender_submit (cli_sender_t *self, const cj_envelope_t *env, void *user)
{
    size_t len;
    uint8_t *bytes = cj_message_pack (&env->base, &len);
    if (!bytes) {
        cli_error (self->conn->cmd, "out of memory");
        return -1;
    }
    return cli_sender_submit_bytes (self, bytes, len, env->event_id,
                                    cj_body_owner ((int) env->body_case), user);
}

static void
s_transmit (cli_sender_t *self, s_req_t *req, int64_t now)
{
    cj_client_t *client = cli_conn_client (self->conn, req->owner);
    /* A full send queue counts as no answer: the deadline sends it again. */
    if (client)
        cj_client_send_bytes (client, req->bytes, req->len, self->opts.timeout_ms);
    req->state = S_SENT;
    req->due = now + self->opts.timeout_ms;
}

/*  Takes 'req' out of the window and hands its final answer (or NULL) to the callback.  */
static void
s_finish (cli_sender_t *self, size_t index, cj_ack_t *ack)
{
    s_req_t *req = self->flight[index];
    self->flight[index] = self->flight[--self->n_flight];
    bool gave_up = !ack || ack->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE;
    if (gave_up) {
        self->gave_up++;
        self->gave_up_silent = !ack;
        snprintf (self->gave_up_endpoint, sizeof self->gave_up_endpoint, "%s",
                  cli_conn_endpoint (self->conn, req->owner));
    }
    self->done (self->arg, req->user, req->event_id, &ack);
    cj_ack_free (&ack);
    s_req_free (req);
}

static int64_t
s_backoff (int attempt, int first, int max)
{
    int64_t ms = first;
    for (int i = 1; i < attempt && ms < max; i++)
        ms *= 2;
    return ms < max ? ms : max;
}

/*  No answer in time, or UNAVAILABLE ('ack', kept as the last answer): wait and send again,
 *  or give up after 'retries' resends.  */
static void
s_retry (cli_sender_t *self, size_t index, cj_ack_t *ack, int64_t now)
{
    s_req_t *req = self->flight[index];
    if (ack) {
        cj_ack_free (&req->last);
        req->last = ack;
    }
    if (++req->attempts > self->opts.retries) {
        cj_ack_t *last = req->last;
        req->last = NULL;
        s_finish (self, index, last);
        return;
    }
    if (!self->opts.quiet && now - self->last_note_ms >= 1000) {
        fprintf (stderr, "chejian %s: %s from %s; sending again (attempt %d of %d)\n",
                 self->conn->cmd, ack ? "UNAVAILABLE" : "no answer in time",
                 cli_conn_endpoint (self->conn, req->owner), req->attempts + 1,
                 self->opts.retries + 1);
        self->last_note_ms = now;
    }
    req->state = S_WAITING;
    req->due = now + s_backoff (req->attempts, S_BACKOFF_FIRST_MS, S_BACKOFF_MAX_MS);
}

bool
cli_ack_only_not_yet_known (const cj_ack_t *ack)
{
    if (ack->status != CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED || ack->n_problems == 0)
        return false;
    for (size_t i = 0; i < ack->n_problems; i++)
        if (strcmp (ack->problems[i]->code, CJ_E_NOT_YET_KNOWN) != 0)
            return false;
    return true;
}

static void
s_on_ack (cli_sender_t *self, cj_ack_t *ack, int64_t now)
{
    size_t i = 0;
    while (i < self->n_flight && strcmp (self->flight[i]->event_id, ack->event_id) != 0)
        i++;
    if (i == self->n_flight) {      /* a late answer to a request already done */
        cj_ack_free (&ack);
        return;
    }
    s_req_t *req = self->flight[i];
    if (ack->status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE) {
        s_retry (self, i, ack, now);
        return;
    }
    if (cli_ack_only_not_yet_known (ack) && self->opts.settle_ms > 0) {
        if (!req->settle_start)
            req->settle_start = now;
        if (now - req->settle_start < self->opts.settle_ms) {
            cj_ack_free (&ack);
            req->state = S_WAITING;
            req->due = now + s_backoff (++req->settles, S_SETTLE_FIRST_MS, S_SETTLE_MAX_MS);
            return;
        }
    }
    s_finish (self, i, ack);
}

/*  Fills the window from the queue and, when the queue is empty, from 'pull'.  */
static void
s_fill (cli_sender_t *self, cli_pull_fn *pull, void *pull_arg, bool *exhausted, int64_t now)
{
    while (self->n_flight < (size_t) self->opts.window) {
        if (!self->head) {
            if (*exhausted)
                return;
            int rc = pull (pull_arg);
            if (rc != 0) {
                *exhausted = true;
                self->failed |= rc < 0;
            }
            continue;
        }
        s_req_t *req = self->head;
        self->head = req->next;
        if (!self->head)
            self->tail = NULL;
        req->next = NULL;
        self->flight[self->n_flight++] = req;
        s_transmit (self, req, now);
    }
}

/*  Waits until an answer arrives or the earliest deadline, and reads every answer there is.  */
static void
s_wait (cli_sender_t *self, int64_t now)
{
    int64_t next = now + 1000;
    for (size_t i = 0; i < self->n_flight; i++)
        if (self->flight[i]->due < next)
            next = self->flight[i]->due;
    zmq_pollitem_t items[CLI_OWNERS];
    cj_client_t *clients[CLI_OWNERS];
    int n = 0;
    for (int o = 1; o < CLI_OWNERS; o++) {
        cj_client_t *c = self->conn->clients[o];
        bool seen = false;
        for (int j = 0; j < n; j++)
            seen |= clients[j] == c;
        if (!c || seen)
            continue;
        clients[n] = c;
        items[n] = (zmq_pollitem_t) { cj_client_socket (c), 0, ZMQ_POLLIN, 0 };
        n++;
    }
    long timeout = next > now ? (long) (next - now) : 0;
    if (zmq_poll (items, n, timeout) <= 0)
        return;
    for (int j = 0; j < n; j++) {
        if (!(items[j].revents & ZMQ_POLLIN))
            continue;
        cj_ack_t *ack;
        while ((ack = cj_client_recv (clients[j], 0)) != NULL)
            s_on_ack (self, ack, cli_now_ms ());
    }
}

int
cli_sender_run (cli_sender_t *self, cli_pull_fn *pull, void *pull_arg)
{
    bool exhausted = pull == NULL;
    for (;;) {
        int64_t now = cli_now_ms ();
        s_fill (self, pull, pull_arg, &exhausted, now);
        if (self->n_flight == 0 && !self->head && exhausted)
            break;
        s_wait (self, now);
        now = cli_now_ms ();
        for (size_t i = 0; i < self->n_flight;) {
            s_req_t *req = self->flight[i];
            size_t before = self->n_flight;
            if (req->due <= now && req->state == S_SENT)
                s_retry (self, i, NULL, now);
            else if (req->due <= now && req->state == S_WAITING)
                s_transmit (self, req, now);
            if (self->n_flight == before)
                i++;
        }
    }
    return self->failed ? -1 : 0;
}

size_t
cli_sender_gave_up (const cli_sender_t *self)
{
    return self->gave_up;
}

const char *
cli_sender_gave_up_endpoint (const cli_sender_t *self)
{
    return self->gave_up_endpoint;
}

void
cli_sender_explain_gave_up (const cli_sender_t *self, const char *cmd)
{
    if (!self->gave_up)
        return;
    const cli_conn_t *conn = self->conn;
    if (self->gave_up_silent)
        cli_error (cmd, "no answer from %s after %d attempts of %d ms: is the %s running? "
                   "(scripts/run starts one)%s", self->gave_up_endpoint,
                   self->opts.retries + 1, self->opts.timeout_ms,
                   strcmp (self->gave_up_endpoint, conn->gateway) == 0 ? "gateway" : "service",
                   conn->curve ? "; if it is, its agencies file may not list your key "
                                 "(send it your .pub)" : "");
    else
        cli_error (cmd, "%s answered UNAVAILABLE %d times: the service behind it is down or "
                   "overloaded; run `chejian status` and try again later",
                   self->gave_up_endpoint, self->opts.retries + 1);
}

/*  ---- one request ----  */

typedef struct {
    cj_ack_t *ack;
} s_one_t;

static void
s_one_done (void *arg, void *user, const char *event_id, cj_ack_t **ack_p)
{
    (void) user;
    (void) event_id;
    s_one_t *one = arg;
    if (*ack_p && (*ack_p)->status != CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE) {
        one->ack = *ack_p;
        *ack_p = NULL;
    }
}

cj_ack_t *
cli_request (cli_conn_t *conn, const cli_send_opts_t *opts, const cj_envelope_t *env)
{
    s_one_t one = { NULL };
    cli_sender_t *sender = cli_sender_new (conn, opts, s_one_done, &one);
    if (!sender) {
        cli_error (conn->cmd, "out of memory");
        return NULL;
    }
    if (cli_sender_submit (sender, env, NULL) == 0 && cli_sender_run (sender, NULL, NULL) == 0
        && !one.ack)
        cli_sender_explain_gave_up (sender, conn->cmd);
    cli_sender_destroy (&sender);
    return one.ack;
}
