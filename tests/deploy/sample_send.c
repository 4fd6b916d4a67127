/*  sample_send.c - see sample_send.h.  */
#include "sample_send.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chejian/client.h"
#include "test_support.h"

#define S_BODY_MAX (4 << 20)

/*  Sends 'env' and waits for its Ack, retrying NOT_YET_KNOWN. Returns the status or -1.  */
static int
s_call (cj_client_t *c, const cj_envelope_t *env)
{
    int64_t until = cj_test_now_ms () + 20000;
    for (;;) {
        if (cj_client_send (c, env, 2000) != 0)
            return -1;
        cj_ack_t *ack = cj_client_recv (c, 10000);
        if (!ack)
            return -1;
        int status = ack->status;
        bool later = status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED && ack->n_problems;
        for (size_t i = 0; later && i < ack->n_problems; i++)
            later = strcmp (ack->problems[i]->code, "NOT_YET_KNOWN") == 0;
        if (status == CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED
            && (!later || cj_test_now_ms () > until))
            for (size_t i = 0; i < ack->n_problems && i < 5; i++)
                fprintf (stderr, "  %s: %s %s %s\n", env->event_id, ack->problems[i]->field,
                         ack->problems[i]->code, ack->problems[i]->message);
        cj_ack_free (&ack);
        if (!later || cj_test_now_ms () > until)
            return status;
        usleep (100000);
    }
}

int
sample_send (cj_test_system_t *sys, const sample_t *sample, int first, int last,
             sample_send_filter_fn *filter, void *arg, int *ret_sent)
{
    cj_client_t *clients[3] = { cj_client_new (NULL, sys->reg.router),
                                cj_client_new (NULL, sys->pay.router),
                                cj_client_new (NULL, sys->adj.router) };
    int sent = 0, bad = 0;
    for (int file = first; file <= last && clients[0] && clients[1] && clients[2]; file++)
        for (size_t i = 0; i < sample_count (sample); i++) {
            const sample_item_t *item = sample_item (sample, i);
            if ((int) item->file != file || (filter && !filter (sample, i, arg)))
                continue;
            cj_owner_t owner = cj_body_owner (item->env->body_case);
            cj_client_t *c = owner == CJ_OWNER_REGISTRY ? clients[0]
                           : owner == CJ_OWNER_PAYROLL ? clients[1] : clients[2];
            int status = s_call (c, item->env);
            sent++;
            if (status != CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED
                && status != CHEJIAN__V1__ACK_STATUS__ACK_STATUS_DUPLICATE) {
                fprintf (stderr, "refused: %s answered %s\n", item->env->event_id,
                         status < 0 ? "nothing" : cj_ack_status_name (status));
                bad++;
            }
        }
    for (int k = 0; k < 3; k++)
        cj_client_destroy (&clients[k]);
    if (ret_sent)
        *ret_sent = sent;
    return sent == 0 ? -1 : bad;
}

int
sample_settle (cj_test_system_t *sys, int timeout_ms)
{
    char *body = malloc (S_BODY_MAX);
    int64_t until = cj_test_now_ms () + timeout_ms;
    while (body && cj_test_now_ms () < until) {
        bool behind = false, seen = false;
        cj_test_proc_t *procs[] = { &sys->pay, &sys->adj };
        for (int k = 0; k < 2; k++) {
            if (cj_test_http_get (procs[k]->metrics, "/metrics", body, S_BODY_MAX) != 200) {
                behind = true;
                continue;
            }
            for (char *line = strstr (body, "\nchejian_consumer_lag_events{"); line;
                 line = strstr (line + 1, "\nchejian_consumer_lag_events{")) {
                char *value = strchr (line, '}');
                seen = true;
                behind |= value && atof (value + 1) > 0;
            }
        }
        if (seen && !behind) {
            free (body);
            return 0;
        }
        usleep (200000);
    }
    free (body);
    return -1;
}
