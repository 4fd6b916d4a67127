/*  gen_seeds.c - writes the generated seeds of tests/fuzz/corpus/ from what the repository
 *  already holds, so that they can be made again after a contract change:
 *
 *      fuzz_gen_seeds ROOT        (ROOT: the repository; build-fz/tests/fuzz/fuzz_gen_seeds)
 *
 *  corpus/envelope/  binary Envelopes: the sample county's JSON lines (deploy/sample/),
 *                    a few of each body), the envelopes `chejian import` makes of
 *                    tests/cli/data/ CSV files, and one envelope per body of the contract with an
 *                    empty body (so every validator is reached from the start);
 *  corpus/json/      the same sample lines as text, and the CSV envelopes as proto3 JSON;
 *  corpus/csv/       a kind byte (fuzz_csv.c) and a CSV file: tests/cli/data/ (good and bad)
 *                    and the first rows of deploy/sample/ CSV files;
 *  corpus/policy/    deploy/policy/ files as they are;
 *  corpus/gateway/   agency requests (fuzz_gateway.c's framing) carrying sample envelopes,
 *                    each from an agency allowed to send it, answered ACCEPTED.
 *
 *  Files are named after what they hold; existing files of the same name are replaced, others
 *  (hand-made seeds) are left alone.  */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chejian/envelope.h"
#include "chejian/json.h"
#include "cli.h"

static const char *s_root;
static int s_written;

static void
s_write (const char *dir, const char *name, const void *data, size_t len)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/tests/fuzz/corpus/%s/%s", s_root, dir, name);
    FILE *f = fopen (path, "wb");
    if (!f || fwrite (data, 1, len, f) != len || fclose (f) != 0) {
        fprintf (stderr, "fuzz_gen_seeds: cannot write %s: %s\n", path, strerror (errno));
        exit (1);
    }
    s_written++;
}

static char *
s_read (const char *rel, size_t *ret_len)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", s_root, rel);
    char *text = cli_read_file (path, ret_len);
    if (!text) {
        fprintf (stderr, "fuzz_gen_seeds: cannot read %s: %s\n", path, strerror (errno));
        exit (1);
    }
    return text;
}

/*  A gateway request: [who][no extra frames][payload length][payload][reply: ACCEPTED].  */
static void
s_write_gateway (const char *name, int who, const uint8_t *payload, size_t len,
                 const char *event_id)
{
    size_t ack_len;
    uint8_t *ack = cj_ack_pack_simple (event_id, CHEJIAN__V1__ACK_STATUS__ACK_STATUS_ACCEPTED,
                                       NULL, &ack_len);
    uint8_t *buf = malloc (4 + len + ack_len);
    if (!ack || !buf || len > 0xffff)
        exit (1);
    buf[0] = (uint8_t) who;
    buf[1] = 0;
    buf[2] = (uint8_t) (len >> 8);
    buf[3] = (uint8_t) len;
    memcpy (buf + 4, payload, len);
    memcpy (buf + 4 + len, ack, ack_len);
    s_write ("gateway", name, buf, 4 + len + ack_len);
    free (buf);
    free (ack);
}

/*  The agency of tests/fuzz/gateway_agencies.json that may send 'env' (index as in
 *  fuzz_gateway.c).  */
static int
s_agency_for (const cj_envelope_t *env)
{
    if (strcmp (env->source, "bank-510822") == 0)
        return 1;
    return strncmp (env->source, "ws-", 3) == 0 ? 2 : 0;
}

/*  Up to 'per_body' lines of each body of a JSON-lines file as seeds.  */
static void
s_jsonl (const char *rel, const char *stem, int per_body)
{
    size_t len;
    char *text = s_read (rel, &len);
    int count[1000] = { 0 }, n = 0;
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"), n++) {
        cj_problems_t p;
        cj_problems_init (&p);
        cj_envelope_t *env = (cj_envelope_t *) cj_json_loads (&chejian__v1__envelope__descriptor,
                                                             line, strlen (line), 0, &p);
        if (!env || env->body_case >= 1000 || count[env->body_case]++ >= per_body) {
            protobuf_c_message_free_unpacked (env ? &env->base : NULL, NULL);
            continue;
        }
        char name[256];
        size_t blen;
        uint8_t *bytes = cj_message_pack (&env->base, &blen);
        snprintf (name, sizeof name, "%s-%d-%s.bin", stem, n, cj_body_name (env->body_case));
        s_write ("envelope", name, bytes, blen);
        snprintf (name, sizeof name, "%s-%d-%s", stem, n, cj_body_name (env->body_case));
        if (count[env->body_case] == 1)
            s_write_gateway (name, s_agency_for (env), bytes, blen, env->event_id);
        snprintf (name, sizeof name, "%s-%d-%s.json", stem, n, cj_body_name (env->body_case));
        s_write ("json", name, line, strlen (line));
        free (bytes);
        protobuf_c_message_free_unpacked (&env->base, NULL);
    }
    free (text);
}

/*  The envelopes `chejian import` makes of a CSV file (the first 'max' items).  */
static void
s_csv_items (const char *rel, int kind, size_t max)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", s_root, rel);
    cli_file_t file = { .path = path, .kind = kind };
    const char *source = kind == CLI_KIND_WAGES ? "ws-qc-p01" : "hrss-510822";
    cli_import_ctx_t ctx = { source, "510822", "0123456789abcdef" };
    if (cli_file_load (&file, &ctx) != 0)
        exit (1);
    for (size_t i = 0; i < file.n_items && i < max; i++) {
        const cli_item_t *item = &file.items[i];
        char name[256];
        snprintf (name, sizeof name, "csv-%s-%zu.bin", cli_kind_name (kind), i);
        s_write ("envelope", name, item->bytes, item->len);
        if (item->end_bytes) {
            snprintf (name, sizeof name, "csv-%s-%zu-end.bin", cli_kind_name (kind), i);
            s_write ("envelope", name, item->end_bytes, item->end_len);
        }
        cj_envelope_t *env = cj_envelope_decode (item->bytes, item->len, NULL);
        char *json = env ? cj_json_dumps (&env->base, 0) : NULL;
        if (!json)
            exit (1);
        snprintf (name, sizeof name, "csv-%s-%zu.json", cli_kind_name (kind), i);
        s_write ("json", name, json, strlen (json));
        if (i == 0) {
            snprintf (name, sizeof name, "csv-%s", cli_kind_name (kind));
            s_write_gateway (name, s_agency_for (env), item->bytes, item->len, item->event_id);
        }
        free (json);
        cj_envelope_free (&env);
    }
    cli_file_fini (&file);
}

/*  One envelope per body of the contract, its body empty.  */
static void
s_empty_bodies (void)
{
    const ProtobufCMessageDescriptor *desc = &chejian__v1__envelope__descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        const ProtobufCMessageDescriptor *bd = f->descriptor;
        ProtobufCMessage *body = calloc (1, bd->sizeof_message);
        if (!body)
            exit (1);
        protobuf_c_message_init (bd, body);
        cj_envelope_t env = CHEJIAN__V1__ENVELOPE__INIT;
        env.event_id = "seed-1";
        env.source = "hrss-510822";
        env.occurred_at = 1593565200000LL;
        env.county = "510822";
        env.trace_id = "0123456789abcdef";
        env.body_case = (Chejian__V1__Envelope__BodyCase) f->id;
        *(ProtobufCMessage **) ((char *) &env + f->offset) = body;
        size_t len;
        uint8_t *bytes = cj_message_pack (&env.base, &len);
        char name[256];
        snprintf (name, sizeof name, "empty-%u-%s.bin", f->id, f->name);
        s_write ("envelope", name, bytes, len);
        free (bytes);
        free (body);
    }
}

/*  [kind byte][the first 'lines' lines of a CSV file] ('lines' 0: all of it).  */
static void
s_csv_seed (const char *rel, int kind, int county, int lines, const char *name)
{
    size_t len;
    char *text = s_read (rel, &len);
    size_t keep = len;
    for (size_t i = 0, n = 0; lines && i < len; i++)
        if (text[i] == '\n' && ++n == (size_t) lines) {
            keep = i + 1;
            break;
        }
    char *buf = malloc (keep + 1);
    if (!buf)
        exit (1);
    buf[0] = (char) (kind | (county ? 4 : 0));
    memcpy (buf + 1, text, keep);
    s_write ("csv", name, buf, keep + 1);
    free (buf);
    free (text);
}

static void
s_policies (void)
{
    static const char *const files[] = {
        "000000-national-2021.json", "45-guangxi-2018.json", "45-guangxi-2022.json",
        "50-chongqing-2022.json", "500236-fengjie-2018.json", "500237-wushan-2018.json",
        "510822-qingchuan-2019.json",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char rel[256];
        size_t len;
        snprintf (rel, sizeof rel, "deploy/policy/%s", files[i]);
        char *text = s_read (rel, &len);
        s_write ("policy", files[i], text, len);
        free (text);
    }
}

int
main (int argc, char **argv)
{
    if (argc != 2) {
        fprintf (stderr, "usage: fuzz_gen_seeds REPOSITORY_ROOT\n");
        return 2;
    }
    s_root = argv[1];
    s_jsonl ("deploy/sample/setup.jsonl", "setup", 3);
    s_jsonl ("deploy/sample/decisions.jsonl", "decisions", 2);
    s_jsonl ("deploy/sample/stakes.jsonl", "stakes", 2);
    static const char *const kinds[CLI_KINDS] = { "workshops", "workers", "employments",
                                                  "wages" };
    for (int k = 0; k < CLI_KINDS; k++) {
        char rel[256], name[64];
        snprintf (rel, sizeof rel, "tests/cli/data/%s.csv", kinds[k]);
        s_csv_items (rel, k, 3);
        snprintf (name, sizeof name, "cli-%s.csv", kinds[k]);
        s_csv_seed (rel, k, 1, 0, name);
        snprintf (rel, sizeof rel, "deploy/sample/%s.csv", kinds[k]);
        snprintf (name, sizeof name, "sample-%s-head.csv", kinds[k]);
        s_csv_seed (rel, k, 0, 12, name);
    }
    s_csv_seed ("tests/cli/data/bad/workers_bad.csv", CLI_KIND_WORKERS, 0, 0,
                "cli-bad-workers.csv");
    s_csv_seed ("tests/cli/data/bad/wages_bad.csv", CLI_KIND_WAGES, 1, 0, "cli-bad-wages.csv");
    s_empty_bodies ();
    s_policies ();
    printf ("fuzz_gen_seeds: %d files written under %s/tests/fuzz/corpus/\n", s_written, s_root);
    return 0;
}
