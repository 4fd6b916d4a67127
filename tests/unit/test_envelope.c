/*  test_envelope.c - the Envelope and the Ack on the wire: decode with hard limits (size,
 *  undecodable bytes, repeated-field count, string length), header validation (every field's
 *  problem, all reported at once), body classification by number range (checked against
 *  every body of the real contract), and the Ack helpers.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "chejian/envelope.h"
#include "test_support.h"

#define S_MS_2000_01_01  946684800000LL
#define S_MS_PER_DAY     86400000LL

static int64_t
s_wall_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*  A valid envelope carrying 'probe' (which the caller owns).  */
static void
s_envelope (cj_envelope_t *env, Chejian__V1__BusProbe *probe)
{
    chejian__v1__envelope__init (env);
    chejian__v1__bus_probe__init (probe);
    probe->n = 7;
    probe->payload.data = (uint8_t *) "abc";
    probe->payload.len = 3;
    env->event_id = "agency-1:2020/07#1@x.y_z";
    env->source = "hrss_510822-a";
    env->occurred_at = s_wall_ms ();
    env->county = "510822";
    env->trace_id = "trace-1";
    env->body_case = CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE;
    env->bus_probe = probe;
}

/*  A string of 'len' copies of 'c' (caller frees).  */
static char *
s_repeat (char c, size_t len)
{
    char *text = malloc (len + 1);
    assert_non_null (text);
    memset (text, c, len);
    text[len] = 0;
    return text;
}

static void
s_assert_problem (const cj_problems_t *p, size_t index, const char *field, const char *code)
{
    assert_true (index < p->count);
    assert_string_equal (p->items[index].field, field);
    assert_string_equal (p->items[index].code, code);
    assert_true (strlen (p->items[index].message) > 0);
}

/*  Decodes bytes that must be refused with exactly one problem 'field'/'code'.  */
static void
s_assert_refused (const void *data, size_t len, const char *field, const char *code)
{
    cj_problems_t p;
    cj_problems_init (&p);
    cj_envelope_t *env = cj_envelope_decode (data, len, &p);
    assert_null (env);
    assert_int_equal (p.count, 1);
    s_assert_problem (&p, 0, field, code);
}

/*  Validates 'env' and returns the problems found.  */
static int
s_validate (const cj_envelope_t *env, cj_problems_t *p)
{
    cj_problems_init (p);
    return cj_envelope_validate (env, p);
}

/*  ---- decode ----  */

static void
test_decode_valid (void **state)
{
    (void) state;
    cj_envelope_t env;
    Chejian__V1__BusProbe probe;
    s_envelope (&env, &probe);
    env.causation_id = "cause-1";
    size_t len = 0;
    uint8_t *bytes = cj_message_pack (&env.base, &len);
    assert_non_null (bytes);
    assert_true (len > 0);

    cj_problems_t p;
    cj_problems_init (&p);
    cj_envelope_t *got = cj_envelope_decode (bytes, len, &p);
    assert_non_null (got);
    assert_int_equal (p.count, 0);
    assert_string_equal (got->event_id, env.event_id);
    assert_string_equal (got->source, env.source);
    assert_int_equal (got->occurred_at, env.occurred_at);
    assert_string_equal (got->county, "510822");
    assert_string_equal (got->trace_id, "trace-1");
    assert_string_equal (got->causation_id, "cause-1");
    assert_int_equal (got->body_case, CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE);
    assert_non_null (got->bus_probe);
    assert_int_equal (got->bus_probe->n, 7);
    assert_int_equal (got->bus_probe->payload.len, 3);
    assert_memory_equal (got->bus_probe->payload.data, "abc", 3);
    assert_ptr_equal (cj_envelope_body (got), &got->bus_probe->base);
    assert_int_equal (s_validate (got, &p), 0);
    assert_int_equal (p.count, 0);
    cj_envelope_free (&got);
    assert_null (got);
    cj_envelope_free (&got);                   /* idempotent */
    cj_envelope_free (NULL);

    /* an empty input is a valid (empty) Envelope; it is validation that refuses it */
    got = cj_envelope_decode ("", 0, &p);
    assert_non_null (got);
    assert_int_equal (got->body_case, CHEJIAN__V1__ENVELOPE__BODY__NOT_SET);
    assert_null (cj_envelope_body (got));
    cj_envelope_free (&got);
    free (bytes);
}

static void
test_decode_too_large (void **state)
{
    (void) state;
    size_t len = (size_t) CJ_ENVELOPE_MAX_BYTES + 1;
    uint8_t *big = malloc (len);
    assert_non_null (big);
    memset (big, 0xff, len);
    s_assert_refused (big, len, "", CJ_E_TOO_LARGE);
    /* at the limit the size is accepted: these bytes are refused for what they are */
    s_assert_refused (big, len - 1, "", CJ_E_DECODE_FAILED);
    free (big);
}

static void
test_decode_garbage_and_truncated (void **state)
{
    (void) state;
    static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0x01 };
    s_assert_refused (garbage, sizeof garbage, "", CJ_E_DECODE_FAILED);
    /* field 1 (event_id) says 100 bytes follow, 2 do */
    static const uint8_t short_string[] = { 0x0a, 0x64, 'a', 'b' };
    s_assert_refused (short_string, sizeof short_string, "", CJ_E_DECODE_FAILED);
    /* wire type 7 does not exist */
    static const uint8_t bad_wire_type[] = { 0x0f, 0x00 };
    s_assert_refused (bad_wire_type, sizeof bad_wire_type, "", CJ_E_DECODE_FAILED);

    cj_envelope_t env;
    Chejian__V1__BusProbe probe;
    s_envelope (&env, &probe);
    size_t len = 0;
    uint8_t *bytes = cj_message_pack (&env.base, &len);
    assert_non_null (bytes);
    /* the body is packed last; cutting into it leaves a length prefix that overruns */
    for (size_t cut = 1; cut <= 4; cut++)
        s_assert_refused (bytes, len - cut, "", CJ_E_DECODE_FAILED);
    free (bytes);
}

/*  Packs a SubmitWageReport with 'nlines' empty lines.  */
static uint8_t *
s_wage_report (size_t nlines, size_t *ret_len)
{
    Chejian__V1__WageLine *lines = calloc (nlines, sizeof *lines);
    Chejian__V1__WageLine **ptrs = calloc (nlines, sizeof *ptrs);
    assert_non_null (lines);
    assert_non_null (ptrs);
    for (size_t i = 0; i < nlines; i++) {
        chejian__v1__wage_line__init (&lines[i]);
        ptrs[i] = &lines[i];
    }
    Chejian__V1__SubmitWageReport report = CHEJIAN__V1__SUBMIT_WAGE_REPORT__INIT;
    report.workshop_id = "W1";
    report.period = 202007;
    report.n_lines = nlines;
    report.lines = ptrs;
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    env.event_id = "e1";
    env.source = "hrss";
    env.occurred_at = s_wall_ms ();
    env.county = "510822";
    env.body_case = CHEJIAN__V1__ENVELOPE__BODY_SUBMIT_WAGE_REPORT;
    env.submit_wage_report = &report;
    uint8_t *bytes = cj_message_pack (&env.base, ret_len);
    assert_non_null (bytes);
    free (ptrs);
    free (lines);
    return bytes;
}

static void
test_decode_too_many_repeated (void **state)
{
    (void) state;
    size_t len = 0;
    uint8_t *bytes = s_wage_report (CJ_ENVELOPE_MAX_REPEATED + 1, &len);
    s_assert_refused (bytes, len, "submit_wage_report.lines", CJ_E_TOO_MANY);
    free (bytes);

    bytes = s_wage_report (CJ_ENVELOPE_MAX_REPEATED, &len);     /* at the limit: accepted */
    cj_problems_t p;
    cj_problems_init (&p);
    cj_envelope_t *env = cj_envelope_decode (bytes, len, &p);
    assert_non_null (env);
    assert_int_equal (p.count, 0);
    assert_int_equal (env->body_case, CHEJIAN__V1__ENVELOPE__BODY_SUBMIT_WAGE_REPORT);
    assert_int_equal (env->submit_wage_report->n_lines, CJ_ENVELOPE_MAX_REPEATED);
    assert_ptr_equal (cj_envelope_body (env), &env->submit_wage_report->base);
    cj_envelope_free (&env);
    free (bytes);
}

static void
test_decode_too_long_string (void **state)
{
    (void) state;
    cj_envelope_t env;
    Chejian__V1__BusProbe probe;
    size_t len = 0;
    cj_problems_t p;

    /* a header string over the limit */
    s_envelope (&env, &probe);
    char *text = s_repeat ('a', CJ_ENVELOPE_MAX_STRING + 1);
    env.causation_id = text;
    uint8_t *bytes = cj_message_pack (&env.base, &len);
    s_assert_refused (bytes, len, "causation_id", CJ_E_TOO_LONG);
    free (bytes);
    /* at the limit: accepted by decode */
    text[CJ_ENVELOPE_MAX_STRING] = 0;
    bytes = cj_message_pack (&env.base, &len);
    cj_problems_init (&p);
    cj_envelope_t *got = cj_envelope_decode (bytes, len, &p);
    assert_non_null (got);
    assert_int_equal (strlen (got->causation_id), CJ_ENVELOPE_MAX_STRING);
    cj_envelope_free (&got);
    free (bytes);
    free (text);

    /* a bytes field inside the body over the limit: named under the body */
    s_envelope (&env, &probe);
    uint8_t *payload = calloc (CJ_ENVELOPE_MAX_STRING + 1, 1);
    assert_non_null (payload);
    probe.payload.data = payload;
    probe.payload.len = CJ_ENVELOPE_MAX_STRING + 1;
    bytes = cj_message_pack (&env.base, &len);
    s_assert_refused (bytes, len, "bus_probe.payload", CJ_E_TOO_LONG);
    free (bytes);
    free (payload);
}

/*  ---- validate ----  */

static void
test_validate_valid_edges (void **state)
{
    (void) state;
    cj_envelope_t env;
    Chejian__V1__BusProbe probe;
    cj_problems_t p;
    s_envelope (&env, &probe);
    char *id = s_repeat ('Z', CJ_EVENT_ID_MAX), *source = s_repeat ('z', CJ_SOURCE_MAX);
    char *trace = s_repeat ('~', CJ_TRACE_ID_MAX);
    env.event_id = id;
    env.source = source;
    env.trace_id = trace;
    env.occurred_at = S_MS_2000_01_01;
    assert_int_equal (s_validate (&env, &p), 0);
    assert_int_equal (p.count, 0);
    env.event_id = "AZaz09._:/#@-";
    env.source = "az09_-";
    env.trace_id = "";                                    /* none */
    env.occurred_at = s_wall_ms () + S_MS_PER_DAY - 60000; /* a little under a day ahead */
    assert_int_equal (s_validate (&env, &p), 0);
    /* problems already in the list are not this envelope's */
    cj_problems_init (&p);
    cj_problems_add (&p, "x", CJ_E_INTERNAL, "earlier");
    assert_int_equal (cj_envelope_validate (&env, &p), 0);
    assert_int_equal (p.count, 1);
    free (id);
    free (source);
    free (trace);
}

typedef struct {
    const char *field;       /* header field to spoil */
    const char *value;       /* string value, or NULL for occurred_at */
    int64_t     occurred_at; /* relative to now when 'relative' */
    int         relative;
    const char *code;
} s_bad_t;

static void
test_validate_each_header_problem (void **state)
{
    (void) state;
    char *long_id = s_repeat ('a', CJ_EVENT_ID_MAX + 1);
    char *long_source = s_repeat ('a', CJ_SOURCE_MAX + 1);
    char *long_trace = s_repeat ('a', CJ_TRACE_ID_MAX + 1);
    const s_bad_t cases[] = {
        { "event_id", "", 0, 0, CJ_E_REQUIRED },
        { "event_id", long_id, 0, 0, CJ_E_TOO_LONG },
        { "event_id", "has space", 0, 0, CJ_E_INVALID_FORMAT },
        { "event_id", "semi;colon", 0, 0, CJ_E_INVALID_FORMAT },
        { "event_id", "\xe4\xb8\xad", 0, 0, CJ_E_INVALID_FORMAT },
        { "source", "", 0, 0, CJ_E_REQUIRED },
        { "source", "HRSS", 0, 0, CJ_E_INVALID_FORMAT },
        { "source", "hrss.510822", 0, 0, CJ_E_INVALID_FORMAT },
        { "source", long_source, 0, 0, CJ_E_TOO_LONG },
        { "occurred_at", NULL, S_MS_2000_01_01 - 1, 0, CJ_E_OUT_OF_RANGE },
        { "occurred_at", NULL, 0, 0, CJ_E_OUT_OF_RANGE },
        { "occurred_at", NULL, -1, 0, CJ_E_OUT_OF_RANGE },
        { "occurred_at", NULL, 2 * S_MS_PER_DAY, 1, CJ_E_OUT_OF_RANGE },
        { "occurred_at", NULL, S_MS_PER_DAY + 60000, 1, CJ_E_OUT_OF_RANGE },
        { "county", "510800", 0, 0, CJ_E_INVALID_FORMAT },
        { "county", "5108", 0, 0, CJ_E_INVALID_FORMAT },
        { "county", "51082a", 0, 0, CJ_E_INVALID_FORMAT },
        { "county", "990822", 0, 0, CJ_E_INVALID_FORMAT },
        { "county", "", 0, 0, CJ_E_REQUIRED },
        { "trace_id", "has space", 0, 0, CJ_E_INVALID_FORMAT },
        { "trace_id", "tab\there", 0, 0, CJ_E_INVALID_FORMAT },
        { "trace_id", "\xe4\xb8\xad", 0, 0, CJ_E_INVALID_FORMAT },
        { "trace_id", long_trace, 0, 0, CJ_E_TOO_LONG },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const s_bad_t *c = &cases[i];
        cj_envelope_t env;
        Chejian__V1__BusProbe probe;
        s_envelope (&env, &probe);
        if (strcmp (c->field, "event_id") == 0)
            env.event_id = (char *) c->value;
        else if (strcmp (c->field, "source") == 0)
            env.source = (char *) c->value;
        else if (strcmp (c->field, "county") == 0)
            env.county = (char *) c->value;
        else if (strcmp (c->field, "trace_id") == 0)
            env.trace_id = (char *) c->value;
        else
            env.occurred_at = c->relative ? s_wall_ms () + c->occurred_at : c->occurred_at;
        cj_problems_t p;
        if (s_validate (&env, &p) != -1 || p.count != 1)
            fail_msg ("case %zu (%s=%s): expected one problem, got %zu", i, c->field,
                      c->value ? c->value : "<time>", p.count);
        s_assert_problem (&p, 0, c->field, c->code);
    }
    free (long_id);
    free (long_source);
    free (long_trace);
}

static void
test_validate_body_required (void **state)
{
    (void) state;
    cj_envelope_t env;
    Chejian__V1__BusProbe probe;
    cj_problems_t p;
    s_envelope (&env, &probe);
    env.body_case = CHEJIAN__V1__ENVELOPE__BODY__NOT_SET;
    assert_int_equal (s_validate (&env, &p), -1);
    assert_int_equal (p.count, 1);
    s_assert_problem (&p, 0, "body", CJ_E_REQUIRED);

    s_envelope (&env, &probe);
    env.bus_probe = NULL;                      /* case set, message missing */
    assert_int_equal (s_validate (&env, &p), -1);
    assert_int_equal (p.count, 1);
    s_assert_problem (&p, 0, "body", CJ_E_REQUIRED);

    s_envelope (&env, &probe);
    env.body_case = (Chejian__V1__Envelope__BodyCase) 4;   /* a header field, not a body */
    assert_int_equal (s_validate (&env, &p), -1);
    s_assert_problem (&p, 0, "body", CJ_E_REQUIRED);
}

static void
test_validate_reports_every_problem (void **state)
{
    (void) state;
    cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
    env.event_id = "bad id";
    env.source = "Upper";
    env.occurred_at = s_wall_ms () + 2 * S_MS_PER_DAY;
    env.county = "510800";
    env.trace_id = "with space";
    cj_problems_t p;
    assert_int_equal (s_validate (&env, &p), -1);
    assert_int_equal (p.count, 6);
    assert_int_equal (p.dropped, 0);
    s_assert_problem (&p, 0, "event_id", CJ_E_INVALID_FORMAT);
    s_assert_problem (&p, 1, "source", CJ_E_INVALID_FORMAT);
    s_assert_problem (&p, 2, "occurred_at", CJ_E_OUT_OF_RANGE);
    s_assert_problem (&p, 3, "county", CJ_E_INVALID_FORMAT);
    s_assert_problem (&p, 4, "trace_id", CJ_E_INVALID_FORMAT);
    s_assert_problem (&p, 5, "body", CJ_E_REQUIRED);

    /* a decoded empty envelope: every required header field and the body */
    cj_envelope_t *empty = cj_envelope_decode ("", 0, &p);
    assert_non_null (empty);
    assert_int_equal (s_validate (empty, &p), -1);
    assert_int_equal (p.count, 5);
    s_assert_problem (&p, 0, "event_id", CJ_E_REQUIRED);
    s_assert_problem (&p, 1, "source", CJ_E_REQUIRED);
    s_assert_problem (&p, 2, "occurred_at", CJ_E_OUT_OF_RANGE);
    s_assert_problem (&p, 3, "county", CJ_E_REQUIRED);
    s_assert_problem (&p, 4, "body", CJ_E_REQUIRED);
    cj_envelope_free (&empty);
}

/*  ---- body classification ----  */

static void
test_body_ranges (void **state)
{
    (void) state;
    static const struct { int body; cj_owner_t owner; cj_kind_t kind; } cases[] = {
        { 100, CJ_OWNER_REGISTRY, CJ_KIND_COMMAND },
        { 199, CJ_OWNER_REGISTRY, CJ_KIND_COMMAND },
        { 200, CJ_OWNER_REGISTRY, CJ_KIND_QUERY },
        { 250, CJ_OWNER_REGISTRY, CJ_KIND_QUERY },
        { 300, CJ_OWNER_REGISTRY, CJ_KIND_EVENT },
        { 399, CJ_OWNER_REGISTRY, CJ_KIND_EVENT },
        { 400, CJ_OWNER_PAYROLL, CJ_KIND_COMMAND },
        { 599, CJ_OWNER_PAYROLL, CJ_KIND_QUERY },
        { 600, CJ_OWNER_PAYROLL, CJ_KIND_EVENT },
        { 699, CJ_OWNER_PAYROLL, CJ_KIND_EVENT },
        { 700, CJ_OWNER_ADJUDICATOR, CJ_KIND_COMMAND },
        { 891, CJ_OWNER_ADJUDICATOR, CJ_KIND_QUERY },
        { 900, CJ_OWNER_ADJUDICATOR, CJ_KIND_EVENT },
        { 999, CJ_OWNER_ADJUDICATOR, CJ_KIND_EVENT },
        { 0, CJ_OWNER_NONE, CJ_KIND_NONE },
        { -1, CJ_OWNER_NONE, CJ_KIND_NONE },
        { 50, CJ_OWNER_NONE, CJ_KIND_NONE },
        { 99, CJ_OWNER_NONE, CJ_KIND_NONE },
        { 1000, CJ_OWNER_NONE, CJ_KIND_NONE },
        { 100000, CJ_OWNER_NONE, CJ_KIND_NONE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cj_body_owner (cases[i].body) != cases[i].owner
            || cj_body_kind (cases[i].body) != cases[i].kind)
            fail_msg ("body %d: owner %d kind %d, expected owner %d kind %d", cases[i].body,
                      cj_body_owner (cases[i].body), cj_body_kind (cases[i].body),
                      cases[i].owner, cases[i].kind);
    }
    assert_string_equal (cj_owner_name (CJ_OWNER_REGISTRY), "registry");
    assert_string_equal (cj_owner_name (CJ_OWNER_PAYROLL), "payroll");
    assert_string_equal (cj_owner_name (CJ_OWNER_ADJUDICATOR), "adjudicator");
    assert_string_equal (cj_owner_name (CJ_OWNER_NONE), "none");

    assert_string_equal (cj_body_name (CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP),
                         "register_workshop");
    assert_string_equal (cj_body_name (CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE), "bus_probe");
    assert_string_equal (cj_body_name (CHEJIAN__V1__ENVELOPE__BODY_SUBMIT_WAGE_REPORT),
                         "submit_wage_report");
    assert_string_equal (cj_body_name (0), "none");
    assert_string_equal (cj_body_name (1), "none");      /* event_id: a header, not a body */
    assert_string_equal (cj_body_name (50), "none");
    assert_string_equal (cj_body_name (1000), "none");
    assert_string_equal (cj_body_name (-5), "none");
}

/*  Every body of the real contract sits in a range with an owner and a kind, so routing
 *  never meets a body it cannot place; and the header fields are not bodies.  */
static void
test_every_body_has_an_owner (void **state)
{
    (void) state;
    const ProtobufCMessageDescriptor *d = &chejian__v1__envelope__descriptor;
    size_t bodies = 0;
    size_t per_owner[4] = { 0 };
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        int id = (int) f->id;
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
            assert_int_equal (cj_body_owner (id), CJ_OWNER_NONE);
            assert_string_equal (cj_body_name (id), "none");
            continue;
        }
        bodies++;
        assert_int_equal (f->type, PROTOBUF_C_TYPE_MESSAGE);
        cj_owner_t owner = cj_body_owner (id);
        if (owner == CJ_OWNER_NONE || cj_body_kind (id) == CJ_KIND_NONE)
            fail_msg ("body %s = %d has no owner or kind", f->name, id);
        per_owner[owner]++;
        assert_string_equal (cj_body_name (id), f->name);
        /* the numbering rule, independently of the implementation */
        assert_int_equal (owner, (id / 100 - 1) / 3 + 1);
        assert_int_equal (cj_body_kind (id), (id / 100 - 1) % 3 + 1);
    }
    assert_true (bodies > 50);
    assert_true (per_owner[CJ_OWNER_REGISTRY] > 0);
    assert_true (per_owner[CJ_OWNER_PAYROLL] > 0);
    assert_true (per_owner[CJ_OWNER_ADJUDICATOR] > 0);
}

static void
test_envelope_body_pointer (void **state)
{
    (void) state;
    cj_envelope_t env;
    Chejian__V1__BusProbe probe;
    s_envelope (&env, &probe);
    assert_ptr_equal (cj_envelope_body (&env), &probe.base);
    Chejian__V1__SubmitWageReport report = CHEJIAN__V1__SUBMIT_WAGE_REPORT__INIT;
    env.body_case = CHEJIAN__V1__ENVELOPE__BODY_SUBMIT_WAGE_REPORT;
    env.submit_wage_report = &report;
    assert_ptr_equal (cj_envelope_body (&env), &report.base);
    env.body_case = CHEJIAN__V1__ENVELOPE__BODY__NOT_SET;
    assert_null (cj_envelope_body (&env));
    env.body_case = (Chejian__V1__Envelope__BodyCase) 3;    /* occurred_at: not a message */
    assert_null (cj_envelope_body (&env));
    env.body_case = (Chejian__V1__Envelope__BodyCase) 12345;
    assert_null (cj_envelope_body (&env));
}

/*  ---- Ack ----  */

static void
test_ack_attach_problems (void **state)
{
    (void) state;
    cj_problems_t p;
    cj_problems_init (&p);
    cj_ack_problems_t storage;
    cj_ack_t ack = CHEJIAN__V1__ACK__INIT;

    cj_ack_attach_problems (&ack, NULL, &storage);
    assert_int_equal (ack.n_problems, 0);
    assert_null (ack.problems);
    cj_ack_attach_problems (&ack, &p, &storage);
    assert_int_equal (ack.n_problems, 0);
    assert_null (ack.problems);

    cj_problems_add (&p, "county", CJ_E_INVALID_FORMAT, "must be 6 digits");
    cj_problems_add (&p, "", CJ_E_INTERNAL, "whole");
    cj_ack_attach_problems (&ack, &p, &storage);
    assert_int_equal (ack.n_problems, 2);
    assert_string_equal (ack.problems[0]->field, "county");
    assert_string_equal (ack.problems[0]->code, CJ_E_INVALID_FORMAT);
    assert_string_equal (ack.problems[0]->message, "must be 6 digits");
    assert_string_equal (ack.problems[1]->field, "");
    assert_string_equal (ack.problems[1]->code, CJ_E_INTERNAL);

    /* more than fit: every stored one, plus one saying how many were dropped */
    cj_problems_init (&p);
    for (int i = 0; i < CJ_PROBLEMS_MAX + 5; i++)
        cj_problems_add (&p, "lines", CJ_E_OUT_OF_RANGE, "problem %d", i);
    assert_int_equal (p.count, CJ_PROBLEMS_MAX);
    assert_int_equal (p.dropped, 5);
    cj_ack_attach_problems (&ack, &p, &storage);
    assert_int_equal (ack.n_problems, CJ_PROBLEMS_MAX + 1);
    assert_string_equal (ack.problems[CJ_PROBLEMS_MAX - 1]->message, "problem 31");
    const Chejian__V1__Problem *last = ack.problems[CJ_PROBLEMS_MAX];
    assert_string_equal (last->field, "");
    assert_string_equal (last->code, CJ_E_TOO_MANY);
    assert_non_null (strstr (last->message, "5 more"));

    /* and it goes over the wire intact */
    ack.event_id = "e-1";
    ack.status = CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED;
    size_t len = 0;
    uint8_t *bytes = cj_message_pack (&ack.base, &len);
    assert_non_null (bytes);
    cj_ack_t *got = chejian__v1__ack__unpack (NULL, len, bytes);
    assert_non_null (got);
    assert_int_equal (got->n_problems, CJ_PROBLEMS_MAX + 1);
    assert_string_equal (got->problems[0]->message, "problem 0");
    assert_string_equal (got->problems[CJ_PROBLEMS_MAX]->code, CJ_E_TOO_MANY);
    chejian__v1__ack__free_unpacked (got, NULL);
    free (bytes);
}

static void
test_ack_pack_simple (void **state)
{
    (void) state;
    cj_problems_t p;
    cj_problems_init (&p);
    cj_problems_add (&p, "source", CJ_E_INVALID_FORMAT, "lowercase only");
    size_t len = 0;
    uint8_t *bytes = cj_ack_pack_simple ("evt-9", CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED,
                                         &p, &len);
    assert_non_null (bytes);
    cj_ack_t *ack = chejian__v1__ack__unpack (NULL, len, bytes);
    assert_non_null (ack);
    assert_string_equal (ack->event_id, "evt-9");
    assert_int_equal (ack->status, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_REJECTED);
    assert_int_equal (ack->n_problems, 1);
    assert_string_equal (ack->problems[0]->field, "source");
    assert_string_equal (ack->problems[0]->code, CJ_E_INVALID_FORMAT);
    assert_string_equal (ack->problems[0]->message, "lowercase only");
    chejian__v1__ack__free_unpacked (ack, NULL);
    free (bytes);

    bytes = cj_ack_pack_simple (NULL, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE, NULL,
                                &len);
    assert_non_null (bytes);
    ack = chejian__v1__ack__unpack (NULL, len, bytes);
    assert_non_null (ack);
    assert_string_equal (ack->event_id, "");
    assert_int_equal (ack->status, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_UNAVAILABLE);
    assert_int_equal (ack->n_problems, 0);
    chejian__v1__ack__free_unpacked (ack, NULL);
    free (bytes);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_decode_valid),
        cmocka_unit_test (test_decode_too_large),
        cmocka_unit_test (test_decode_garbage_and_truncated),
        cmocka_unit_test (test_decode_too_many_repeated),
        cmocka_unit_test (test_decode_too_long_string),
        cmocka_unit_test (test_validate_valid_edges),
        cmocka_unit_test (test_validate_each_header_problem),
        cmocka_unit_test (test_validate_body_required),
        cmocka_unit_test (test_validate_reports_every_problem),
        cmocka_unit_test (test_body_ranges),
        cmocka_unit_test (test_every_body_has_an_owner),
        cmocka_unit_test (test_envelope_body_pointer),
        cmocka_unit_test (test_ack_attach_problems),
        cmocka_unit_test (test_ack_pack_simple),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
