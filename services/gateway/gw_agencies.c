/*  gw_agencies.c - the agencies file and the permission check. See gateway.h.  */
#include "gateway.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "chejian/ident.h"

struct gw_agencies_t {
    size_t       count;
    gw_agency_t *items;      /* sorted by id */
};

/*  Writes "<path>: <what>" into 'err'; returns -1 for the caller to pass on.  */
static int __attribute__ ((format (printf, 4, 5)))
s_fail (char *err, size_t size, const char *path, const char *fmt, ...)
{
    char what[384];
    va_list args;
    va_start (args, fmt);
    vsnprintf (what, sizeof what, fmt, args);
    va_end (args);
    snprintf (err, size, "%s: %s", path, what);
    return -1;
}

/*  ---- may_send ----  */

/*  Events and the test bodies (bus_probe, bus_probe_applied) are never an agency's to send.  */
static bool
s_never (int body)
{
    cj_kind_t kind = cj_body_kind (body);
    if (kind != CJ_KIND_COMMAND && kind != CJ_KIND_QUERY)
        return true;
    return body == CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE
           || body == CHEJIAN__V1__ENVELOPE__BODY_BUS_PROBE_APPLIED;
}

static bool
s_body_exists (int body)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field (
        &chejian__v1__envelope__descriptor, (unsigned) body);
    return f && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF);
}

static void
s_allow (gw_agency_t *agency, int body)
{
    agency->may_send[body / 8] |= (uint8_t) (1u << (body % 8));
}

/*  Allows every body of 'owner' (NONE: any) and 'kind' (NONE: commands and queries).  */
static void
s_allow_group (gw_agency_t *agency, cj_owner_t owner, cj_kind_t kind)
{
    for (int body = 100; body < GW_BODY_MAX; body++)
        if (s_body_exists (body) && !s_never (body)
            && (owner == CJ_OWNER_NONE || cj_body_owner (body) == owner)
            && (kind == CJ_KIND_NONE || cj_body_kind (body) == kind))
            s_allow (agency, body);
}

/*  Reads a group name ("payroll.queries", "*.queries", "*") into 'ret_owner'/'ret_kind'.
 *  Returns 0, or -1 when 'name' is not a group.  */
static int
s_group (const char *name, cj_owner_t *ret_owner, cj_kind_t *ret_kind)
{
    if (strcmp (name, "*") == 0) {
        *ret_owner = CJ_OWNER_NONE;
        *ret_kind = CJ_KIND_NONE;
        return 0;
    }
    const char *dot = strchr (name, '.');
    cj_kind_t kind = !dot ? CJ_KIND_NONE
                   : strcmp (dot, ".commands") == 0 ? CJ_KIND_COMMAND
                   : strcmp (dot, ".queries") == 0  ? CJ_KIND_QUERY : CJ_KIND_NONE;
    if (kind == CJ_KIND_NONE)
        return -1;
    size_t len = (size_t) (dot - name);
    cj_owner_t owner = CJ_OWNER_NONE;
    if (len == 1 && name[0] == '*') {
        if (kind != CJ_KIND_QUERY)        /* "*.commands" is not a group: name them */
            return -1;
    } else {
        for (owner = CJ_OWNER_REGISTRY; owner <= CJ_OWNER_ADJUDICATOR; owner++)
            if (strlen (cj_owner_name (owner)) == len
                && strncmp (name, cj_owner_name (owner), len) == 0)
                break;
        if (owner > CJ_OWNER_ADJUDICATOR)
            return -1;
    }
    *ret_owner = owner;
    *ret_kind = kind;
    return 0;
}

/*  Adds one may_send entry: a body name or a group.  */
static int
s_parse_may_send_one (gw_agency_t *agency, const char *name, char *err, size_t size,
                      const char *path, size_t index, size_t entry)
{
    cj_owner_t owner;
    cj_kind_t kind;
    if (s_group (name, &owner, &kind) == 0) {
        s_allow_group (agency, owner, kind);
        return 0;
    }
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name (
        &chejian__v1__envelope__descriptor, name);
    if (!f || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return s_fail (err, size, path, "agencies[%zu].may_send[%zu]: '%s' is neither a body "
                       "name of envelope.proto nor a group (registry.commands, "
                       "payroll.queries, *.queries, * ...)", index, entry, name);
    if (s_never ((int) f->id))
        return s_fail (err, size, path, "agencies[%zu].may_send[%zu]: '%s' is an event or a "
                       "test body, which no agency may send; remove it", index, entry, name);
    s_allow (agency, (int) f->id);
    return 0;
}

static int
s_parse_may_send (gw_agency_t *agency, json_t *list, char *err, size_t size, const char *path,
                  size_t index)
{
    if (!json_is_array (list) || json_array_size (list) == 0)
        return s_fail (err, size, path, "agencies[%zu].may_send: a non-empty array of body "
                       "names or groups is required", index);
    size_t i;
    json_t *name;
    json_array_foreach (list, i, name) {
        if (!json_is_string (name))
            return s_fail (err, size, path, "agencies[%zu].may_send[%zu]: a string is "
                           "required", index, i);
        if (s_parse_may_send_one (agency, json_string_value (name), err, size, path, index,
                                  i) != 0)
            return -1;
    }
    return 0;
}

/*  ---- counties ----  */

static int
s_parse_counties (gw_agency_t *agency, json_t *list, char *err, size_t size, const char *path,
                  size_t index)
{
    if (!json_is_array (list) || json_array_size (list) == 0
        || json_array_size (list) > GW_COUNTIES_MAX)
        return s_fail (err, size, path, "agencies[%zu].counties: an array of 1..%d "
                       "jurisdictions (\"510822\", \"5108\", \"51\") or [\"*\"] is required",
                       index, GW_COUNTIES_MAX);
    size_t i;
    json_t *code;
    json_array_foreach (list, i, code) {
        const char *text = json_is_string (code) ? json_string_value (code) : NULL;
        bool all = text && strcmp (text, "*") == 0;
        if (!all && (!text || strcmp (text, "000000") == 0
                     || cj_check_jurisdiction (NULL, NULL, text) != 0))
            return s_fail (err, size, path, "agencies[%zu].counties[%zu]: not a county, city "
                           "or province code (\"510822\", \"5108\", \"51\"; \"*\" for all)",
                           index, i);
        snprintf (agency->counties[agency->ncounties++], sizeof agency->counties[0], "%s",
                  all ? "" : text);
    }
    return 0;
}

/*  ---- one agency ----  */

static int
s_parse_agency (gw_agency_t *agency, json_t *entry, char *err, size_t size, const char *path,
                size_t index)
{
    if (!json_is_object (entry))
        return s_fail (err, size, path, "agencies[%zu]: an object is required", index);
    const char *member;
    json_t *value;
    json_object_foreach (entry, member, value)
        if (strcmp (member, "id") != 0 && strcmp (member, "public_key") != 0
            && strcmp (member, "counties") != 0 && strcmp (member, "may_send") != 0
            && strcmp (member, "comment") != 0)
            return s_fail (err, size, path, "agencies[%zu]: unknown member '%s' (id, "
                           "public_key, counties, may_send, comment)", index, member);
    const char *id = json_string_value (json_object_get (entry, "id"));
    if (!id || cj_check_token (NULL, NULL, id, CJ_CURVE_AGENCY_MAX,
                               CJ_TOKEN_LOWER | CJ_TOKEN_DIGIT, "_-", true) != 0)
        return s_fail (err, size, path, "agencies[%zu].id: 1..%d characters of [a-z0-9_-] "
                       "are required (the source of the agency's envelopes)", index,
                       CJ_CURVE_AGENCY_MAX);
    snprintf (agency->id, sizeof agency->id, "%s", id);
    const char *key = json_string_value (json_object_get (entry, "public_key"));
    if (!key || !cj_curve_key_valid (key))
        return s_fail (err, size, path, "agencies[%zu].public_key: the agency's public key, 40 "
                       "Z85 characters (its .pub file), is required", index);
    snprintf (agency->public_key, sizeof agency->public_key, "%s", key);
    zmq_z85_decode (agency->key, agency->public_key);
    if (s_parse_counties (agency, json_object_get (entry, "counties"), err, size, path, index)
        || s_parse_may_send (agency, json_object_get (entry, "may_send"), err, size, path,
                             index))
        return -1;
    return 0;
}

static int
s_by_id (const void *a, const void *b)
{
    return strcmp (((const gw_agency_t *) a)->id, ((const gw_agency_t *) b)->id);
}

/*  Refuses two agencies with one id (sorted neighbours) or one key.  */
static int
s_check_unique (const gw_agencies_t *self, char *err, size_t size, const char *path)
{
    for (size_t i = 0; i < self->count; i++) {
        if (i > 0 && strcmp (self->items[i - 1].id, self->items[i].id) == 0)
            return s_fail (err, size, path, "agency '%s' is listed twice; ids must be unique",
                           self->items[i].id);
        for (size_t j = i + 1; j < self->count; j++)
            if (memcmp (self->items[i].key, self->items[j].key, 32) == 0)
                return s_fail (err, size, path, "agencies '%s' and '%s' have the same "
                               "public_key; each agency needs its own key pair",
                               self->items[i].id, self->items[j].id);
    }
    return 0;
}

static int
s_parse (gw_agencies_t *self, json_t *root, char *err, size_t size, const char *path)
{
    json_t *list = json_is_object (root) ? json_object_get (root, "agencies") : NULL;
    if (!json_is_array (list) || json_array_size (list) > GW_AGENCIES_MAX)
        return s_fail (err, size, path, "an object {\"agencies\": [...]} with at most %d "
                       "agencies is required", GW_AGENCIES_MAX);
    self->items = calloc (json_array_size (list) + 1, sizeof *self->items);
    if (!self->items)
        return s_fail (err, size, path, "out of memory");
    size_t i;
    json_t *entry;
    json_array_foreach (list, i, entry) {
        if (s_parse_agency (&self->items[i], entry, err, size, path, i) != 0)
            return -1;
        self->count++;
    }
    qsort (self->items, self->count, sizeof *self->items, s_by_id);
    return s_check_unique (self, err, size, path);
}

gw_agencies_t *
gw_agencies_load (const char *path, char *err, size_t err_size)
{
    json_error_t jerr;
    json_t *root = json_load_file (path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        char *near = strstr (jerr.text, " near ");   /* may quote the file: keys stay out */
        if (near)
            *near = 0;
        if (jerr.line < 1)
            s_fail (err, err_size, path, "cannot read it (%s)", jerr.text);
        else
            s_fail (err, err_size, path, "not valid JSON (line %d: %s)", jerr.line, jerr.text);
        return NULL;
    }
    gw_agencies_t *self = calloc (1, sizeof *self);
    if (!self || s_parse (self, root, err, err_size, path) != 0) {
        if (!self)
            s_fail (err, err_size, path, "out of memory");
        gw_agencies_destroy (&self);
    }
    json_decref (root);
    return self;
}

void
gw_agencies_destroy (gw_agencies_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_agencies_t *self = *self_p;
    free (self->items);
    free (self);
    *self_p = NULL;
}

size_t
gw_agencies_count (const gw_agencies_t *self)
{
    return self ? self->count : 0;
}

gw_agency_t *
gw_agencies_by_id (gw_agencies_t *self, const char *id)
{
    if (!self || !id || strlen (id) > CJ_CURVE_AGENCY_MAX)
        return NULL;
    gw_agency_t probe;
    snprintf (probe.id, sizeof probe.id, "%s", id);
    return bsearch (&probe, self->items, self->count, sizeof *self->items, s_by_id);
}

gw_agency_t *
gw_agencies_by_key (gw_agencies_t *self, const uint8_t key[32])
{
    for (size_t i = 0; self && i < self->count; i++)
        if (memcmp (self->items[i].key, key, 32) == 0)
            return &self->items[i];
    return NULL;
}

void
gw_agencies_carry (gw_agencies_t *self, gw_agencies_t *old)
{
    for (size_t i = 0; self && i < self->count; i++) {
        gw_agency_t *before = gw_agencies_by_id (old, self->items[i].id);
        self->items[i].in_flight = before ? before->in_flight : 0;
    }
}

/*  ---- permission ----  */

bool
gw_agency_may_send (const gw_agency_t *agency, int body_case)
{
    if (body_case < 100 || body_case >= GW_BODY_MAX || s_never (body_case))
        return false;
    return agency->may_send[body_case / 8] & (1u << (body_case % 8));
}

static bool
s_county_allowed (const gw_agency_t *agency, const char *county)
{
    for (size_t i = 0; i < agency->ncounties; i++)
        if (strncmp (county, agency->counties[i], strlen (agency->counties[i])) == 0)
            return true;
    return false;
}

int
gw_agency_permit (const gw_agency_t *agency, const cj_envelope_t *env, cj_problems_t *problems)
{
    int rc = 0;
    if (strcmp (env->source, agency->id) != 0) {
        cj_problems_add (problems, "source", CJ_E_PERMISSION_DENIED, "the source must be the "
                         "agency of the key that sent it ('%s')", agency->id);
        rc = -1;
    }
    if (!s_county_allowed (agency, env->county)) {
        cj_problems_add (problems, "county", CJ_E_PERMISSION_DENIED, "agency '%s' may not send "
                         "for county %s (see its counties in the agencies file)", agency->id,
                         env->county);
        rc = -1;
    }
    if (!gw_agency_may_send (agency, env->body_case)) {
        cj_problems_add (problems, "body", CJ_E_PERMISSION_DENIED, "agency '%s' may not send "
                         "%s%s", agency->id, cj_body_name (env->body_case),
                         s_never (env->body_case) ? " (events and test bodies come from "
                         "services only)" : " (see its may_send in the agencies file)");
        rc = -1;
    }
    return rc;
}
