/*  registry_workshop.c - RegisterWorkshop and UpdateWorkshop: validation of the workshop
 *  record, its operator and funds; the parent (branch or host) link without cycles; the open
 *  dates against the workshop's employments; the type and children indexes.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry_internal.h"

#define S_PARTNERS_MIN  2
#define S_PARTNERS_MAX  50
#define S_FUNDS_MAX     100

typedef Chejian__V1__WorkshopDetails s_details_t;
typedef Chejian__V1__Operator        s_operator_t;

/*  What each operator kind carries: a person's resident ID, a USCC (0 forbidden, 1 optional,
 *  2 required), partners.  */
typedef struct {
    bool person;
    int  uscc;
    bool partners;
} s_kind_rule_t;

static const s_kind_rule_t s_kind_rules[] = {
    [CHEJIAN__V1__OPERATOR_KIND__OPERATOR_KIND_PERSON]             = { true, 0, false },
    [CHEJIAN__V1__OPERATOR_KIND__OPERATOR_KIND_PARTNERSHIP]        = { false, 1, true },
    [CHEJIAN__V1__OPERATOR_KIND__OPERATOR_KIND_ENTERPRISE]         = { false, 2, false },
    [CHEJIAN__V1__OPERATOR_KIND__OPERATOR_KIND_COOPERATIVE]        = { false, 2, false },
    [CHEJIAN__V1__OPERATOR_KIND__OPERATOR_KIND_VILLAGE_COLLECTIVE] = { false, 2, false },
};

Chejian__V1__WorkshopStatus
registry_workshop_status (const reg_workshop_t *ws, int32_t date)
{
    if (date < ws->details->opened_date)
        return CHEJIAN__V1__WORKSHOP_STATUS__WORKSHOP_STATUS_PLANNED;
    if (ws->details->closed_date && date > ws->details->closed_date)
        return CHEJIAN__V1__WORKSHOP_STATUS__WORKSHOP_STATUS_CLOSED;
    return CHEJIAN__V1__WORKSHOP_STATUS__WORKSHOP_STATUS_OPEN;
}

/*  ---- validation ----  */

static void
s_forbid (cj_problems_t *p, const char *field, bool set)
{
    if (set)
        cj_problems_add (p, field, CJ_E_INVALID_FORMAT, "must be empty for this operator kind");
}

/*  Partners of a partnership: 2..50, each named and identified once, shares within 100 %.  */
static void
s_check_partners (cj_problems_t *p, const s_operator_t *op)
{
    if (op->n_partners < S_PARTNERS_MIN)
        cj_problems_add (p, "partners", CJ_E_REQUIRED, "a partnership lists %d to %d partners",
                         S_PARTNERS_MIN, S_PARTNERS_MAX);
    if (op->n_partners > S_PARTNERS_MAX)
        cj_problems_add (p, "partners", CJ_E_TOO_MANY, "at most %d partners (got %zu)",
                         S_PARTNERS_MAX, op->n_partners);
    uint64_t shares = 0;
    for (size_t i = 0; i < op->n_partners && i < S_PARTNERS_MAX; i++) {
        const Chejian__V1__Partner *partner = op->partners[i];
        cj_problems_push (p, "partners[%zu]", i);
        cj_check_text (p, "name", partner->name, 32, true);
        if (cj_check_resident_id (p, "resident_id", partner->resident_id) == 0)
            for (size_t j = 0; j < i; j++)
                if (strcmp (op->partners[j]->resident_id, partner->resident_id) == 0)
                    cj_problems_add (p, "resident_id", CJ_E_INVALID_FORMAT,
                                     "the same person as partners[%zu]", j);
        registry_check_unset (p, "partner_key", partner->partner_key);
        registry_check_unset (p, "resident_id_masked", partner->resident_id_masked);
        cj_check_range (p, "share_bp", partner->share_bp, 0, 10000);
        shares += partner->share_bp;
        cj_problems_pop (p);
    }
    if (shares > 10000)
        cj_problems_add (p, "partners", CJ_E_OUT_OF_RANGE,
                         "the partners' shares add up to more than 10000 bp");
}

/*  The fields of an operator that depend on its kind.  */
static void
s_check_operator_kind (cj_problems_t *p, const s_operator_t *op)
{
    if ((size_t) op->kind >= sizeof s_kind_rules / sizeof s_kind_rules[0])
        return;                     /* a kind added to the contract after this code */
    const s_kind_rule_t *rule = &s_kind_rules[op->kind];
    if (rule->person)
        cj_check_resident_id (p, "resident_id", op->resident_id);
    s_forbid (p, "resident_id", !rule->person && *op->resident_id);
    if (rule->uscc == 2 || (rule->uscc == 1 && *op->uscc))
        cj_check_uscc (p, "uscc", op->uscc);
    s_forbid (p, "uscc", rule->uscc == 0 && *op->uscc);
    if (rule->partners)
        s_check_partners (p, op);
    s_forbid (p, "partners", !rule->partners && op->n_partners);
    s_forbid (p, "registered_poor", !rule->person && op->registered_poor);
}

static void
s_check_operator (cj_problems_t *p, const s_operator_t *op)
{
    if (cj_check_present (p, "operator", op) != 0)
        return;
    cj_problems_push (p, "operator");
    if (cj_check_enum (p, "kind", &chejian__v1__operator_kind__descriptor,
                             (int) op->kind, true) == 0)
        s_check_operator_kind (p, op);
    cj_check_text (p, "name", op->name, 64, true);
    registry_check_unset (p, "operator_key", op->operator_key);
    registry_check_unset (p, "resident_id_masked", op->resident_id_masked);
    cj_problems_pop (p);
}

static void
s_check_funds (cj_problems_t *p, const s_details_t *d)
{
    if (d->n_funds > S_FUNDS_MAX)
        cj_problems_add (p, "funds", CJ_E_TOO_MANY, "at most %d receipts (got %zu)",
                         S_FUNDS_MAX, d->n_funds);
    for (size_t i = 0; i < d->n_funds && i < S_FUNDS_MAX; i++) {
        const Chejian__V1__FundReceipt *f = d->funds[i];
        cj_problems_push (p, "funds[%zu]", i);
        cj_check_enum (p, "source", &chejian__v1__fund_source__descriptor,
                             (int) f->source, true);
        cj_check_range (p, "amount_fen", f->amount_fen, 1, 1000000000000LL);
        cj_check_date_required (p, "received_date", f->received_date);
        cj_check_text (p, "provider", f->provider, 64, false);
        cj_check_text (p, "purpose", f->purpose, 64, false);
        cj_problems_pop (p);
    }
}

/*  GB/T 4754 industry code: a section letter A..T and up to 4 digits; "" if not known.  */
static void
s_check_industry_code (cj_problems_t *p, const char *code)
{
    size_t len = strlen (code);
    bool ok = len == 0 || (len <= 5 && code[0] >= 'A' && code[0] <= 'T');
    for (size_t i = 1; ok && i < len; i++)
        ok = code[i] >= '0' && code[i] <= '9';
    if (!ok)
        cj_problems_add (p, "industry_code", CJ_E_INVALID_FORMAT,
                         "must be a section letter A to T and up to 4 digits (GB/T 4754)");
}

/*  The parts of a workshop record that are not its operator or funds.  */
static void
s_check_site (cj_problems_t *p, const s_details_t *d, const char *county)
{
    registry_check_location (p, "location", d->location, county);
    cj_check_enum (p, "site_kind", &chejian__v1__site_kind__descriptor,
                         (int) d->site_kind, true);
    cj_check_text (p, "site_name", d->site_name, 64, false);
    cj_check_range (p, "floor_area_m2", d->floor_area_m2, 0, 10000000);
    cj_check_text (p, "industry", d->industry, 32, true);
    s_check_industry_code (p, d->industry_code);
    cj_check_range (p, "planned_jobs", d->planned_jobs, 0, 100000);
}

/*  A whole workshop record of workshop 'id' under field 'details'.  */
static void
s_check_details (cj_problems_t *p, const s_details_t *d, const char *county, const char *id)
{
    if (cj_check_present (p, "details", d) != 0)
        return;
    cj_problems_push (p, "details");
    cj_check_text (p, "name", d->name, 64, true);
    cj_check_enum (p, "type", &chejian__v1__workshop_type__descriptor, (int) d->type, true);
    cj_check_enum (p, "role", &chejian__v1__workshop_role__descriptor, (int) d->role, false);
    if (registry_check_workshop_id (p, "parent_workshop_id", d->parent_workshop_id, false) == 0
        && *d->parent_workshop_id && strcmp (d->parent_workshop_id, id) == 0)
        cj_problems_add (p, "parent_workshop_id", CJ_E_CONFLICT,
                         "a workshop cannot be its own parent");
    if (d->role == CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_BRANCH && !*d->parent_workshop_id)
        cj_problems_add (p, "parent_workshop_id", CJ_E_REQUIRED, "a branch names its parent");
    s_check_site (p, d, county);
    s_check_operator (p, d->operator_);
    s_check_funds (p, d);
    cj_check_date_required (p, "opened_date", d->opened_date);
    if (cj_check_date_opt (p, "closed_date", d->closed_date) == 0)
        cj_check_date_order (p, "closed_date", d->opened_date, d->closed_date);
    cj_problems_pop (p);
}

int
registry_validate_register_workshop (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__RegisterWorkshop *cmd = env->register_workshop;
    registry_begin (p, env);
    registry_check_workshop_id (p, "workshop_id", cmd->workshop_id, true);
    s_check_details (p, cmd->details, env->county, cmd->workshop_id);
    return registry_end (p);
}

int
registry_validate_update_workshop (const cj_envelope_t *env, cj_problems_t *p)
{
    const Chejian__V1__UpdateWorkshop *cmd = env->update_workshop;
    registry_begin (p, env);
    registry_check_workshop_id (p, "workshop_id", cmd->workshop_id, true);
    s_check_details (p, cmd->details, env->county, cmd->workshop_id);
    cj_check_date_opt (p, "effective_date", cmd->effective_date);
    return registry_end (p);
}

/*  ---- checks against state ----  */

/*  The parent must exist in the county, and following parents up from it must not lead back
 *  to 'id' (nor go deeper than REG_PARENT_DEPTH).  */
static int
s_check_parent (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *id,
                const char *parent)
{
    cj_problems_t *p = cj_ctx_problems (ctx);
    const char *field = "details.parent_workshop_id";
    for (int depth = 0; *parent; depth++) {
        reg_workshop_t *ws = NULL;
        int rc = registry_require (ctx, arena, county, REG_WORKSHOPS, parent,
                                   &chejian__registry__workshop_record__descriptor,
                                   (void **) &ws, field, "parent workshop");
        if (rc != 1)
            return rc < 0 ? -1 : 0;
        if (strcmp (parent, id) == 0) {
            cj_problems_add (p, field, CJ_E_CONFLICT, "makes a cycle of parents");
            return 0;
        }
        if (depth == REG_PARENT_DEPTH) {
            cj_problems_add (p, field, CJ_E_CONFLICT, "the chain of parents is deeper than %d",
                             REG_PARENT_DEPTH);
            return 0;
        }
        parent = ws->details->parent_workshop_id;
    }
    return 0;
}

/*  New open dates must still hold every employment of the workshop (ENTERED_IN_ERROR ones
 *  aside): to close a workshop, end its employments on or before the closing date first.  */
static int
s_check_dates_hold (cj_ctx_t *ctx, cj_arena_t *arena, const char *county, const char *id,
                    const s_details_t *d)
{
    reg_refs_t *refs = NULL;
    if (registry_read_refs (ctx, arena, county, REG_EMP_BY_WORKSHOP, id, &refs) != 0)
        return -1;
    bool early = false, late = false;
    for (size_t i = 0; i < refs->n_refs; i++) {
        const reg_ref_t *r = refs->refs[i];
        early = early || (!r->voided && r->start_date < d->opened_date);
        late = late || (!r->voided && d->closed_date
                        && (r->end_date == 0 || r->end_date > d->closed_date));
    }
    cj_problems_t *p = cj_ctx_problems (ctx);
    if (early)
        cj_problems_add (p, "details.opened_date", CJ_E_CONFLICT,
                         "an employment of this workshop starts before this date");
    if (late)
        cj_problems_add (p, "details.closed_date", CJ_E_CONFLICT,
                         "an employment of this workshop is open or ends after this date; "
                         "end it first");
    return 0;
}

/*  ---- writing ----  */

/*  A copy of 'in' in the arena as it is stored and emitted: operator and partners keyed by
 *  pseudonym with masked IDs, resident IDs dropped; role UNSPECIFIED read as WORKSHOP.  */
static s_details_t *
s_public_details (cj_ctx_t *ctx, cj_arena_t *arena, const s_details_t *in)
{
    s_details_t *d = cj_arena_alloc (arena, sizeof *d);
    s_operator_t *op = cj_arena_alloc (arena, sizeof *op);
    Chejian__V1__Partner **partners = cj_arena_alloc (arena, (in->operator_->n_partners + 1)
                                                             * sizeof *partners);
    if (!d || !op || !partners)
        return NULL;
    *d = *in;
    *op = *in->operator_;
    d->operator_ = op;
    d->role = d->role ? d->role : CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_WORKSHOP;
    if (*op->resident_id) {
        op->operator_key = registry_worker_key (ctx, arena, op->resident_id);
        op->resident_id_masked = registry_masked (arena, op->resident_id);
        op->resident_id = "";
    }
    op->partners = partners;
    for (size_t i = 0; i < op->n_partners; i++) {
        Chejian__V1__Partner *partner = cj_arena_alloc (arena, sizeof *partner);
        if (!partner)
            return NULL;
        *partner = *in->operator_->partners[i];
        partner->partner_key = registry_worker_key (ctx, arena, partner->resident_id);
        partner->resident_id_masked = registry_masked (arena, partner->resident_id);
        partner->resident_id = "";
        partners[i] = partner;
    }
    return d;
}

/*  Copies the member of field 'f' from 'from' into the empty message 'to'.  */
static void
s_copy_member (const ProtobufCFieldDescriptor *f, void *to, const void *from)
{
    size_t size = sizeof (int32_t);
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        memcpy ((char *) to + f->quantifier_offset, (const char *) from + f->quantifier_offset,
                sizeof (size_t));
        size = sizeof (void *);
    } else if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
        size = sizeof (void *);
    else if (f->type == PROTOBUF_C_TYPE_BYTES)
        size = sizeof (ProtobufCBinaryData);
    else if (f->type == PROTOBUF_C_TYPE_INT64 || f->type == PROTOBUF_C_TYPE_UINT64
             || f->type == PROTOBUF_C_TYPE_SINT64 || f->type == PROTOBUF_C_TYPE_FIXED64
             || f->type == PROTOBUF_C_TYPE_SFIXED64 || f->type == PROTOBUF_C_TYPE_DOUBLE)
        size = sizeof (int64_t);
    memcpy ((char *) to + f->offset, (const char *) from + f->offset, size);
}

/*  True when field 'f' has the same value in 'a' and 'b' (compared as encoded).  */
static bool
s_same_field (const ProtobufCFieldDescriptor *f, const s_details_t *a, const s_details_t *b)
{
    s_details_t x = CHEJIAN__V1__WORKSHOP_DETAILS__INIT, y = CHEJIAN__V1__WORKSHOP_DETAILS__INIT;
    s_copy_member (f, &x, a);
    s_copy_member (f, &y, b);
    size_t lx, ly;
    uint8_t *px = cj_message_pack (&x.base, &lx), *py = cj_message_pack (&y.base, &ly);
    bool same = px && py && lx == ly && memcmp (px, py, lx) == 0;
    free (px);
    free (py);
    return same;
}

/*  The names of the fields whose value differs between 'old' and 'now' (in the arena).  */
static char **
s_changed_fields (cj_arena_t *arena, const s_details_t *old, const s_details_t *now,
                  size_t *ret_n)
{
    const ProtobufCMessageDescriptor *desc = &chejian__v1__workshop_details__descriptor;
    char **names = cj_arena_alloc (arena, (desc->n_fields + 1) * sizeof *names);
    size_t n = 0;
    for (unsigned i = 0; names && i < desc->n_fields; i++)
        if (!s_same_field (&desc->fields[i], old, now))
            names[n++] = (char *) desc->fields[i].name;
    *ret_n = n;
    return names;
}

/*  Moves 'id' in the type and children indexes from the old record's place (none when
 *  'old' is NULL) to the new one's.  */
static int
s_reindex (cj_ctx_t *ctx, const char *county, const char *id, const s_details_t *old,
           const s_details_t *now)
{
    char from[REG_ID_MAX + 16], to[REG_ID_MAX + 16];
    snprintf (from, sizeof from, "ws_type:%d", old ? (int) old->type : 0);
    snprintf (to, sizeof to, "ws_type:%d", (int) now->type);
    int rc = 0;
    if (!old || old->type != now->type)
        rc |= (old ? registry_index_del (ctx, county, from, id) : 0)
              | registry_index_add (ctx, county, to, 0, id);
    const char *was = old ? old->parent_workshop_id : "";
    if (strcmp (was, now->parent_workshop_id) == 0)
        return rc;
    snprintf (from, sizeof from, "ws_children:%s", was);
    snprintf (to, sizeof to, "ws_children:%s", now->parent_workshop_id);
    rc |= (*was ? registry_index_del (ctx, county, from, id) : 0)
          | (*now->parent_workshop_id ? registry_index_add (ctx, county, to, 0, id) : 0);
    return rc;
}

/*  Emits WorkshopRegistered (no 'old') or WorkshopUpdated for record 'rec'.  */
static int
s_emit_workshop (cj_ctx_t *ctx, cj_arena_t *arena, const cj_envelope_t *env,
                 const reg_workshop_t *rec, const reg_workshop_t *old)
{
    if (!old) {
        Chejian__V1__WorkshopRegistered ev = CHEJIAN__V1__WORKSHOP_REGISTERED__INIT;
        ev.workshop_id = rec->workshop_id;
        ev.version = rec->version;
        ev.details = rec->details;
        return registry_emit (ctx, CHEJIAN__V1__ENVELOPE__BODY_WORKSHOP_REGISTERED, &ev.base);
    }
    const Chejian__V1__UpdateWorkshop *cmd = env->update_workshop;
    Chejian__V1__WorkshopUpdated ev = CHEJIAN__V1__WORKSHOP_UPDATED__INIT;
    ev.workshop_id = rec->workshop_id;
    ev.version = rec->version;
    ev.details = rec->details;
    ev.effective_date = cmd->effective_date ? cmd->effective_date
                                            : registry_date_of_ms (env->occurred_at);
    ev.changed_fields = s_changed_fields (arena, old->details, rec->details,
                                          &ev.n_changed_fields);
    return ev.changed_fields ? registry_emit (ctx, CHEJIAN__V1__ENVELOPE__BODY_WORKSHOP_UPDATED,
                                              &ev.base) : -1;
}

/*  Writes workshop 'id' with 'details' as sent (a new record when 'old' is NULL), its
 *  indexes, and its event.  */
static int
s_store_workshop (cj_ctx_t *ctx, cj_arena_t *arena, const cj_envelope_t *env, const char *id,
                  const s_details_t *details, const reg_workshop_t *old)
{
    reg_workshop_t rec = CHEJIAN__REGISTRY__WORKSHOP_RECORD__INIT;
    rec.workshop_id = (char *) id;
    rec.details = s_public_details (ctx, arena, details);
    rec.version = old ? old->version + 1 : 1;
    rec.updated_at_ms = registry_now_ms ();
    rec.registered_at_ms = old ? old->registered_at_ms : rec.updated_at_ms;
    if (!rec.details
        || registry_write (ctx, env->county, REG_WORKSHOPS, id, &rec.base) != 0
        || s_reindex (ctx, env->county, id, old ? old->details : NULL, rec.details) != 0)
        return -1;
    return s_emit_workshop (ctx, arena, env, &rec, old);
}

static int
s_register (reg_call_t *c)
{
    const Chejian__V1__RegisterWorkshop *cmd = c->env->register_workshop;
    reg_workshop_t *old = NULL;
    int rc = registry_read (c->ctx, c->arena, c->county, REG_WORKSHOPS, cmd->workshop_id,
                            &chejian__registry__workshop_record__descriptor, (void **) &old);
    if (rc == 1)
        cj_problems_add (c->p, "workshop_id", CJ_E_CONFLICT,
                         "a workshop with this id is already registered in the county");
    if (rc >= 0)
        rc = s_check_parent (c->ctx, c->arena, c->county, cmd->workshop_id,
                             cmd->details->parent_workshop_id);
    if (rc == 0 && !cj_problems_any (c->p))
        rc = s_store_workshop (c->ctx, c->arena, c->env, cmd->workshop_id, cmd->details, NULL);
    return rc;
}

int
registry_apply_register_workshop (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return registry_run (ctx, env, NULL, s_register);
}

static int
s_update (reg_call_t *c)
{
    const Chejian__V1__UpdateWorkshop *cmd = c->env->update_workshop;
    reg_workshop_t *old = NULL;
    int rc = registry_require (c->ctx, c->arena, c->county, REG_WORKSHOPS, cmd->workshop_id,
                               &chejian__registry__workshop_record__descriptor, (void **) &old,
                               "workshop_id", "workshop");
    if (rc != 1)
        return rc;
    if (cmd->expected_version && cmd->expected_version != old->version)
        cj_problems_add (c->p, "expected_version", CJ_E_CONFLICT,
                         "the workshop is at version %u", old->version);
    if (s_check_parent (c->ctx, c->arena, c->county, cmd->workshop_id,
                        cmd->details->parent_workshop_id) != 0
        || s_check_dates_hold (c->ctx, c->arena, c->county, cmd->workshop_id, cmd->details) != 0)
        return -1;
    if (cj_problems_any (c->p))
        return 0;
    return s_store_workshop (c->ctx, c->arena, c->env, cmd->workshop_id, cmd->details, old);
}

int
registry_apply_update_workshop (cj_ctx_t *ctx, const cj_envelope_t *env)
{
    return registry_run (ctx, env, NULL, s_update);
}
