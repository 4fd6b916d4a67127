/*  sample.c - the sample county 510822 (Qingchuan). See sample.h.
 *
 *  The county of the 2020-07-28 bulletin (shared/DOMAIN.md): 62 workshops and a headquarters
 *  (park 12, home workshop 2, shareholding 47, village collective 1). 40 of them (the 12
 *  parks, both home workshops, the collective and 25 shareholding workshops) employ 728
 *  registered-poor laborers on labour contracts or employment agreements of 6 months or more
 *  (park 209, home 40, collective 66, shareholding 413): certified on 2020-06-30, each such
 *  laborer brings its workshop 1,000 yuan, 728,000 yuan in all. The 22 other shareholding
 *  workshops employ 210 registered-poor laborers who do not qualify (3-month seasonal
 *  agreements, no written contract) and at most 2 who do, so certification is denied there
 *  (623 poor laborers in shareholding workshops, as in the bulletin). Six workshops borrowed
 *  3,000,000 yuan of guaranteed start-up loans; their quarterly interest up to 2020-06-20,
 *  all subsidised under the policy, is 83,000 yuan. Wages: January to June 2020.
 *
 *  Everything random comes from one seeded generator, so the output never changes unless
 *  this file does.  */
#include "sample.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chejian/arena.h"
#include "chejian/ident.h"
#include "chejian/json.h"

#define S_CERT_DATE      20200630    /* facts date of every certification request */
#define S_FIRST_PERIOD   202001
#define S_LAST_PERIOD    202006
#define S_AWARD_FEN      100000      /* the policy's award per laborer, checked below */
#define S_STAKES         776         /* household stakes: 7,760,000 yuan pooled */
#define S_STAKE_FEN      1000000     /* 10,000 yuan each */
#define S_SHOPS_MAX      64
#define S_ID_SLOTS       (1 << 15)   /* hash set of resident IDs and USCCs */
#define S_DAY_MS         86400000LL

#define S_HRSS    "hrss-510822"
#define S_FINANCE "finance-510822"
#define S_BANK    "bank-510822"
#define S_BANK_CODE "402659000011"

#define WT(x) CHEJIAN__V1__WORKSHOP_TYPE__WORKSHOP_TYPE_##x
#define PS(x) CHEJIAN__V1__POVERTY_STATUS__POVERTY_STATUS_##x
#define CT(x) CHEJIAN__V1__CONTRACT_TYPE__CONTRACT_TYPE_##x
#define WM(x) CHEJIAN__V1__WORK_MODE__WORK_MODE_##x
#define PB(x) CHEJIAN__V1__PAY_BASIS__PAY_BASIS_##x
#define OK_(x) CHEJIAN__V1__OPERATOR_KIND__OPERATOR_KIND_##x
#define SK(x) CHEJIAN__V1__SITE_KIND__SITE_KIND_##x
#define AK(x) CHEJIAN__V1__APPLICANT_KIND__APPLICANT_KIND_##x
#define BODY(x) CHEJIAN__V1__ENVELOPE__BODY_##x

/*  What kind of laborer a generated worker is.  */
typedef enum { S_QUALIFYING, S_SEASONAL, S_CASUAL, S_NONPOOR } s_kind_t;

/*  One workshop being built: its command and how it employs.  */
typedef struct {
    const char *id;
    int         type;
    int32_t     opened;
    int         count[4];          /* laborers by s_kind_t */
    bool        piece_rate;        /* its regular jobs are paid by the piece */
    bool        home_based;
    int         wage_lo, wage_hi;  /* monthly wage in yuan, or pieces a day */
    int64_t     rate_millifen;     /* piece rate */
    const char *job;
    Chejian__V1__RegisterWorkshop *cmd;
    Chejian__V1__SubmitWageReport *reports[S_LAST_PERIOD - S_FIRST_PERIOD + 1];
} s_shop_t;

/*  What the figures need to know of a worker.  */
typedef struct {
    const s_shop_t *shop;
    const char     *resident_id;
    const char     *household;
    bool            poor, disabled, allowance, relocated, open_on_bulletin;
    int64_t         baseline_fen, income_fen;
    int             months_paid;
} s_person_t;

struct sample_t {
    cj_arena_t    *arena;
    uint64_t       rng;
    sample_item_t *items;
    size_t         n, cap;
    int64_t        clock_ms;
    Chejian__V1__PublishPolicy *policy;
    s_shop_t       shops[S_SHOPS_MAX];
    size_t         nshops;
    s_person_t    *people;
    size_t         npeople, people_cap;
    const char   **ids;           /* hash set of identifiers handed out */
    int            households, usccs, persons;
    int64_t        interest_fen, loans_fen;
    int            employed;      /* people employed in all */
    char          *err;
    size_t         err_size;
};

/*  ---- small helpers ----  */

static int
s_fail (sample_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (s->err, s->err_size, fmt, ap);
    va_end (ap);
    return -1;
}

static uint32_t
s_rand (sample_t *s)
{
    s->rng = s->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t) (s->rng >> 33);
}

/*  Uniform in [lo, hi].  */
static int
s_between (sample_t *s, int lo, int hi)
{
    return lo + (int) (s_rand (s) % (uint32_t) (hi - lo + 1));
}

static bool
s_chance (sample_t *s, int percent)
{
    return (int) (s_rand (s) % 100) < percent;
}

static char *
s_fmt (sample_t *s, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (buf, sizeof buf, fmt, ap);
    va_end (ap);
    return cj_arena_strdup (s->arena, buf);
}

/*  A message of 'type' from the arena, initialised with its INIT value.  */
#define S_NEW(s, type, INIT) ((type *) s_alloc_init ((s), &(type) INIT, sizeof (type)))

static void *
s_alloc_init (sample_t *s, const void *init, size_t size)
{
    void *m = cj_arena_alloc (s->arena, size);
    if (m)
        memcpy (m, init, size);
    return m;
}

/*  Half up rounding of num / den for non-negative values.  */
static int64_t
s_div_half_up (int64_t num, int64_t den)
{
    return (num + den / 2) / den;
}

static int32_t
s_add_days (int32_t date, int days)
{
    return cj_date_from_days (cj_date_to_days (date) + days);
}

/*  Unix ms of 'date' at 'hour' o'clock in China (UTC+8).  */
static int64_t
s_ms (int32_t date, int hour)
{
    return cj_date_to_days (date) * S_DAY_MS + (int64_t) (hour - 8) * 3600000;
}

/*  Records 'id' as handed out; false when it was already.  */
static bool
s_claim (sample_t *s, const char *id)
{
    uint32_t h = 2166136261u;
    for (const char *c = id; *c; c++)
        h = (h ^ (uint8_t) *c) * 16777619u;
    for (uint32_t i = h % S_ID_SLOTS;; i = (i + 1) % S_ID_SLOTS) {
        if (!s->ids[i]) {
            s->ids[i] = cj_arena_strdup (s->arena, id);
            return true;
        }
        if (strcmp (s->ids[i], id) == 0)
            return false;
    }
}

/*  A new resident ID of county 510822 born on 'birth' (GB 11643: order code odd for men).  */
static char *
s_resident_id (sample_t *s, int32_t birth, bool male)
{
    static const int weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    char id[24];
    do {
        int order = s_between (s, 0, 499) * 2 + (male ? 1 : 0);
        snprintf (id, sizeof id, "%s%08d%03d", SAMPLE_COUNTY, (int) birth, order);
        int sum = 0;
        for (int i = 0; i < 17; i++)
            sum += (id[i] - '0') * weights[i];
        id[17] = "10X98765432"[sum % 11];
        id[18] = 0;
    } while (!s_claim (s, id));
    return cj_check_resident_id (NULL, NULL, id) == 0 ? cj_arena_strdup (s->arena, id) : NULL;
}

/*  A birth date in [from_year, to_year] (days 1..28, so every month has them).  */
static int32_t
s_birth (sample_t *s, int from_year, int to_year)
{
    int32_t year = s_between (s, from_year, to_year);
    int32_t month = s_between (s, 1, 12);
    return year * 10000 + month * 100 + s_between (s, 1, 28);
}

/*  A new USCC (GB 32100) of county 510822: registration authority and category 'head'
 *  ("91" company, "93" farmers' cooperative, "N2" village collective), a "MA62" organisation
 *  code with its GB 11714 check character, and the MOD 31 check character.  */
static char *
s_uscc (sample_t *s, const char *head)
{
    static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    static const int org_weights[8] = { 3, 7, 9, 10, 5, 8, 4, 2 };
    static const int weights[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10,
                                     30, 28 };
    char c[24];
    snprintf (c, sizeof c, "%.2s%sMA62%04d", head, SAMPLE_COUNTY, 100 + ++s->usccs * 37);
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        char ch = c[8 + i];
        sum += (ch >= 'A' ? ch - 'A' + 10 : ch - '0') * org_weights[i];
    }
    int check = 11 - sum % 11;
    c[16] = check == 10 ? 'X' : check == 11 ? '0' : (char) ('0' + check);
    sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (int) (strchr (alphabet, c[i]) - alphabet) * weights[i];
    c[17] = alphabet[(31 - sum % 31) % 31];
    c[18] = 0;
    if (!s_claim (s, c) || cj_check_uscc (NULL, NULL, c) != 0)
        return NULL;
    return cj_arena_strdup (s->arena, c);
}

/*  Appends a command to the list, in 'file', as sent by 'source'.  */
static cj_envelope_t *
s_add (sample_t *s, sample_file_t file, const char *source, const char *event_id,
       int body_case, void *body)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        sample_item_t *items = realloc (s->items, cap * sizeof *items);
        if (!items)
            return NULL;
        s->items = items;
        s->cap = cap;
    }
    cj_envelope_t *env = S_NEW (s, cj_envelope_t, CHEJIAN__V1__ENVELOPE__INIT);
    if (!env || !body)
        return NULL;
    env->event_id = (char *) event_id;
    env->source = (char *) source;
    env->occurred_at = s->clock_ms;
    s->clock_ms += 1000;
    env->county = SAMPLE_COUNTY;
    env->body_case = body_case;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field (&chejian__v1__envelope__descriptor,
                                                 (unsigned) body_case);
    memcpy ((char *) env + f->offset, &body, sizeof body);
    s->items[s->n++] = (sample_item_t) { file, env, -1 };
    return env;
}

/*  ---- the workshops ----  */

static const char *const s_townships[] = {
    "乔庄镇", "竹园镇", "木鱼镇", "青溪镇", "房石镇", "关庄镇", "凉水镇", "沙州镇", "姚渡镇",
    "三锅镇", "七佛乡", "红光乡", "瓦砾乡", "马鹿乡", "骑马乡", "蒿溪回族乡", "孔溪乡",
    "金子山乡", "前进乡", "黄坪乡",
};
#define S_TOWNSHIPS (sizeof s_townships / sizeof s_townships[0])

/*  Village number 'k' (distinct for k < 75): synthetic names, not a real village list.  */
static char *
s_village (sample_t *s, int k)
{
    static const char *const first[15] = { "青", "石", "金", "龙", "白", "红", "松", "柏",
                                           "清", "新", "双", "大", "花", "茶", "阳" };
    static const char *const second[10] = { "坪", "河", "桥", "山", "岩", "林", "溪", "坝",
                                            "湾", "沟" };
    return s_fmt (s, "%s%s", first[k % 15], second[(k / 15 + k) % 10]);
}

typedef struct {
    const char *industry, *code, *job;
    bool        piece;
    int         lo, hi;            /* yuan a month, or pieces a day */
    int64_t     rate_millifen;
} s_trade_t;

static const s_trade_t s_park_trades[12] = {
    { "服装加工", "C1810", "缝纫工", false, 2600, 4000, 0 },
    { "电子元件组装", "C3989", "装配工", false, 2800, 4000, 0 },
    { "鞋帽加工", "C1951", "制鞋工", false, 2400, 3600, 0 },
    { "箱包加工", "C1922", "车缝工", false, 2400, 3600, 0 },
    { "服装加工", "C1810", "缝纫工", false, 2500, 3800, 0 },
    { "竹编工艺品", "C2051", "编织工", true, 70, 110, 120000 },
    { "食用菌加工", "C1372", "分拣工", false, 2200, 3200, 0 },
    { "茶叶加工", "C1530", "制茶工", false, 2400, 3600, 0 },
    { "中药饮片加工", "C2730", "炮制工", false, 2300, 3400, 0 },
    { "工艺品加工", "C2439", "手工艺工", true, 70, 110, 120000 },
    { "电子元件组装", "C3989", "装配工", false, 2800, 4000, 0 },
    { "服装加工", "C1810", "缝纫工", false, 2600, 3800, 0 },
};

static const s_trade_t s_village_trades[6] = {
    { "茶叶加工", "C1530", "制茶工", false, 1600, 2600, 0 },
    { "食用菌种植加工", "C1372", "采菇工", true, 150, 260, 40000 },
    { "中药材加工", "C2730", "分拣工", false, 1600, 2500, 0 },
    { "竹编", "C2051", "编织工", true, 150, 260, 40000 },
    { "腊肉加工", "C1353", "加工工", false, 1800, 2600, 0 },
    { "粉条加工", "C1391", "制粉工", true, 150, 260, 40000 },
};

/*  Park workshops' and shareholding workshops' qualifying laborers (sums 209 and 413).  */
static const int s_park_qualifying[12] = { 25, 22, 20, 19, 18, 18, 17, 16, 15, 14, 13, 12 };
static const int s_share_qualifying[25] = { 18, 15, 21, 14, 17, 16, 20, 13, 19, 15, 17, 16, 18,
                                            14, 22, 13, 16, 17, 15, 19, 14, 16, 18, 15, 15 };

static s_shop_t *
s_shop (sample_t *s, const char *id, int type, int32_t opened, const s_trade_t *trade)
{
    s_shop_t *shop = &s->shops[s->nshops++];
    memset (shop, 0, sizeof *shop);
    shop->id = id;
    shop->type = type;
    shop->opened = opened;
    shop->piece_rate = trade->piece;
    shop->wage_lo = trade->lo;
    shop->wage_hi = trade->hi;
    shop->rate_millifen = trade->rate_millifen;
    shop->job = trade->job;
    Chejian__V1__RegisterWorkshop *c = S_NEW (s, Chejian__V1__RegisterWorkshop,
                                              CHEJIAN__V1__REGISTER_WORKSHOP__INIT);
    Chejian__V1__WorkshopDetails *d = S_NEW (s, Chejian__V1__WorkshopDetails,
                                             CHEJIAN__V1__WORKSHOP_DETAILS__INIT);
    Chejian__V1__Location *l = S_NEW (s, Chejian__V1__Location, CHEJIAN__V1__LOCATION__INIT);
    Chejian__V1__Operator *o = S_NEW (s, Chejian__V1__Operator, CHEJIAN__V1__OPERATOR__INIT);
    if (!c || !d || !l || !o)
        return NULL;
    c->workshop_id = (char *) id;
    c->details = d;
    d->type = type;
    d->role = CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_WORKSHOP;
    d->location = l;
    d->operator_ = o;
    d->industry = (char *) trade->industry;
    d->industry_code = (char *) trade->code;
    d->opened_date = opened;
    shop->cmd = c;
    return shop;
}

static void
s_enterprise (sample_t *s, Chejian__V1__Operator *o, int kind, const char *name, const char *head)
{
    o->kind = kind;
    o->name = (char *) name;
    o->uscc = s_uscc (s, head);
}

/*  The 12 park workshops; QC-P03 and QC-P04 are run by partnerships (registered from
 *  setup.jsonl: a CSV row cannot list partners).  */
static int
s_parks (sample_t *s)
{
    static const char *const brands[12] = { "恒达", "嘉禾", "蜀青", "川浙", "明月", "瑞丰",
                                            "翠峰", "锦程", "天成", "华兴", "益民", "康源" };
    for (int i = 0; i < 12; i++) {
        const s_trade_t *t = &s_park_trades[i];
        s_shop_t *shop = s_shop (s, s_fmt (s, "QC-P%02d", i + 1), WT (PARK),
                                 s_add_days (20180301, 45 * i), t);
        if (!shop)
            return -1;
        shop->count[S_QUALIFYING] = s_park_qualifying[i];
        Chejian__V1__WorkshopDetails *d = shop->cmd->details;
        bool zhuyuan = i < 8;
        d->name = s_fmt (s, "%s%s扶贫车间", brands[i], t->industry);
        d->location->township_name = zhuyuan ? "竹园镇" : "乔庄镇";
        d->location->address = s_fmt (s, "%s%d号厂房", zhuyuan ? "竹园经济开发区" : "青川县工业集中区",
                                      i + 1);
        d->site_kind = SK (INDUSTRIAL_PARK);
        d->site_name = zhuyuan ? "竹园经济开发区" : "青川县工业集中区";
        d->floor_area_m2 = (uint32_t) s_between (s, 12, 60) * 100;
        if (i == 2 || i == 3) {
            Chejian__V1__Operator *o = d->operator_;
            o->kind = OK_ (PARTNERSHIP);
            o->name = s_fmt (s, "青川县%s%s合伙企业", brands[i], t->industry);
            o->uscc = s_uscc (s, "91");
            o->partners = cj_arena_alloc (s->arena, 3 * sizeof *o->partners);
            static const uint32_t shares[3] = { 4000, 3000, 3000 };
            for (int k = 0; k < 3 && o->partners; k++) {
                Chejian__V1__Partner *p = S_NEW (s, Chejian__V1__Partner,
                                                 CHEJIAN__V1__PARTNER__INIT);
                if (!p || !(p->resident_id = s_resident_id (s, s_birth (s, 1970, 1988), k != 1)))
                    return -1;
                p->name = s_fmt (s, "合伙人%02d", ++s->persons);
                p->share_bp = shares[k];
                o->partners[o->n_partners++] = p;
            }
        } else
            s_enterprise (s, d->operator_, OK_ (ENTERPRISE),
                          s_fmt (s, "青川县%s%s有限公司", brands[i], t->industry), "91");
    }
    return 0;
}

/*  The two home workshops (家工坊): machines in households' homes, piece work, each run by a
 *  person (one of them from a registered-poor household).  */
static int
s_homes (sample_t *s)
{
    static const s_trade_t trades[2] = {
        { "手工艺品加工", "C2439", "手工编织", true, 150, 280, 35000 },
        { "服装辅料加工", "C1810", "居家缝纫", true, 150, 280, 35000 },
    };
    for (int i = 0; i < 2; i++) {
        s_shop_t *shop = s_shop (s, s_fmt (s, "QC-J%02d", i + 1), WT (HOME_WORKSHOP),
                                 i ? 20190601 : 20190401, &trades[i]);
        if (!shop)
            return -1;
        shop->count[S_QUALIFYING] = i ? 19 : 21;
        shop->home_based = true;
        Chejian__V1__WorkshopDetails *d = shop->cmd->details;
        char *village = s_village (s, 60 + i);
        d->name = s_fmt (s, "%s村%s家工坊", village, trades[i].industry);
        d->location->township_name = (char *) (i ? "青溪镇" : "木鱼镇");
        d->location->village_name = s_fmt (s, "%s村", village);
        d->location->address = s_fmt (s, "%s村村委会（原料发放点）", village);
        d->site_kind = SK (HOUSEHOLDS);
        Chejian__V1__Operator *o = d->operator_;
        o->kind = OK_ (PERSON);
        o->name = s_fmt (s, "经营者%02d", i + 1);
        o->registered_poor = i == 1;
        if (!(o->resident_id = s_resident_id (s, s_birth (s, 1972, 1985), i == 0)))
            return -1;
    }
    return 0;
}

/*  The village collective's workshop in an idle village school.  */
static int
s_collective (sample_t *s)
{
    static const s_trade_t trade = { "服装加工", "C1810", "缝纫工", false, 1800, 2600, 0 };
    s_shop_t *shop = s_shop (s, "QC-C01", WT (VILLAGE_COLLECTIVE), 20180901, &trade);
    if (!shop)
        return -1;
    shop->count[S_QUALIFYING] = 66;
    Chejian__V1__WorkshopDetails *d = shop->cmd->details;
    char *village = s_village (s, 62);
    d->name = s_fmt (s, "%s村集体扶贫车间", village);
    d->location->township_name = "房石镇";
    d->location->village_name = s_fmt (s, "%s村", village);
    d->location->address = s_fmt (s, "%s村一组", village);
    d->site_kind = SK (VILLAGE);
    d->site_name = s_fmt (s, "原%s村小学", village);
    d->floor_area_m2 = 900;
    s_enterprise (s, d->operator_, OK_ (VILLAGE_COLLECTIVE),
                  s_fmt (s, "青川县%s村股份经济合作联合社", village), "N2");
    return 0;
}

/*  The 47 shareholding workshops: 25 that qualify, 10 whose poor laborers are mostly
 *  seasonal (3-month agreements), 8 whose poor laborers mostly have no written contract, and
 *  4 opened in May 2020 with casual laborers only.  */
static int
s_shareholding (sample_t *s)
{
    static const int casual_new[4] = { 7, 7, 8, 8 };
    for (int i = 0; i < 47; i++) {
        const s_trade_t *t = &s_village_trades[i % 6];
        int32_t opened = i >= 43 ? 20200501 : s_add_days (20171001, 16 * i);
        s_shop_t *shop = s_shop (s, s_fmt (s, "QC-S%02d", i + 1), WT (SHAREHOLDING), opened, t);
        if (!shop)
            return -1;
        int *n = shop->count;
        if (i < 25)
            n[S_QUALIFYING] = s_share_qualifying[i];
        else if (i < 35)
            n[S_QUALIFYING] = 2, n[S_SEASONAL] = 8;
        else if (i < 43)
            n[S_QUALIFYING] = 1, n[S_CASUAL] = 9;
        else
            n[S_CASUAL] = casual_new[i - 43];
        Chejian__V1__WorkshopDetails *d = shop->cmd->details;
        char *village = s_village (s, i);
        bool settlement = i % 6 == 5;
        d->name = s_fmt (s, "%s村%s扶贫车间", village, t->industry);
        d->location->township_name = (char *) s_townships[(i + 3) % S_TOWNSHIPS];
        d->location->village_name = s_fmt (s, "%s村", village);
        d->location->address = s_fmt (s, "%s村%d组", village, 1 + i % 7);
        d->site_kind = settlement ? SK (RELOCATION_SETTLEMENT) : SK (VILLAGE);
        d->site_name = settlement ? s_fmt (s, "%s村易地扶贫搬迁安置点", village) : "";
        d->floor_area_m2 = (uint32_t) s_between (s, 2, 8) * 100;
        s_enterprise (s, d->operator_, OK_ (COOPERATIVE),
                      s_fmt (s, "青川县%s村%s专业合作社", village, t->industry), "93");
    }
    return 0;
}

/*  The county's coordinating headquarters (扶贫车间总部): registered, not counted.  */
static int
s_headquarters (sample_t *s)
{
    static const s_trade_t trade = { "公共就业服务", "L7261", "", false, 0, 0, 0 };
    s_shop_t *shop = s_shop (s, "QC-HQ", WT (PARK), 20180101, &trade);
    if (!shop)
        return -1;
    Chejian__V1__WorkshopDetails *d = shop->cmd->details;
    d->name = "青川县扶贫车间总部";
    d->role = CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_HEADQUARTERS;
    d->location->township_name = "乔庄镇";
    d->location->address = "乔庄镇就业服务中心";
    d->site_kind = SK (TOWN);
    d->site_name = "乔庄镇";
    s_enterprise (s, d->operator_, OK_ (ENTERPRISE), "青川县扶贫车间运营管理有限公司", "91");
    return 0;
}

/*  Spreads the non-poor workforce over the workshops by weight (parks employ most).  */
static void
s_spread_nonpoor (sample_t *s, int total)
{
    int weights[S_SHOPS_MAX], sum = 0, given = 0;
    for (size_t i = 0; i < s->nshops; i++) {
        const s_shop_t *shop = &s->shops[i];
        weights[i] = shop->cmd->details->role == CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_HEADQUARTERS ? 0
                   : shop->type == WT (PARK) ? 60 + 2 * shop->count[S_QUALIFYING]
                   : shop->type == WT (HOME_WORKSHOP) ? 2
                   : shop->type == WT (VILLAGE_COLLECTIVE) ? 25
                   : shop->count[S_QUALIFYING] >= 3 ? 8 : shop->opened > 20200101 ? 2 : 4;
        sum += weights[i];
    }
    for (size_t i = 0; i < s->nshops; i++) {
        s->shops[i].count[S_NONPOOR] = total * weights[i] / sum;
        given += s->shops[i].count[S_NONPOOR];
    }
    for (size_t i = 0; given < total; i = (i + 1) % s->nshops)
        if (weights[i] > 10) {
            s->shops[i].count[S_NONPOOR]++;
            given++;
        }
}

/*  ---- workers, employments, wages ----  */

/*  The term that runs past the bulletin from 'start' (contracts are renewed, not left
 *  open past their end): the first of 12, 24, 36 months (6 for a start from 2020-02).  */
static uint32_t
s_term (int32_t start)
{
    static const uint32_t terms[] = { 6, 12, 24, 36 };
    for (size_t i = start >= 20200201 ? 0 : 1; i < 4; i++)
        if (cj_date_add_months (start, (int) terms[i]) > SAMPLE_BULLETIN_DATE)
            return terms[i];
    return 36;
}

/*  A first-of-month start in [from, to], never before the workshop opened.  */
static int32_t
s_start (sample_t *s, const s_shop_t *shop, int32_t from, int32_t to)
{
    int32_t lo = shop->opened > from ? shop->opened : from;
    lo = lo % 100 == 1 ? lo : cj_date_add_months (lo - lo % 100 + 1, 1);
    int months = cj_period_diff (lo / 100, to / 100);
    return months <= 0 ? lo : cj_date_add_months (lo, s_between (s, 0, months));
}

static int
s_worker (sample_t *s, const s_shop_t *shop, s_kind_t kind, s_person_t *pp,
          Chejian__V1__RegisterWorker **ret_worker)
{
    bool poor = kind != S_NONPOOR;
    int32_t birth = poor ? s_birth (s, s_chance (s, 8) ? 1957 : 1962, 2000)
                         : s_birth (s, 1965, 2001);
    char *id = s_resident_id (s, birth, s_chance (s, 45));
    Chejian__V1__RegisterWorker *w = S_NEW (s, Chejian__V1__RegisterWorker,
                                            CHEJIAN__V1__REGISTER_WORKER__INIT);
    Chejian__V1__WorkerDetails *d = S_NEW (s, Chejian__V1__WorkerDetails,
                                           CHEJIAN__V1__WORKER_DETAILS__INIT);
    Chejian__V1__WorkerStatus *st = S_NEW (s, Chejian__V1__WorkerStatus,
                                           CHEJIAN__V1__WORKER_STATUS__INIT);
    Chejian__V1__Disability *dis = S_NEW (s, Chejian__V1__Disability,
                                          CHEJIAN__V1__DISABILITY__INIT);
    if (!id || !w || !d || !st || !dis)
        return -1;
    w->resident_id = id;
    w->name = s_fmt (s, "工人%04zu", s->npeople + 1);
    w->details = d;
    w->status = st;
    st->disability = dis;
    if (poor) {
        /* a couple in the same workshop shares a household now and then */
        const s_person_t *prev = s->npeople ? &s->people[s->npeople - 1] : NULL;
        bool shared = prev && prev->shop == shop && prev->poor && s_chance (s, 20)
                      && (s->npeople < 2 || s->people[s->npeople - 2].household != prev->household);
        pp->household = shared ? prev->household : s_fmt (s, "510822H%06d", ++s->households);
        d->household_id = (char *) pp->household;
        d->baseline_year = 2018;             /* the amount: s_baseline, once paid */
        int r = s_between (s, 0, 99);
        st->poverty_status = r < 78 ? PS (LIFTED_OUT) : r < 93 ? PS (POOR) : PS (MONITORED);
        w->status_date = r < 78 ? 20171231 + 10000 * (r % 3) : r < 93 ? 20141031 : 20200331;
        w->status_agency = CHEJIAN__V1__AGENCY_KIND__AGENCY_KIND_POVERTY_OFFICE;
        st->minimum_allowance_household = pp->allowance = s_chance (s, 9);
        st->relocated_household = pp->relocated =
            s_chance (s, shop->cmd->details->site_kind == SK (RELOCATION_SETTLEMENT) ? 60 : 12);
    } else {
        d->household_id = "";
        st->poverty_status = PS (NOT_REGISTERED);
        w->status_date = 20190101;
        w->status_agency = CHEJIAN__V1__AGENCY_KIND__AGENCY_KIND_HUMAN_RESOURCES;
    }
    if (s_chance (s, poor ? 4 : 1)) {
        static const int categories[3] = {
            CHEJIAN__V1__DISABILITY_CATEGORY__DISABILITY_CATEGORY_PHYSICAL,
            CHEJIAN__V1__DISABILITY_CATEGORY__DISABILITY_CATEGORY_HEARING,
            CHEJIAN__V1__DISABILITY_CATEGORY__DISABILITY_CATEGORY_VISUAL,
        };
        dis->certified = pp->disabled = true;
        dis->grade = (uint32_t) s_between (s, 3, 4);
        dis->category = categories[s_between (s, 0, 2)];
    }
    pp->poor = poor;
    pp->shop = shop;
    pp->resident_id = id;
    *ret_worker = w;
    return s_add (s, SAMPLE_WORKERS, S_HRSS, s_fmt (s, "qc-worker-%05zu", s->npeople + 1),
                  BODY (REGISTER_WORKER), w) ? 0 : -1;
}

/*  The employment of a worker of 'kind' in 'shop' and, for a seasonal one, its end.  */
static Chejian__V1__StartEmployment *
s_employment (sample_t *s, s_shop_t *shop, s_kind_t kind, const char *resident_id, int n)
{
    Chejian__V1__StartEmployment *e = S_NEW (s, Chejian__V1__StartEmployment,
                                             CHEJIAN__V1__START_EMPLOYMENT__INIT);
    Chejian__V1__EmploymentTerms *t = S_NEW (s, Chejian__V1__EmploymentTerms,
                                             CHEJIAN__V1__EMPLOYMENT_TERMS__INIT);
    if (!e || !t)
        return NULL;
    e->employment_id = s_fmt (s, "%s-%04d", shop->id, n);
    e->resident_id = (char *) resident_id;
    e->workshop_id = (char *) shop->id;
    e->terms = t;
    bool piece = shop->piece_rate || kind == S_SEASONAL || kind == S_CASUAL;
    t->job_title = (char *) (kind == S_SEASONAL ? "季节性采摘工" : shop->job);
    t->pay_basis = piece ? PB (PIECE_RATE) : PB (MONTHLY);
    t->work_mode = shop->home_based ? WM (HOME_BASED) : piece ? WM (FLEXIBLE) : WM (ON_SITE_FIXED_HOURS);
    if (piece)
        t->unit_rate_millifen = shop->piece_rate ? shop->rate_millifen : 40000;
    else
        t->monthly_wage_fen = (int64_t) s_between (s, shop->wage_lo / 100, shop->wage_hi / 100) * 10000;
    switch (kind) {
    case S_SEASONAL:
        t->contract_type = CT (EMPLOYMENT_AGREEMENT);
        t->start_date = 20200301;
        t->term_months = 3;
        break;
    case S_CASUAL:
        t->contract_type = CT (NONE);
        t->start_date = shop->opened > 20200101 ? 20200501 : s_start (s, shop, 20190101, 20200401);
        break;
    default:
        t->contract_type = shop->type == WT (PARK) || shop->type == WT (VILLAGE_COLLECTIVE)
                           || s_chance (s, 40) ? CT (LABOUR_CONTRACT) : CT (EMPLOYMENT_AGREEMENT);
        t->start_date = s_start (s, shop, 20190101, kind == S_QUALIFYING ? 20200501 : 20200601);
        t->term_months = s_term (t->start_date);
    }
    return e;
}

/*  Days worked in a month of 2020: the Spring Festival in January, the epidemic's stop in
 *  February, full months after.  */
static int
s_days_worked (sample_t *s, int32_t period)
{
    return period == 202001 ? s_between (s, 17, 21)
         : period == 202002 ? s_between (s, 6, 14) : s_between (s, 21, 26);
}

/*  Appends the worker's wage line for 'period' to the workshop's report of the month.  */
static int
s_wage_line (sample_t *s, s_shop_t *shop, const Chejian__V1__StartEmployment *e,
             int32_t period, int pieces_a_day, s_person_t *pp)
{
    Chejian__V1__SubmitWageReport **rp = &shop->reports[cj_period_diff (S_FIRST_PERIOD, period)];
    if (!*rp) {
        Chejian__V1__SubmitWageReport *r = S_NEW (s, Chejian__V1__SubmitWageReport,
                                                  CHEJIAN__V1__SUBMIT_WAGE_REPORT__INIT);
        size_t cap = 0;
        for (int k = 0; k < 4; k++)
            cap += (size_t) shop->count[k];
        if (!r || !(r->lines = cj_arena_alloc (s->arena, cap * sizeof *r->lines)))
            return -1;
        r->workshop_id = (char *) shop->id;
        r->period = period;
        r->paid_date = cj_date_add_months (period * 100 + 15, 1);
        *rp = r;
    }
    Chejian__V1__WageLine *l = S_NEW (s, Chejian__V1__WageLine, CHEJIAN__V1__WAGE_LINE__INIT);
    if (!l)
        return -1;
    const Chejian__V1__EmploymentTerms *t = e->terms;
    l->resident_id = e->resident_id;
    l->employment_id = e->employment_id;
    l->pay_basis = t->pay_basis;
    l->days_worked = (uint32_t) s_days_worked (s, period);
    l->work_site = t->work_mode == WM (HOME_BASED) ? CHEJIAN__V1__WORK_SITE__WORK_SITE_HOME
                                                   : CHEJIAN__V1__WORK_SITE__WORK_SITE_ON_SITE;
    if (t->pay_basis == PB (PIECE_RATE)) {
        l->pieces = l->days_worked * (uint32_t) pieces_a_day;
        l->unit_rate_millifen = t->unit_rate_millifen;
        l->gross_fen = s_div_half_up ((int64_t) l->pieces * l->unit_rate_millifen, 1000);
    } else
        l->gross_fen = s_div_half_up (t->monthly_wage_fen * l->days_worked, 26 * 100) * 100;
    (*rp)->lines[(*rp)->n_lines++] = l;
    pp->income_fen += l->gross_fen;
    pp->months_paid++;
    return 0;
}

/*  A registered-poor laborer's annual income of 2018 (the base of the increase): 20 to 60 %
 *  of what the laborer earned in the first half of 2020, between 1,200 and 6,000 yuan, in
 *  whole hundreds of yuan, below those earnings.  */
static int64_t
s_baseline (sample_t *s, int64_t earned_fen)
{
    int64_t b = earned_fen * s_between (s, 20, 60) / 100 / 10000 * 10000;
    b = b < 120000 ? 120000 : b > 600000 ? 600000 : b;
    return b < earned_fen ? b : earned_fen / 2 / 10000 * 10000;
}

/*  One laborer: registration, employment (and end), and the wage lines of the months
 *  worked.  */
static int
s_laborer (sample_t *s, s_shop_t *shop, s_kind_t kind, int n)
{
    if (s->npeople == s->people_cap) {
        size_t cap = s->people_cap ? s->people_cap * 2 : 1024;
        s_person_t *people = realloc (s->people, cap * sizeof *people);
        if (!people)
            return -1;
        s->people = people;
        s->people_cap = cap;
    }
    s_person_t *pp = &s->people[s->npeople];
    memset (pp, 0, sizeof *pp);
    Chejian__V1__RegisterWorker *w;
    Chejian__V1__StartEmployment *e;
    if (s_worker (s, shop, kind, pp, &w) != 0
        || !(e = s_employment (s, shop, kind, w->resident_id, n))
        || !s_add (s, SAMPLE_EMPLOYMENTS, S_HRSS, s_fmt (s, "qc-employment-%s", e->employment_id),
                   BODY (START_EMPLOYMENT), e))
        return -1;
    s->npeople++;
    int32_t end = 0;
    if (kind == S_SEASONAL) {
        Chejian__V1__EndEmployment *x = S_NEW (s, Chejian__V1__EndEmployment,
                                               CHEJIAN__V1__END_EMPLOYMENT__INIT);
        if (!x)
            return -1;
        x->employment_id = e->employment_id;
        x->end_date = end = 20200531;
        x->reason = CHEJIAN__V1__EMPLOYMENT_END_REASON__EMPLOYMENT_END_REASON_TERM_EXPIRED;
        s->items[s->n - 1].end_item = (long) s->n;
        if (!s_add (s, SAMPLE_EMPLOYMENTS, S_HRSS, s_fmt (s, "qc-end-%s", e->employment_id),
                    BODY (END_EMPLOYMENT), x))
            return -1;
    }
    pp->open_on_bulletin = end == 0 || end >= SAMPLE_BULLETIN_DATE;
    int pieces_a_day = shop->piece_rate ? s_between (s, shop->wage_lo, shop->wage_hi)
                                        : s_between (s, 150, 260);
    for (int32_t m = S_FIRST_PERIOD; m <= S_LAST_PERIOD; m = cj_period_add (m, 1))
        if (e->terms->start_date <= m * 100 + 1 && (!end || end >= s_add_days (cj_date_add_months (m * 100 + 1, 1), -1))
            && s_wage_line (s, shop, e, m, pieces_a_day, pp) != 0)
            return -1;
    if (pp->poor)
        w->details->baseline_annual_income_fen = pp->baseline_fen = s_baseline (s, pp->income_fen);
    return 0;
}

/*  ---- stakes, certification, loans ----  */

/*  One stake of 10,000 yuan of household poverty funds in a shareholding workshop, signed
 *  by a member who works there ('resident_id') or by none.  */
static int
s_stake (sample_t *s, const s_shop_t *shop, const char *household, const char *resident_id,
         int n)
{
    Chejian__V1__RecordShareholding *h = S_NEW (s, Chejian__V1__RecordShareholding,
                                                CHEJIAN__V1__RECORD_SHAREHOLDING__INIT);
    if (!h)
        return -1;
    h->shareholding_id = s_fmt (s, "QC-SH-%04d", n);
    h->household_id = (char *) household;
    h->resident_id = (char *) (resident_id ? resident_id : "");
    h->workshop_id = (char *) shop->id;
    h->land_mu_x100 = shop->piece_rate ? 0 : (uint32_t) s_between (s, 1, 5) * 100;
    h->funds_fen = S_STAKE_FEN;
    h->guaranteed_annual_fen = S_STAKE_FEN * 6 / 100;
    h->dividend_terms = "保底收益为入股资金的6%；年度可分配利润的60%按入股资金比例分红";
    h->start_date = shop->opened > 20190101 ? shop->opened : 20190101;
    return s_add (s, SAMPLE_STAKES, S_HRSS, s_fmt (s, "qc-stake-%04d", n),
                  BODY (RECORD_SHAREHOLDING), h) ? 0 : -1;
}

/*  The stakes: every registered-poor household working in a shareholding workshop signs one
 *  there; households that do not work there make up the 776.  */
static int
s_stakes (sample_t *s)
{
    int n = 0;
    const char *last = NULL;
    for (size_t i = 0; i < s->npeople; i++) {
        const s_person_t *p = &s->people[i];
        if (!p->poor || p->shop->type != WT (SHAREHOLDING) || p->household == last)
            continue;
        last = p->household;
        if (s_stake (s, p->shop, p->household, p->resident_id, ++n) != 0)
            return -1;
    }
    if (n > S_STAKES)
        return s_fail (s, "%d signed stakes, more than the bulletin's %d", n, S_STAKES);
    for (size_t i = 0; n < S_STAKES; i = (i + 1) % s->nshops)
        if (s->shops[i].type == WT (SHAREHOLDING)
            && s_stake (s, &s->shops[i], s_fmt (s, "510822H%06d", ++s->households), NULL,
                        ++n) != 0)
            return -1;
    return 0;
}

typedef struct {
    const char *workshop;
    int         kind;
    int64_t     amount_fen;
    uint32_t    term_months, rate_bp;
    int32_t     applied, disbursed;
} s_loan_t;

/*  The six loans: 3,000,000 yuan, each at its cap or below, priced at the benchmark rate
 *  (4.35 %) before the LPR reform of August 2019 and at LPR plus a margin after.  */
static const s_loan_t s_loans[6] = {
    { "QC-P01", AK (ENTERPRISE), 100000000, 24, 425, 20191118, 20191202 },
    { "QC-P02", AK (ENTERPRISE), 80000000, 24, 420, 20200102, 20200116 },
    { "QC-P03", AK (PARTNERSHIP), 45000000, 36, 445, 20190823, 20190906 },
    { "QC-P04", AK (PARTNERSHIP), 45000000, 36, 445, 20190917, 20191001 },
    { "QC-J01", AK (INDIVIDUAL), 15000000, 36, 435, 20190422, 20190507 },
    { "QC-J02", AK (INDIVIDUAL), 15000000, 36, 435, 20190625, 20190710 },
};

/*  Interest is settled quarterly on the 20th of March, June, September and December; a
 *  period's interest is principal x rate x days / 360 (days counted inclusively), rounded
 *  half up to the fen.  */
static const int32_t s_settlements[] = { 20190320, 20190620, 20190920, 20191220, 20200320,
                                         20200620 };

static const Chejian__V1__Operator *
s_operator_of (const sample_t *s, const char *workshop)
{
    for (size_t i = 0; i < s->nshops; i++)
        if (strcmp (s->shops[i].id, workshop) == 0)
            return s->shops[i].cmd->details->operator_;
    return NULL;
}

static int
s_loan (sample_t *s, int n, const s_loan_t *def)
{
    const Chejian__V1__Operator *o = s_operator_of (s, def->workshop);
    Chejian__V1__ApplyForLoan *a = S_NEW (s, Chejian__V1__ApplyForLoan,
                                          CHEJIAN__V1__APPLY_FOR_LOAN__INIT);
    Chejian__V1__RecordLoanDisbursement *d = S_NEW (s, Chejian__V1__RecordLoanDisbursement,
                                                    CHEJIAN__V1__RECORD_LOAN_DISBURSEMENT__INIT);
    if (!o || !a || !d)
        return -1;
    a->application_id = s_fmt (s, "QC-LA-%02d", n);
    a->applicant_kind = def->kind;
    a->workshop_id = (char *) def->workshop;
    a->requested_fen = def->amount_fen;
    a->term_months = def->term_months;
    a->bank_code = S_BANK_CODE;
    a->application_date = def->applied;
    if (def->kind == AK (INDIVIDUAL))
        a->applicant_resident_id = o->resident_id;
    else {
        a->applicant_uscc = o->uscc;
        a->applicant_name = o->name;
    }
    if (def->kind == AK (PARTNERSHIP)) {
        a->applicant_resident_id = o->partners[0]->resident_id;
        a->partners_count = (uint32_t) o->n_partners;
        a->partner_resident_ids = cj_arena_alloc (s->arena, o->n_partners * sizeof (char *));
        for (size_t k = 0; a->partner_resident_ids && k < o->n_partners; k++)
            a->partner_resident_ids[a->n_partner_resident_ids++] = o->partners[k]->resident_id;
    }
    d->loan_id = s_fmt (s, "QC-LN-%02d", n);
    d->application_id = a->application_id;
    d->principal_fen = def->amount_fen;
    d->disbursed_date = def->disbursed;
    d->maturity_date = s_add_days (cj_date_add_months (def->disbursed, (int) def->term_months), -1);
    d->rate_bp = def->rate_bp;
    d->bank_code = S_BANK_CODE;
    if (!s_add (s, SAMPLE_DECISIONS, S_BANK, s_fmt (s, "qc-loan-apply-%02d", n),
                BODY (APPLY_FOR_LOAN), a)
        || !s_add (s, SAMPLE_DECISIONS, S_BANK, s_fmt (s, "qc-loan-disburse-%02d", n),
                   BODY (RECORD_LOAN_DISBURSEMENT), d))
        return -1;
    s->loans_fen += def->amount_fen;
    int32_t start = def->disbursed;
    for (size_t k = 0; k < sizeof s_settlements / sizeof s_settlements[0]; k++) {
        if (s_settlements[k] < start)
            continue;
        Chejian__V1__RecordInterestAccrual *r = S_NEW (s, Chejian__V1__RecordInterestAccrual,
                                                       CHEJIAN__V1__RECORD_INTEREST_ACCRUAL__INIT);
        if (!r)
            return -1;
        int days = cj_date_to_days (s_settlements[k]) - cj_date_to_days (start) + 1;
        r->loan_id = d->loan_id;
        r->period_start_date = start;
        r->period_end_date = s_settlements[k];
        r->principal_fen = def->amount_fen;
        r->rate_bp = def->rate_bp;
        r->interest_fen = s_div_half_up (def->amount_fen * def->rate_bp * days, 10000LL * 360);
        s->interest_fen += r->interest_fen;
        if (!s_add (s, SAMPLE_DECISIONS, S_BANK,
                    s_fmt (s, "qc-interest-%02d-%d", n, (int) start),
                    BODY (RECORD_INTEREST_ACCRUAL), r))
            return -1;
        start = s_add_days (s_settlements[k], 1);
    }
    return 0;
}

/*  ---- the whole county, in loading order ----  */

static Chejian__V1__PublishPolicy *
s_load_policy (sample_t *s, const char *file)
{
    FILE *f = fopen (file, "rb");
    char text[65536];
    size_t len = f ? fread (text, 1, sizeof text, f) : 0;
    if (f)
        fclose (f);
    if (!f || len == 0 || len == sizeof text) {
        s_fail (s, "cannot read the policy %s", file);
        return NULL;
    }
    cj_problems_t *p = malloc (sizeof *p);
    ProtobufCMessage *m = NULL;
    if (p) {
        cj_problems_init (p);
        m = cj_json_loads (&chejian__v1__publish_policy__descriptor, text, len, 0, p);
        if (!m && p->count)
            s_fail (s, "%s: %s: %s", file, p->items[0].field, p->items[0].message);
    }
    free (p);
    return (Chejian__V1__PublishPolicy *) m;
}

static Chejian__V1__TopUpFund *
s_top_up (sample_t *s, const char *fund, int source, int64_t fen, int32_t date,
          const char *reference)
{
    Chejian__V1__TopUpFund *t = S_NEW (s, Chejian__V1__TopUpFund, CHEJIAN__V1__TOP_UP_FUND__INIT);
    if (t) {
        t->fund_id = (char *) fund;
        t->source = source;
        t->amount_fen = fen;
        t->value_date = date;
        t->reference = (char *) reference;
        t->provider = "青川县财政局";
    }
    return t;
}

static int
s_setup (sample_t *s, const char *policy_file)
{
    if (!(s->policy = s_load_policy (s, policy_file)))
        return -1;
    s->clock_ms = s_ms (20200701, 9);
    if (!s_add (s, SAMPLE_SETUP, S_HRSS, "qc-policy-510822-qingchuan-2019-v1",
                BODY (PUBLISH_POLICY), s->policy)
        || !s_add (s, SAMPLE_SETUP, S_FINANCE, "qc-fund-employment-subsidy-2020",
                   BODY (TOP_UP_FUND),
                   s_top_up (s, "510822-employment-subsidy",
                             CHEJIAN__V1__FUND_SOURCE__FUND_SOURCE_EMPLOYMENT_SUBSIDY,
                             100000000, 20200110, "青财社〔2020〕3号"))
        || !s_add (s, SAMPLE_SETUP, S_FINANCE, "qc-fund-loan-interest-2019",
                   BODY (TOP_UP_FUND),
                   s_top_up (s, "510822-loan-interest",
                             CHEJIAN__V1__FUND_SOURCE__FUND_SOURCE_LOAN_INTEREST_SUBSIDY,
                             10000000, 20190115, "青财金〔2019〕1号")))
        return -1;
    if (s_parks (s) || s_homes (s) || s_collective (s) || s_shareholding (s) || s_headquarters (s))
        return s_fail (s, "cannot build the workshops");
    for (size_t i = 0; i < s->nshops; i++) {
        Chejian__V1__RegisterWorkshop *c = s->shops[i].cmd;
        bool partners = c->details->operator_->kind == OK_ (PARTNERSHIP);
        if (partners && !s_add (s, SAMPLE_SETUP, S_HRSS, s_fmt (s, "qc-workshop-%s", c->workshop_id),
                                BODY (REGISTER_WORKSHOP), c))
            return -1;
    }
    return 0;
}

static int
s_registry (sample_t *s)
{
    s->clock_ms = s_ms (20200716, 9);
    for (size_t i = 0; i < s->nshops; i++) {
        Chejian__V1__RegisterWorkshop *c = s->shops[i].cmd;
        if (c->details->operator_->kind != OK_ (PARTNERSHIP)
            && !s_add (s, SAMPLE_WORKSHOPS, S_HRSS, s_fmt (s, "qc-workshop-%s", c->workshop_id),
                       BODY (REGISTER_WORKSHOP), c))
            return -1;
    }
    int poor = 0;
    for (size_t i = 0; i < s->nshops; i++)
        for (int k = 0; k < 3; k++)
            poor += s->shops[i].count[k];
    if (s->employed < poor)
        return s_fail (s, "at least %d people are employed (the registered-poor laborers)", poor);
    s_spread_nonpoor (s, s->employed - poor);
    for (size_t i = 0; i < s->nshops; i++) {
        const int *n = s->shops[i].count;
        int staff = n[0] + n[1] + n[2] + n[3];
        s->shops[i].cmd->details->planned_jobs = (uint32_t) (staff + 9) / 10 * 10;
    }
    for (size_t i = 0; i < s->nshops; i++) {
        s_shop_t *shop = &s->shops[i];
        int n = 0;
        for (int k = 0; k < 4; k++)
            for (int j = 0; j < shop->count[k]; j++)
                if (s_laborer (s, shop, (s_kind_t) k, ++n) != 0)
                    return s_fail (s, "cannot build the laborers of %s", shop->id);
        for (int m = 0; m <= S_LAST_PERIOD - S_FIRST_PERIOD; m++)
            if (shop->reports[m]
                && !s_add (s, SAMPLE_WAGES, S_HRSS,
                           s_fmt (s, "qc-wages-%s-%d", shop->id, (int) shop->reports[m]->period),
                           BODY (SUBMIT_WAGE_REPORT), shop->reports[m]))
                return -1;
    }
    return 0;
}

static int
s_decisions (sample_t *s)
{
    s->clock_ms = s_ms (20200720, 9);
    if (s_stakes (s) != 0)
        return -1;
    s->clock_ms = s_ms (20200721, 9);
    for (size_t i = 0; i < s->nshops; i++) {
        const s_shop_t *shop = &s->shops[i];
        if (shop->cmd->details->role != CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_WORKSHOP)
            continue;
        Chejian__V1__RequestCertification *r = S_NEW (s, Chejian__V1__RequestCertification,
                                                      CHEJIAN__V1__REQUEST_CERTIFICATION__INIT);
        if (!r)
            return -1;
        r->workshop_id = (char *) shop->id;
        r->as_of_date = S_CERT_DATE;
        if (!s_add (s, SAMPLE_DECISIONS, S_HRSS, s_fmt (s, "qc-certify-%s", shop->id),
                    BODY (REQUEST_CERTIFICATION), r))
            return -1;
    }
    for (int i = 0; i < 6; i++)
        if (s_loan (s, i + 1, &s_loans[i]) != 0)
            return -1;
    return 0;
}

/*  ---- the figures ----  */

/*  True when the employment qualifies under the Qingchuan rule on 'date' (its laborer
 *  registered-poor on every date here: statuses never change).  */
static bool
s_qualifies (const Chejian__V1__EmploymentTerms *t, int32_t date, bool poor)
{
    return poor && t->start_date <= date
        && (t->contract_type == CT (LABOUR_CONTRACT) || t->contract_type == CT (EMPLOYMENT_AGREEMENT))
        && t->term_months >= 6;
}

/*  Checks the data against the bulletin: 40 workshops with >= 3 qualifying laborers, 728
 *  laborers in them, none elsewhere at or above the threshold; 3,000,000 yuan of loans and
 *  83,000 yuan of interest; every poor laborer's income above the baseline.  */
static int
s_verify (sample_t *s)
{
    int certified = 0, laborers = 0, qualifying[S_SHOPS_MAX] = { 0 };
    size_t person = 0;
    const Chejian__V1__RuleParams *award = NULL;
    for (size_t i = 0; i < s->policy->policy->n_rules; i++)
        if (s->policy->policy->rules[i]->params_case == CHEJIAN__V1__RULE_PARAMS__PARAMS_EMPLOYMENT_AWARD)
            award = s->policy->policy->rules[i];
    if (!award || award->employment_award->award_per_laborer_fen != S_AWARD_FEN)
        return s_fail (s, "the policy's award is not 1,000 yuan per laborer");
    for (size_t k = 0; k < s->n; k++) {        /* employments come in people's order */
        const cj_envelope_t *env = s->items[k].env;
        if (env->body_case != BODY (START_EMPLOYMENT) || person >= s->npeople)
            continue;
        const s_person_t *p = &s->people[person++];
        qualifying[p->shop - s->shops] += s_qualifies (env->start_employment->terms, S_CERT_DATE,
                                                       p->poor);
    }
    for (size_t i = 0; i < s->nshops; i++) {
        certified += qualifying[i] >= 3;
        laborers += qualifying[i] >= 3 ? qualifying[i] : 0;
    }
    if (certified != 40 || laborers != 728)
        return s_fail (s, "%d workshops qualify with %d laborers, not 40 with 728", certified,
                       laborers);
    if (s->loans_fen != 300000000 || s->interest_fen != 8300000)
        return s_fail (s, "loans %lld fen with interest %lld fen, not 300000000 and 8300000",
                       (long long) s->loans_fen, (long long) s->interest_fen);
    for (size_t i = 0; i < s->npeople; i++)
        if (s->people[i].poor && s->people[i].income_fen <= s->people[i].baseline_fen)
            return s_fail (s, "laborer %zu earns less than the baseline", i + 1);
    return 0;
}

static json_t *
s_registry_summary (const sample_t *s)
{
    Chejian__V1__RegistrySummary sum = CHEJIAN__V1__REGISTRY_SUMMARY__INIT;
    Chejian__V1__WorkshopTypeCount counts[8], *by_type[8];
    int types[] = { WT (PARK), WT (HOME_WORKSHOP), WT (SHAREHOLDING), WT (VILLAGE_COLLECTIVE) };
    sum.county = SAMPLE_COUNTY;
    sum.as_of_date = SAMPLE_BULLETIN_DATE;
    sum.year = 2020;
    for (size_t t = 0; t < 4; t++) {
        chejian__v1__workshop_type_count__init (&counts[t]);
        counts[t].type = types[t];
        by_type[t] = &counts[t];
    }
    sum.by_type = by_type;
    sum.n_by_type = 4;
    for (size_t i = 0; i < s->nshops; i++) {
        bool counted = s->shops[i].cmd->details->role == CHEJIAN__V1__WORKSHOP_ROLE__WORKSHOP_ROLE_WORKSHOP;
        sum.workshops += counted;
        sum.hosts += !counted;
        for (size_t t = 0; t < 4; t++)
            counts[t].workshops += counted && s->shops[i].type == types[t];
    }
    for (size_t i = 0; i < s->npeople; i++) {
        const s_person_t *p = &s->people[i];
        sum.workers_registered++;
        sum.poor_workers_registered += p->poor;
        if (!p->open_on_bulletin)
            continue;
        sum.employed_headcount++;
        sum.poor_employed_headcount += p->poor;
        sum.disabled_employed_headcount += p->disabled;
        sum.allowance_employed_headcount += p->allowance;
        sum.relocated_employed_headcount += p->relocated;
        sum.home_based_headcount += p->shop->home_based;
        for (size_t t = 0; t < 4; t++)
            if (p->shop->type == types[t]) {
                counts[t].headcount++;
                counts[t].poor_headcount += p->poor;
            }
    }
    return cj_json_from_message (&sum.base, 0);
}

static json_t *
s_income_summary (const sample_t *s)
{
    Chejian__V1__CountyIncomeSummary sum = CHEJIAN__V1__COUNTY_INCOME_SUMMARY__INIT;
    int64_t months = 0, poor_months = 0;
    sum.county = SAMPLE_COUNTY;
    sum.year = 2020;
    for (size_t i = 0; i < s->npeople; i++) {
        const s_person_t *p = &s->people[i];
        if (p->income_fen <= 0)
            continue;
        sum.paid_headcount++;
        sum.total_wages_fen += p->income_fen;
        months += p->months_paid;
        if (!p->poor)
            continue;
        sum.poor_paid_headcount++;
        sum.poor_wages_fen += p->income_fen;
        poor_months += p->months_paid;
        sum.poor_laborers_with_income++;
        sum.total_increase_fen += p->income_fen - p->baseline_fen;
    }
    sum.average_monthly_wage_fen = s_div_half_up (sum.total_wages_fen, months);
    sum.poor_average_monthly_wage_fen = s_div_half_up (sum.poor_wages_fen, poor_months);
    sum.average_increase_fen = s_div_half_up (sum.total_increase_fen, sum.poor_laborers_with_income);
    return cj_json_from_message (&sum.base, 0);
}

static json_t *
s_adjudication_summary (const sample_t *s)
{
    Chejian__V1__AdjudicationSummary sum = CHEJIAN__V1__ADJUDICATION_SUMMARY__INIT;
    sum.county = SAMPLE_COUNTY;
    sum.certified_workshops = 40;
    sum.awarded_workshops = 40;
    sum.awarded_laborers = 728;
    sum.awards_fen = 728 * S_AWARD_FEN;
    sum.loans_approved = sum.loans_disbursed = sum.workshops_with_loans = 6;
    sum.loans_approved_fen = sum.loans_disbursed_fen = s->loans_fen;
    sum.interest_subsidy_fen = s->interest_fen;
    return cj_json_from_message (&sum.base, 0);
}

json_t *
sample_expected (const sample_t *self)
{
    json_t *root = json_object ();
    if (root && json_object_set_new (root, "registrySummary", s_registry_summary (self)) == 0
        && json_object_set_new (root, "countyIncomeSummary", s_income_summary (self)) == 0
        && json_object_set_new (root, "adjudicationSummary", s_adjudication_summary (self)) == 0)
        return root;
    json_decref (root);
    return NULL;
}

/*  ---- the object ----  */

sample_t *
sample_new (const char *policy_file, int employed, char *err, size_t err_size)
{
    sample_t *s = calloc (1, sizeof *s);
    if (!s) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    s->err = err;
    s->err_size = err_size;
    s->rng = 5108222020072800ULL;
    s->employed = employed > 0 ? employed : SAMPLE_EMPLOYED;
    s->arena = cj_arena_new ();
    s->ids = calloc (S_ID_SLOTS, sizeof *s->ids);
    snprintf (err, err_size, "out of memory");
    if (!s->arena || !s->ids || s_setup (s, policy_file) != 0 || s_registry (s) != 0
        || s_decisions (s) != 0 || s_verify (s) != 0)
        sample_destroy (&s);
    return s;
}

void
sample_destroy (sample_t **self_p)
{
    sample_t *s = self_p ? *self_p : NULL;
    if (!s)
        return;
    if (s->policy)
        protobuf_c_message_free_unpacked (&s->policy->base, NULL);
    cj_arena_destroy (&s->arena);
    free (s->ids);
    free (s->items);
    free (s->people);
    free (s);
    *self_p = NULL;
}

size_t
sample_count (const sample_t *self)
{
    return self->n;
}

const sample_item_t *
sample_item (const sample_t *self, size_t index)
{
    return index < self->n ? &self->items[index] : NULL;
}

const char *
sample_file_name (sample_file_t file)
{
    static const char *const names[SAMPLE_FILES] = {
        "setup.jsonl", "workshops.csv", "workers.csv", "employments.csv", "wages.csv",
        "stakes.jsonl", "decisions.jsonl",
    };
    return (unsigned) file < SAMPLE_FILES ? names[file] : "";
}
