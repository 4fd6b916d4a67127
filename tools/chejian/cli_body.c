/*  cli_body.c - envelopes and bodies for the commands: bodies by name, headers,
 *  content-derived event ids, query results, money and small input helpers.  */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "chejian/ident.h"

/*  True when 'key' is the lowerCamelCase json name of 'name'.  */
static bool
s_json_name_equals (const char *name, const char *key)
{
    for (; *name; name++) {
        if (*name == '_' && name[1]) {
            name++;
            if (*key++ != (*name >= 'a' && *name <= 'z' ? *name - 32 : *name))
                return false;
        } else if (*key++ != *name)
            return false;
    }
    return *key == 0;
}

const ProtobufCFieldDescriptor *
cli_body_field (const char *name)
{
    const ProtobufCMessageDescriptor *d = &chejian__v1__envelope__descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (strcmp (f->name, name) == 0 || s_json_name_equals (f->name, name))
            return f;
    }
    return NULL;
}

void
cli_envelope_set_body (cj_envelope_t *env, int body_case, ProtobufCMessage *body)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field (&chejian__v1__envelope__descriptor,
                                                 (unsigned) body_case);
    env->body_case = (Chejian__V1__Envelope__BodyCase) body_case;
    memcpy ((char *) env + f->offset, &body, sizeof body);
}

void
cli_envelope_header (cj_envelope_t *env, const char *event_id, const char *source,
                     const char *county, const char *trace_id)
{
    env->event_id = (char *) event_id;
    env->source = (char *) source;
    env->county = (char *) county;
    env->trace_id = (char *) (trace_id ? trace_id : "");
    env->occurred_at = cli_now_ms ();
}

int
cli_content_id (char out[CLI_EVENT_ID_MAX], const char *prefix, const char *county,
                int body_case, const ProtobufCMessage *body)
{
    size_t len;
    uint8_t *packed = cj_message_pack (body, &len);
    if (!packed)
        return -1;
    uint8_t number[4] = { (uint8_t) (body_case >> 24), (uint8_t) (body_case >> 16),
                          (uint8_t) (body_case >> 8), (uint8_t) body_case };
    uint8_t hash[16];
    crypto_generichash_state st;
    crypto_generichash_init (&st, NULL, 0, sizeof hash);
    crypto_generichash_update (&st, (const uint8_t *) county, strlen (county) + 1);
    crypto_generichash_update (&st, number, sizeof number);
    crypto_generichash_update (&st, packed, len);
    crypto_generichash_final (&st, hash, sizeof hash);
    free (packed);
    char hex[2 * sizeof hash + 1];
    sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
    snprintf (out, CLI_EVENT_ID_MAX, "%s-%s", prefix, hex);
    return 0;
}

void
cli_trace_id (char out[CLI_TRACE_ID_LEN + 1])
{
    uint8_t raw[CLI_TRACE_ID_LEN / 2];
    randombytes_buf (raw, sizeof raw);
    sodium_bin2hex (out, CLI_TRACE_ID_LEN + 1, raw, sizeof raw);
}

int64_t
cli_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int32_t
cli_today_cn (void)
{
    time_t t = time (NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r (&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

const ProtobufCMessage *
cli_ack_result (const cj_ack_t *ack)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field (&chejian__v1__ack__descriptor,
                                                 (unsigned) ack->result_case);
    if (!f || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return NULL;
    return *(const ProtobufCMessage *const *) ((const char *) ack + f->offset);
}

void
cli_print_problems (FILE *out, const cj_ack_t *ack, const char *indent)
{
    for (size_t i = 0; i < ack->n_problems; i++) {
        const Chejian__V1__Problem *p = ack->problems[i];
        fprintf (out, "%s%s%s%s %s\n", indent, p->field, p->field[0] ? ": " : "", p->code,
                 p->message);
    }
}

char *
cli_format_yuan (int64_t fen, char buf[32])
{
    uint64_t u = fen < 0 ? (uint64_t) 0 - (uint64_t) fen : (uint64_t) fen;
    snprintf (buf, 32, "%s%" PRIu64 ".%02" PRIu64, fen < 0 ? "-" : "", u / 100, u % 100);
    return buf;
}

char *
cli_read_file (const char *path, size_t *ret_len)
{
    FILE *f = strcmp (path, "-") == 0 ? stdin : fopen (path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, len = 0;
    char *buf = malloc (cap);
    while (buf) {
        size_t n = fread (buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
        if (len + 1 == cap) {
            char *bigger = realloc (buf, cap * 2);
            if (!bigger) {
                free (buf);
                buf = NULL;
                errno = ENOMEM;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    int saved = errno;
    bool failed = ferror (f);
    if (f != stdin)
        fclose (f);
    if (buf && failed) {
        free (buf);
        buf = NULL;
    }
    if (!buf) {
        errno = saved ? saved : EIO;
        return NULL;
    }
    buf[len] = 0;
    if (ret_len)
        *ret_len = len;
    return buf;
}

void
cli_mask_resident_ids (char *text)
{
    size_t run = 0;
    for (char *p = text; *p; p++) {
        bool digit = *p >= '0' && *p <= '9';
        if ((digit || *p == 'X' || *p == 'x') && run == 17) {
            memset (p - 11, '*', 8);   /* keep the area code and the last four */
            run = 0;
            continue;
        }
        run = digit ? run + 1 : 0;
    }
}

int
cli_parse_int_option (const char *text, long min, long max, long *ret)
{
    char *end;
    errno = 0;
    long v = strtol (text, &end, 10);
    if (errno || end == text || *end || v < min || v > max)
        return -1;
    *ret = v;
    return 0;
}
