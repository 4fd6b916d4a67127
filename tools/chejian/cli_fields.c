/*  cli_fields.c - CSV cells into values: money (fen, or yuan with two decimals, exactly),
 *  booleans, dates, periods, unsigned integers and enum names. No floating point anywhere.  */
#include "cli.h"

#include <string.h>
#include <strings.h>

#include "chejian/ident.h"

#define S_FEN_MAX 1000000000000000LL   /* 10^15 fen: beyond any amount the contract allows */

static bool
s_digits (const char *text, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (text[i] < '0' || text[i] > '9')
            return false;
    return true;
}

const char *
cli_parse_uint (const char *text, uint64_t max, uint64_t *ret)
{
    size_t len = strlen (text);
    if (!s_digits (text, len))
        return CJ_E_INVALID_FORMAT;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        uint64_t d = (uint64_t) (text[i] - '0');
        if (v > (max - d) / 10)
            return CJ_E_OUT_OF_RANGE;
        v = v * 10 + d;
    }
    *ret = v;
    return NULL;
}

const char *
cli_parse_fen (const char *text, int64_t *ret_fen)
{
    uint64_t v;
    const char *code = cli_parse_uint (text, (uint64_t) S_FEN_MAX, &v);
    if (!code)
        *ret_fen = (int64_t) v;
    return code;
}

const char *
cli_parse_yuan (const char *text, int64_t *ret_fen)
{
    const char *dot = strchr (text, '.');
    size_t whole = dot ? (size_t) (dot - text) : strlen (text);
    size_t decimals = dot ? strlen (dot + 1) : 0;
    if (!s_digits (text, whole) || (dot && (decimals < 1 || decimals > 2))
        || (dot && !s_digits (dot + 1, decimals)))
        return CJ_E_INVALID_FORMAT;
    uint64_t yuan = 0;
    for (size_t i = 0; i < whole; i++) {
        yuan = yuan * 10 + (uint64_t) (text[i] - '0');
        if (yuan > (uint64_t) S_FEN_MAX / 100)
            return CJ_E_OUT_OF_RANGE;
    }
    uint64_t fen = 0;
    for (size_t i = 0; i < 2; i++)
        fen = fen * 10 + (i < decimals ? (uint64_t) (dot[1 + i] - '0') : 0);
    *ret_fen = (int64_t) (yuan * 100 + fen);
    return NULL;
}

const char *
cli_parse_bool (const char *text, bool *ret)
{
    static const char *const yes[] = { "1", "true", "yes" }, *const no[] = { "0", "false", "no" };
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp (text, yes[i]) == 0) {
            *ret = true;
            return NULL;
        }
        if (strcasecmp (text, no[i]) == 0) {
            *ret = false;
            return NULL;
        }
    }
    return CJ_E_INVALID_FORMAT;
}

const char *
cli_parse_date (const char *text, int32_t *ret)
{
    if (strlen (text) != 8 || !s_digits (text, 8))
        return CJ_E_INVALID_FORMAT;
    uint64_t v;
    cli_parse_uint (text, 99999999, &v);
    if (!cj_date_valid ((int32_t) v))
        return CJ_E_INVALID_DATE;
    *ret = (int32_t) v;
    return NULL;
}

const char *
cli_parse_period (const char *text, int32_t *ret)
{
    if (strlen (text) != 6 || !s_digits (text, 6))
        return CJ_E_INVALID_FORMAT;
    uint64_t v;
    cli_parse_uint (text, 999999, &v);
    if (!cj_period_valid ((int32_t) v))
        return CJ_E_INVALID_PERIOD;
    *ret = (int32_t) v;
    return NULL;
}

/*  Length of the prefix every value name of 'desc' starts with ("WORKSHOP_TYPE_"), read off
 *  the UNSPECIFIED value.  */
static size_t
s_enum_prefix (const ProtobufCEnumDescriptor *desc)
{
    static const char unspecified[] = "UNSPECIFIED";
    for (unsigned i = 0; i < desc->n_values; i++) {
        const char *name = desc->values[i].name;
        size_t len = strlen (name);
        if (desc->values[i].value == 0 && len >= sizeof unspecified - 1
            && strcmp (name + len - (sizeof unspecified - 1), unspecified) == 0)
            return len - (sizeof unspecified - 1);
    }
    return 0;
}

const char *
cli_parse_enum (const ProtobufCEnumDescriptor *desc, const char *text, int *ret)
{
    size_t prefix = s_enum_prefix (desc);
    for (unsigned i = 0; i < desc->n_values; i++) {
        const ProtobufCEnumValue *v = &desc->values[i];
        if (v->value == 0)
            continue;
        if (strcasecmp (text, v->name) == 0 || strcasecmp (text, v->name + prefix) == 0) {
            *ret = v->value;
            return NULL;
        }
    }
    return CJ_E_UNKNOWN_ENUM;
}

const char *
cli_enum_short_name (const ProtobufCEnumDescriptor *desc, int value, char *buf, size_t size)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value (desc, value);
    if (!v) {
        snprintf (buf, size, "%d", value);
        return buf;
    }
    const char *name = v->name + s_enum_prefix (desc);
    size_t i = 0;
    for (; name[i] && i + 1 < size; i++)
        buf[i] = (char) (name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    buf[i] = 0;
    return buf;
}
