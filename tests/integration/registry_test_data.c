/*  registry_test_data.c - see registry_test_data.h. Figures from the seeds (Qingchuan).  */
#include "registry_test_data.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "chejian/ident.h"

void
reg_data_envelope (cj_envelope_t *env, const char *event_id, int body_case, const void *body)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    chejian__v1__envelope__init (env);
    env->event_id = (char *) event_id;
    env->source = "hrss";
    env->occurred_at = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    env->county = REG_DATA_COUNTY;
    env->body_case = body_case;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field (&chejian__v1__envelope__descriptor,
                                                 (unsigned) body_case);
    memcpy ((char *) env + f->offset, &body, sizeof body);
}

void
reg_data_resident_id (char out[19], int32_t birth, int n)
{
    static const char checks[] = "0123456789X";
    char text[40];
    snprintf (text, sizeof text, "510822%08d%03d0", (int) birth % 100000000, n % 1000);
    memcpy (out, text, 19);
    for (const char *c = checks; *c; c++) {        /* the one check character that fits */
        out[17] = *c;
        if (cj_check_resident_id (NULL, NULL, out) == 0)
            return;
    }
}

void
reg_data_workshop (reg_data_workshop_t *w, const char *id)
{
    memset (w, 0, sizeof *w);
    snprintf (w->id, sizeof w->id, "%s", id);
    chejian__v1__location__init (&w->location);
    w->location.township_name = "竹园镇";
    w->location.township_code = "510822104";
    w->location.village_name = "青坪村";
    chejian__v1__operator__init (&w->op);
    w->op.kind = CHEJIAN__V1__OPERATOR_KIND__OPERATOR_KIND_COOPERATIVE;
    w->op.name = "青川县青坪村茶叶专业合作社";
    w->op.uscc = "91350100M000100Y43";
    chejian__v1__fund_receipt__init (&w->fund);
    w->fund.source = CHEJIAN__V1__FUND_SOURCE__FUND_SOURCE_EAST_WEST_COOPERATION;
    w->fund.amount_fen = 200000000;
    w->fund.received_date = 20190115;
    w->fund.provider = "浙江省 (东西部扶贫协作)";
    w->funds[0] = &w->fund;
    chejian__v1__workshop_details__init (&w->details);
    w->details.name = "青坪茶叶扶贫车间";
    w->details.type = CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_SHAREHOLDING;
    w->details.location = &w->location;
    w->details.site_kind = CHEJIAN__V1__SITE_KIND__SITE_KIND_VILLAGE;
    w->details.floor_area_m2 = 800;
    w->details.industry = "茶叶加工";
    w->details.industry_code = "C1530";
    w->details.operator_ = &w->op;
    w->details.n_funds = 1;
    w->details.funds = w->funds;
    w->details.opened_date = 20190301;
    w->details.planned_jobs = 40;
    chejian__v1__register_workshop__init (&w->cmd);
    w->cmd.workshop_id = w->id;
    w->cmd.details = &w->details;
    chejian__v1__update_workshop__init (&w->update);
    w->update.workshop_id = w->id;
    w->update.details = &w->details;
}

void
reg_data_worker (reg_data_worker_t *w, int n)
{
    memset (w, 0, sizeof *w);
    reg_data_resident_id (w->resident_id, 19850312, n);
    snprintf (w->household, sizeof w->household, "H-%04d", n);
    chejian__v1__worker_details__init (&w->details);
    w->details.household_id = w->household;
    w->details.baseline_annual_income_fen = 360000;
    w->details.baseline_year = 2018;
    chejian__v1__disability__init (&w->disability);
    chejian__v1__worker_status__init (&w->status);
    w->status.poverty_status = CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_POOR;
    w->status.disability = &w->disability;
    chejian__v1__register_worker__init (&w->cmd);
    w->cmd.resident_id = w->resident_id;
    w->cmd.name = "王秀英";
    w->cmd.details = &w->details;
    w->cmd.status = &w->status;
    w->cmd.status_date = 20160101;
    w->cmd.status_agency = CHEJIAN__V1__AGENCY_KIND__AGENCY_KIND_POVERTY_OFFICE;
}

void
reg_data_employment (reg_data_employment_t *e, const char *id, int n, const char *workshop,
                     int32_t start)
{
    memset (e, 0, sizeof *e);
    snprintf (e->id, sizeof e->id, "%s", id);
    snprintf (e->workshop, sizeof e->workshop, "%s", workshop);
    reg_data_resident_id (e->resident_id, 19850312, n);
    chejian__v1__employment_terms__init (&e->terms);
    e->terms.contract_type = CHEJIAN__V1__CONTRACT_TYPE__CONTRACT_TYPE_LABOUR_CONTRACT;
    e->terms.start_date = start;
    e->terms.term_months = 12;
    e->terms.work_mode = CHEJIAN__V1__WORK_MODE__WORK_MODE_ON_SITE_FIXED_HOURS;
    e->terms.pay_basis = CHEJIAN__V1__PAY_BASIS__PAY_BASIS_MONTHLY;
    e->terms.monthly_wage_fen = 300000;
    e->terms.job_title = "制茶工";
    chejian__v1__start_employment__init (&e->cmd);
    e->cmd.employment_id = e->id;
    e->cmd.resident_id = e->resident_id;
    e->cmd.workshop_id = e->workshop;
    e->cmd.terms = &e->terms;
}

void
reg_data_holdings (reg_data_holdings_t *h, int n, const char *workshop)
{
    memset (h, 0, sizeof *h);
    reg_data_resident_id (h->resident_id, 19850312, n);
    chejian__v1__record_shareholding__init (&h->cmd);
    h->cmd.shareholding_id = "S1";
    h->cmd.household_id = "H-0001";
    h->cmd.resident_id = h->resident_id;
    h->cmd.workshop_id = (char *) workshop;
    h->cmd.land_mu_x100 = 400;
    h->cmd.funds_fen = 500000;
    h->cmd.guaranteed_annual_fen = 60000;
    h->cmd.dividend_share_bp = 150;
    h->cmd.start_date = 20190301;
    chejian__v1__record_training__init (&h->training);
    h->training.training_id = "T1";
    h->training.resident_id = h->resident_id;
    h->training.course = "茶叶加工";
    h->training.industry = "茶叶";
    h->training.hours = 40;
    h->training.certificate = CHEJIAN__V1__CERTIFICATE_KIND__CERTIFICATE_KIND_COMPLETION;
    h->training.start_date = 20190610;
    h->training.end_date = 20190614;
    h->training.workshop_id = (char *) workshop;
    chejian__v1__location__init (&h->location);
    h->location.township_name = "竹园镇";
    h->location.village_name = "庙宇村";
    chejian__v1__assign_post__init (&h->post);
    h->post.post_id = "P1";
    h->post.resident_id = h->resident_id;
    h->post.post_type = CHEJIAN__V1__POST_TYPE__POST_TYPE_RIVER_PATROL;
    h->post.post_name = "庙宇村河道管护员";
    h->post.monthly_pay_fen = 50000;
    h->post.location = &h->location;
    h->post.start_date = 20200101;
}

/*  ---- the catalogue ----  */

void
reg_data_msgs (reg_data_msgs_t *m)
{
    memset (m, 0, sizeof *m);
    reg_data_workshop (&m->workshop, "W1");
    reg_data_worker (&m->worker, 1);
    reg_data_worker (&m->worker2, 2);
    reg_data_employment (&m->employment, "E1", 1, "W1", 20200301);
    reg_data_holdings (&m->holdings, 1, "W1");
    chejian__v1__update_worker__init (&m->update_worker);
    m->update_worker.resident_id = m->worker.resident_id;
    m->update_worker.details = &m->worker.details;
    chejian__v1__disability__init (&m->disability);
    chejian__v1__status_change__init (&m->change);
    m->change.effective_date = 20200701;
    m->change.source_agency = CHEJIAN__V1__AGENCY_KIND__AGENCY_KIND_POVERTY_OFFICE;
    m->change.source_document = "青扶办〔2020〕12号";
    m->change.change_case = CHEJIAN__V1__STATUS_CHANGE__CHANGE_POVERTY_STATUS;
    m->change.poverty_status = CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_LIFTED_OUT;
    chejian__v1__change_worker_status__init (&m->change_status);
    m->change_status.resident_id = m->worker.resident_id;
    m->change_status.change = &m->change;
    m->amend_terms = m->employment.terms;
    m->amend_terms.monthly_wage_fen = 320000;
    chejian__v1__amend_employment__init (&m->amend);
    m->amend.employment_id = "E1";
    m->amend.terms = &m->amend_terms;
    m->amend.effective_date = 20200901;
    chejian__v1__end_employment__init (&m->end);
    m->end.employment_id = "E1";
    m->end.end_date = 20210228;
    m->end.reason = CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_TERM_EXPIRED;
    chejian__v1__end_post__init (&m->end_post);
    m->end_post.post_id = "P1";
    m->end_post.end_date = 20201231;
    m->end_post.reason = "合同期满";
}

const void *
reg_data_body (reg_data_msgs_t *m, int body_case)
{
    switch (body_case) {
    case CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP:    return &m->workshop.cmd;
    case CHEJIAN__V1__ENVELOPE__BODY_UPDATE_WORKSHOP:      return &m->workshop.update;
    case CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKER:      return &m->worker.cmd;
    case CHEJIAN__V1__ENVELOPE__BODY_UPDATE_WORKER:        return &m->update_worker;
    case CHEJIAN__V1__ENVELOPE__BODY_CHANGE_WORKER_STATUS: return &m->change_status;
    case CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT:     return &m->employment.cmd;
    case CHEJIAN__V1__ENVELOPE__BODY_AMEND_EMPLOYMENT:     return &m->amend;
    case CHEJIAN__V1__ENVELOPE__BODY_END_EMPLOYMENT:       return &m->end;
    case CHEJIAN__V1__ENVELOPE__BODY_RECORD_SHAREHOLDING:  return &m->holdings.cmd;
    case CHEJIAN__V1__ENVELOPE__BODY_RECORD_TRAINING:      return &m->holdings.training;
    case CHEJIAN__V1__ENVELOPE__BODY_ASSIGN_POST:          return &m->holdings.post;
    case CHEJIAN__V1__ENVELOPE__BODY_END_POST:             return &m->end_post;
    default:                                               return NULL;
    }
}

int
reg_data_setup (reg_data_msgs_t *m, reg_data_send_fn *send, void *arg)
{
    static const int order[] = {
        CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKSHOP, CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKER,
        CHEJIAN__V1__ENVELOPE__BODY_START_EMPLOYMENT, CHEJIAN__V1__ENVELOPE__BODY_RECORD_SHAREHOLDING,
        CHEJIAN__V1__ENVELOPE__BODY_RECORD_TRAINING, CHEJIAN__V1__ENVELOPE__BODY_ASSIGN_POST,
    };
    int rc = send (arg, CHEJIAN__V1__ENVELOPE__BODY_REGISTER_WORKER, &m->worker2.cmd);
    for (size_t i = 0; rc == 0 && i < sizeof order / sizeof order[0]; i++)
        rc = send (arg, order[i], reg_data_body (m, order[i]));
    return rc;
}

/*  Spoilers: each breaks one thing of a valid message.  */
#define S_SPOIL(name, statement) static void name (reg_data_msgs_t *m) { statement; }

S_SPOIL (s_ws_id_empty, m->workshop.cmd.workshop_id = "")
S_SPOIL (s_ws_id_chars, m->workshop.cmd.workshop_id = "W/1")
S_SPOIL (s_ws_id_long, m->workshop.cmd.workshop_id = "W123456789012345678901234567890123")
S_SPOIL (s_ws_name_empty, m->workshop.details.name = "")
S_SPOIL (s_ws_name_utf8, m->workshop.details.name = "\xe8\x8c\xff")
S_SPOIL (s_ws_name_long, memset (m->scratch[0], 'a', 65); m->workshop.details.name = m->scratch[0])
S_SPOIL (s_ws_type_unknown, m->workshop.details.type = 99)
S_SPOIL (s_ws_type_missing, m->workshop.details.type = 0)
S_SPOIL (s_ws_uscc_check, m->workshop.op.uscc = "91350100M000100Y44")
/*  A resident ID whose check character is wrong, in 'out'.  */
static char *
s_bad_check (char *out)
{
    reg_data_resident_id (out, 19700101, 5);
    out[17] = out[17] == '1' ? '2' : '1';
    return out;
}

S_SPOIL (s_ws_person_id, m->workshop.op.kind = CHEJIAN__V1__OPERATOR_KIND__OPERATOR_KIND_PERSON;
         m->workshop.op.uscc = ""; m->workshop.op.resident_id = s_bad_check (m->scratch[1]))
S_SPOIL (s_ws_closed_before, m->workshop.details.closed_date = 20190101)
S_SPOIL (s_ws_opened_nonexistent, m->workshop.details.opened_date = 20190230)
S_SPOIL (s_ws_fund_zero, m->workshop.fund.amount_fen = 0)
S_SPOIL (s_ws_fund_huge, m->workshop.fund.amount_fen = 10000000000000LL)
S_SPOIL (s_ws_township_county, m->workshop.location.township_code = "510823104")
S_SPOIL (s_ws_area, m->workshop.details.floor_area_m2 = 10000001)
S_SPOIL (s_ws_operator_key, m->workshop.op.operator_key = "0123456789abcdef0123456789abcdef")
S_SPOIL (s_ws_no_partners, m->workshop.op.kind = CHEJIAN__V1__OPERATOR_KIND__OPERATOR_KIND_PARTNERSHIP;
         m->workshop.op.uscc = "")
S_SPOIL (s_ws_industry_code, m->workshop.details.industry_code = "Z99")
S_SPOIL (s_ws_branch_orphan, m->workshop.details.role = CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_BRANCH)
S_SPOIL (s_ws_parent_unknown, m->workshop.cmd.workshop_id = "W2";
         m->workshop.details.parent_workshop_id = "W9")
S_SPOIL (s_ws_again, (void) m)
S_SPOIL (s_up_unknown, m->workshop.update.workshop_id = "W9")
S_SPOIL (s_up_version, m->workshop.update.expected_version = 7)
S_SPOIL (s_up_close_early, m->workshop.details.closed_date = 20200401)
S_SPOIL (s_up_open_late, m->workshop.details.opened_date = 20200401)
S_SPOIL (s_up_own_parent, m->workshop.details.parent_workshop_id = "W1")
S_SPOIL (s_up_effective, m->workshop.update.effective_date = 20201301)
S_SPOIL (s_wk_checksum, s_bad_check (m->worker.resident_id))
S_SPOIL (s_wk_birth, reg_data_resident_id (m->worker.resident_id, 19850230, 1))
S_SPOIL (s_wk_short, m->worker.resident_id[17] = 0)
S_SPOIL (s_wk_name_empty, m->worker.cmd.name = "")
S_SPOIL (s_wk_name_long, m->worker.cmd.name = "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三")
S_SPOIL (s_wk_name_control, m->worker.cmd.name = "王\n秀英")
S_SPOIL (s_wk_poverty_unknown, m->worker.status.poverty_status = 9)
S_SPOIL (s_wk_disability_grade, m->worker.disability.certified = 1; m->worker.disability.grade = 5;
         m->worker.disability.category = CHEJIAN__V1__DISABILITY_CATEGORY__DISABILITY_CATEGORY_PHYSICAL)
S_SPOIL (s_wk_household_key, m->worker.details.household_key = "0123456789abcdef0123456789abcdef")
S_SPOIL (s_wk_baseline, m->worker.details.baseline_annual_income_fen = 10000000001LL)
S_SPOIL (s_wk_agency, m->worker.cmd.status_agency = 0)
S_SPOIL (s_wk_again, (void) m)
S_SPOIL (s_uw_unknown, reg_data_resident_id (m->scratch[0], 19900101, 7);
         m->update_worker.resident_id = m->scratch[0])
S_SPOIL (s_uw_household, m->worker.details.household_id = "H/1")
S_SPOIL (s_cs_unset, m->change.change_case = CHEJIAN__V1__STATUS_CHANGE__CHANGE__NOT_SET)
S_SPOIL (s_cs_date, m->change.effective_date = 0)
S_SPOIL (s_cs_poverty, m->change.poverty_status = 0)
S_SPOIL (s_cs_unknown, reg_data_resident_id (m->scratch[0], 19900101, 7);
         m->change_status.resident_id = m->scratch[0])
S_SPOIL (s_em_worker, reg_data_resident_id (m->employment.resident_id, 19900101, 7);
         m->employment.cmd.employment_id = "E2")
S_SPOIL (s_em_workshop, m->employment.cmd.workshop_id = "W9"; m->employment.cmd.employment_id = "E2")
S_SPOIL (s_em_second_open, m->employment.cmd.employment_id = "E2";
         m->employment.terms.start_date = 20200601)
S_SPOIL (s_em_before_open, m->employment.cmd.employment_id = "E2";
         m->employment.cmd.resident_id = m->worker2.resident_id;
         m->employment.terms.start_date = 20190101)
S_SPOIL (s_em_pay_basis, m->employment.terms.pay_basis = 7)
S_SPOIL (s_em_wage_zero, m->employment.terms.monthly_wage_fen = 0)
S_SPOIL (s_em_term, m->employment.terms.term_months = 601)
S_SPOIL (s_em_again, (void) m)
S_SPOIL (s_em_minor, reg_data_resident_id (m->employment.resident_id, 20150101, 3))
S_SPOIL (s_em_no_contract, m->employment.terms.contract_type = CHEJIAN__V1__CONTRACT_TYPE__CONTRACT_TYPE_NONE)
S_SPOIL (s_am_unknown, m->amend.employment_id = "E9")
S_SPOIL (s_am_start, m->amend_terms.start_date = 20200302)
S_SPOIL (s_am_effective, m->amend.effective_date = 20200201)
S_SPOIL (s_end_reason, m->end.reason = 0)
S_SPOIL (s_end_note, m->end.reason = CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_OTHER)
S_SPOIL (s_end_before_start, m->end.end_date = 20200229)
S_SPOIL (s_end_nonexistent, m->end.end_date = 20210229)
S_SPOIL (s_sh_nothing, m->holdings.cmd.land_mu_x100 = 0; m->holdings.cmd.funds_fen = 0)
S_SPOIL (s_sh_share, m->holdings.cmd.dividend_share_bp = 10001)
S_SPOIL (s_sh_workshop, m->holdings.cmd.workshop_id = "W9"; m->holdings.cmd.shareholding_id = "S2")
S_SPOIL (s_sh_household, m->holdings.cmd.household_id = "H-0002")
S_SPOIL (s_tr_hours, m->holdings.training.hours = 0)
S_SPOIL (s_tr_certificate, m->holdings.training.certificate = 0)
S_SPOIL (s_tr_order, m->holdings.training.end_date = 20190609)
S_SPOIL (s_tr_workshop, m->holdings.training.workshop_id = "W9"; m->holdings.training.training_id = "T2")
S_SPOIL (s_po_type, m->holdings.post.post_type = 9)
S_SPOIL (s_po_pay, m->holdings.post.monthly_pay_fen = 0)
S_SPOIL (s_po_location, m->holdings.post.location = NULL)
S_SPOIL (s_po_again, (void) m)
S_SPOIL (s_ep_unknown, m->end_post.post_id = "P9")
S_SPOIL (s_ep_before, m->end_post.end_date = 20191231)
S_SPOIL (s_ep_reason, memset (m->scratch[0], 'x', 129); m->end_post.reason = m->scratch[0])

#define S_CASE(body, spoil, field, code, state) \
    { #spoil, CHEJIAN__V1__ENVELOPE__BODY_##body, spoil, field, code, state }

const reg_data_case_t reg_data_cases[] = {
    S_CASE (REGISTER_WORKSHOP, s_ws_id_empty, "register_workshop.workshop_id", "REQUIRED", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_id_chars, "register_workshop.workshop_id", "INVALID_FORMAT", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_id_long, "register_workshop.workshop_id", "TOO_LONG", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_name_empty, "register_workshop.details.name", "REQUIRED", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_name_utf8, "register_workshop.details.name", "INVALID_UTF8", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_name_long, "register_workshop.details.name", "TOO_LONG", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_type_unknown, "register_workshop.details.type", "UNKNOWN_ENUM", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_type_missing, "register_workshop.details.type", "REQUIRED", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_uscc_check, "register_workshop.details.operator.uscc", "INVALID_CHECKSUM", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_person_id, "register_workshop.details.operator.resident_id", "INVALID_CHECKSUM", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_closed_before, "register_workshop.details.closed_date", "OUT_OF_RANGE", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_opened_nonexistent, "register_workshop.details.opened_date", "INVALID_DATE", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_fund_zero, "register_workshop.details.funds[0].amount_fen", "OUT_OF_RANGE", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_fund_huge, "register_workshop.details.funds[0].amount_fen", "OUT_OF_RANGE", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_township_county, "register_workshop.details.location.township_code", "INVALID_FORMAT", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_area, "register_workshop.details.floor_area_m2", "OUT_OF_RANGE", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_operator_key, "register_workshop.details.operator.operator_key", "INVALID_FORMAT", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_no_partners, "register_workshop.details.operator.partners", "REQUIRED", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_industry_code, "register_workshop.details.industry_code", "INVALID_FORMAT", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_branch_orphan, "register_workshop.details.parent_workshop_id", "REQUIRED", 0),
    S_CASE (REGISTER_WORKSHOP, s_ws_parent_unknown, "register_workshop.details.parent_workshop_id", "NOT_FOUND", 1),
    S_CASE (REGISTER_WORKSHOP, s_ws_again, "register_workshop.workshop_id", "CONFLICT", 1),
    S_CASE (UPDATE_WORKSHOP, s_up_unknown, "update_workshop.workshop_id", "NOT_FOUND", 1),
    S_CASE (UPDATE_WORKSHOP, s_up_version, "update_workshop.expected_version", "CONFLICT", 1),
    S_CASE (UPDATE_WORKSHOP, s_up_close_early, "update_workshop.details.closed_date", "CONFLICT", 1),
    S_CASE (UPDATE_WORKSHOP, s_up_open_late, "update_workshop.details.opened_date", "CONFLICT", 1),
    S_CASE (UPDATE_WORKSHOP, s_up_own_parent, "update_workshop.details.parent_workshop_id", "CONFLICT", 0),
    S_CASE (UPDATE_WORKSHOP, s_up_effective, "update_workshop.effective_date", "INVALID_DATE", 0),
    S_CASE (REGISTER_WORKER, s_wk_checksum, "register_worker.resident_id", "INVALID_CHECKSUM", 0),
    S_CASE (REGISTER_WORKER, s_wk_birth, "register_worker.resident_id", "INVALID_DATE", 0),
    S_CASE (REGISTER_WORKER, s_wk_short, "register_worker.resident_id", "INVALID_FORMAT", 0),
    S_CASE (REGISTER_WORKER, s_wk_name_empty, "register_worker.name", "REQUIRED", 0),
    S_CASE (REGISTER_WORKER, s_wk_name_long, "register_worker.name", "TOO_LONG", 0),
    S_CASE (REGISTER_WORKER, s_wk_name_control, "register_worker.name", "INVALID_FORMAT", 0),
    S_CASE (REGISTER_WORKER, s_wk_poverty_unknown, "register_worker.status.poverty_status", "UNKNOWN_ENUM", 0),
    S_CASE (REGISTER_WORKER, s_wk_disability_grade, "register_worker.status.disability.grade", "OUT_OF_RANGE", 0),
    S_CASE (REGISTER_WORKER, s_wk_household_key, "register_worker.details.household_key", "INVALID_FORMAT", 0),
    S_CASE (REGISTER_WORKER, s_wk_baseline, "register_worker.details.baseline_annual_income_fen", "OUT_OF_RANGE", 0),
    S_CASE (REGISTER_WORKER, s_wk_agency, "register_worker.status_agency", "REQUIRED", 0),
    S_CASE (REGISTER_WORKER, s_wk_again, "register_worker.resident_id", "CONFLICT", 1),
    S_CASE (UPDATE_WORKER, s_uw_unknown, "update_worker.resident_id", "NOT_FOUND", 1),
    S_CASE (UPDATE_WORKER, s_uw_household, "update_worker.details.household_id", "INVALID_FORMAT", 0),
    S_CASE (CHANGE_WORKER_STATUS, s_cs_unset, "change_worker_status.change", "REQUIRED", 0),
    S_CASE (CHANGE_WORKER_STATUS, s_cs_date, "change_worker_status.change.effective_date", "REQUIRED", 0),
    S_CASE (CHANGE_WORKER_STATUS, s_cs_poverty, "change_worker_status.change.poverty_status", "REQUIRED", 0),
    S_CASE (CHANGE_WORKER_STATUS, s_cs_unknown, "change_worker_status.resident_id", "NOT_FOUND", 1),
    S_CASE (START_EMPLOYMENT, s_em_worker, "start_employment.resident_id", "NOT_FOUND", 1),
    S_CASE (START_EMPLOYMENT, s_em_workshop, "start_employment.workshop_id", "NOT_FOUND", 1),
    S_CASE (START_EMPLOYMENT, s_em_second_open, "start_employment.resident_id", "CONFLICT", 1),
    S_CASE (START_EMPLOYMENT, s_em_before_open, "start_employment.terms.start_date", "CONFLICT", 1),
    S_CASE (START_EMPLOYMENT, s_em_pay_basis, "start_employment.terms.pay_basis", "UNKNOWN_ENUM", 0),
    S_CASE (START_EMPLOYMENT, s_em_wage_zero, "start_employment.terms.monthly_wage_fen", "OUT_OF_RANGE", 0),
    S_CASE (START_EMPLOYMENT, s_em_term, "start_employment.terms.term_months", "OUT_OF_RANGE", 0),
    S_CASE (START_EMPLOYMENT, s_em_again, "start_employment.employment_id", "CONFLICT", 1),
    S_CASE (START_EMPLOYMENT, s_em_minor, "start_employment.terms.start_date", "OUT_OF_RANGE", 0),
    S_CASE (START_EMPLOYMENT, s_em_no_contract, "start_employment.terms.term_months", "OUT_OF_RANGE", 0),
    S_CASE (AMEND_EMPLOYMENT, s_am_unknown, "amend_employment.employment_id", "NOT_FOUND", 1),
    S_CASE (AMEND_EMPLOYMENT, s_am_start, "amend_employment.terms.start_date", "CONFLICT", 1),
    S_CASE (AMEND_EMPLOYMENT, s_am_effective, "amend_employment.effective_date", "OUT_OF_RANGE", 0),
    S_CASE (END_EMPLOYMENT, s_end_reason, "end_employment.reason", "REQUIRED", 0),
    S_CASE (END_EMPLOYMENT, s_end_note, "end_employment.note", "REQUIRED", 0),
    S_CASE (END_EMPLOYMENT, s_end_before_start, "end_employment.end_date", "CONFLICT", 1),
    S_CASE (END_EMPLOYMENT, s_end_nonexistent, "end_employment.end_date", "INVALID_DATE", 0),
    S_CASE (RECORD_SHAREHOLDING, s_sh_nothing, "record_shareholding.land_mu_x100", "REQUIRED", 0),
    S_CASE (RECORD_SHAREHOLDING, s_sh_share, "record_shareholding.dividend_share_bp", "OUT_OF_RANGE", 0),
    S_CASE (RECORD_SHAREHOLDING, s_sh_workshop, "record_shareholding.workshop_id", "NOT_FOUND", 1),
    S_CASE (RECORD_SHAREHOLDING, s_sh_household, "record_shareholding.household_id", "CONFLICT", 1),
    S_CASE (RECORD_TRAINING, s_tr_hours, "record_training.hours", "OUT_OF_RANGE", 0),
    S_CASE (RECORD_TRAINING, s_tr_certificate, "record_training.certificate", "REQUIRED", 0),
    S_CASE (RECORD_TRAINING, s_tr_order, "record_training.end_date", "OUT_OF_RANGE", 0),
    S_CASE (RECORD_TRAINING, s_tr_workshop, "record_training.workshop_id", "NOT_FOUND", 1),
    S_CASE (ASSIGN_POST, s_po_type, "assign_post.post_type", "UNKNOWN_ENUM", 0),
    S_CASE (ASSIGN_POST, s_po_pay, "assign_post.monthly_pay_fen", "OUT_OF_RANGE", 0),
    S_CASE (ASSIGN_POST, s_po_location, "assign_post.location", "REQUIRED", 0),
    S_CASE (ASSIGN_POST, s_po_again, "assign_post.post_id", "CONFLICT", 1),
    S_CASE (END_POST, s_ep_unknown, "end_post.post_id", "NOT_FOUND", 1),
    S_CASE (END_POST, s_ep_before, "end_post.end_date", "CONFLICT", 1),
    S_CASE (END_POST, s_ep_reason, "end_post.reason", "TOO_LONG", 0),
};

const size_t reg_data_ncases = sizeof reg_data_cases / sizeof reg_data_cases[0];
