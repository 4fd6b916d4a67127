/*  cli_report.c - `chejian report`: the county bulletin from the three summaries
 *  (GetRegistrySummary, GetCountyIncomeSummary, GetAdjudicationSummary), as an aligned
 *  table, a JSON object or CSV. One list of metrics feeds the three formats; money is
 *  formatted from whole fen, without floating point.  */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#define S_METRICS_MAX 48

void
cli_report_help (FILE *out)
{
    fputs ("usage: chejian report --county C [options]\n\n"
           "Prints the county bulletin:\n"
           "  from the registry, on --as-of: workshops open by type, host parks and\n"
           "  headquarters, people employed, of whom registered-poor;\n"
           "  from payroll, for the year --year: wages paid, average monthly wage, average\n"
           "  annual income increase of registered-poor laborers;\n"
           "  from the adjudicator, for decisions whose facts date from --since (default: no\n"
           "  bound, i.e. since the programme began) up to --as-of: employment awards granted\n"
           "  (laborers, workshops, yuan) and paid, start-up loans disbursed (count,\n"
           "  workshops, yuan) and the interest subsidy granted.\n"
           "Money is in yuan with two decimals.\n\n"
           "Options:\n"
           "  --year Y            the income year (default: the year of --as-of)\n"
           "  --as-of YYYYMMDD    the date of the headcounts and the end of the decisions\n"
           "                      counted (default: today, China time)\n"
           "  --since YYYYMMDD    count only decisions with facts from this date on\n"
           "  --format F          text (default), json or csv (a header row metric,value)\n", out);
    cli_conn_help (out);
    fputs ("\nExit: 0 printed; 1 a summary was rejected; 2 usage; 3 gave up.\n\n"
           "Examples:\n"
           "  chejian report --county 510822 --year 2026\n"
           "  chejian report --county 510822 --as-of 20261231 --format csv > bulletin.csv\n", out);
}

typedef struct {
    char key[48];
    char label[80];
    char value[32];
    bool number;      /* a count (JSON number) rather than yuan (JSON string) */
} s_metric_t;

typedef struct {
    s_metric_t m[S_METRICS_MAX];
    size_t     n;
} s_metrics_t;

static void
s_count (s_metrics_t *ms, const char *key, const char *label, uint64_t value)
{
    if (ms->n == S_METRICS_MAX)
        return;
    s_metric_t *m = &ms->m[ms->n++];
    snprintf (m->key, sizeof m->key, "%s", key);
    snprintf (m->label, sizeof m->label, "%s", label);
    snprintf (m->value, sizeof m->value, "%" PRIu64, value);
    m->number = true;
}

static void
s_yuan (s_metrics_t *ms, const char *key, const char *label, int64_t fen)
{
    if (ms->n == S_METRICS_MAX)
        return;
    s_metric_t *m = &ms->m[ms->n++];
    snprintf (m->key, sizeof m->key, "%s", key);
    snprintf (m->label, sizeof m->label, "%s", label);
    cli_format_yuan (fen, m->value);
    m->number = false;
}

static void
s_registry (s_metrics_t *ms, const Chejian__V1__RegistrySummary *r)
{
    s_count (ms, "workshops", "Workshops open", r->workshops);
    for (size_t i = 0; i < r->n_by_type; i++) {
        char name[32], key[48], label[80];
        cli_enum_short_name (&chejian__v1__workshop_type__descriptor, r->by_type[i]->type, name,
                             sizeof name);
        snprintf (key, sizeof key, "workshops_%s", name);
        snprintf (label, sizeof label, "  %s", name);
        s_count (ms, key, label, r->by_type[i]->workshops);
    }
    s_count (ms, "hosts", "Host parks and headquarters", r->hosts);
    s_count (ms, "employed", "People employed", r->employed_headcount);
    s_count (ms, "poor_employed", "  of whom registered-poor", r->poor_employed_headcount);
}

static void
s_payroll (s_metrics_t *ms, const Chejian__V1__CountyIncomeSummary *p)
{
    s_count (ms, "paid_workers", "Workers paid in the year", p->paid_headcount);
    s_yuan (ms, "wages_yuan", "Wages paid (yuan)", p->total_wages_fen);
    s_yuan (ms, "average_monthly_wage_yuan", "Average monthly wage (yuan)",
            p->average_monthly_wage_fen);
    s_count (ms, "poor_laborers_with_income", "Registered-poor laborers with income",
             p->poor_laborers_with_income);
    s_yuan (ms, "average_income_increase_yuan", "Average annual income increase (yuan)",
            p->average_increase_fen);
}

static void
s_adjudication (s_metrics_t *ms, const Chejian__V1__AdjudicationSummary *a)
{
    int64_t paid = 0;
    for (size_t i = 0; i < a->n_by_rule; i++)
        if (a->by_rule[i]->rule == CHEJIAN__V1__RULE_KIND__RULE_KIND_EMPLOYMENT_AWARD)
            paid += a->by_rule[i]->paid_fen;
    s_count (ms, "awards_laborers", "Employment awards granted: laborers", a->awarded_laborers);
    s_count (ms, "awards_workshops", "  workshops", a->awarded_workshops);
    s_yuan (ms, "awards_yuan", "  amount (yuan)", a->awards_fen);
    s_yuan (ms, "awards_paid_yuan", "  paid (yuan)", paid);
    s_count (ms, "loans_disbursed", "Start-up loans disbursed", a->loans_disbursed);
    s_count (ms, "loans_workshops", "  workshops with loans", a->workshops_with_loans);
    s_yuan (ms, "loans_yuan", "  principal (yuan)", a->loans_disbursed_fen);
    s_yuan (ms, "interest_subsidy_yuan", "Interest subsidy granted (yuan)",
            a->interest_subsidy_fen);
}

static void
s_print_text (const s_metrics_t *ms, const char *county, int32_t as_of, int32_t year,
              int32_t since)
{
    printf ("County %s bulletin, as of %04d-%02d-%02d\n", county, as_of / 10000,
            as_of / 100 % 100, as_of % 100);
    printf ("(income: year %d; awards and loans: decisions ", year);
    if (since)
        printf ("from %04d-%02d-%02d ", since / 10000, since / 100 % 100, since % 100);
    printf ("up to %04d-%02d-%02d)\n\n", as_of / 10000, as_of / 100 % 100, as_of % 100);
    for (size_t i = 0; i < ms->n; i++)
        printf ("%-44s %16s\n", ms->m[i].label, ms->m[i].value);
}

static void
s_print_json (const s_metrics_t *ms, const char *county, int32_t as_of, int32_t year,
              int32_t since)
{
    json_t *o = json_pack ("{s:s, s:i, s:i, s:i}", "county", county, "as_of_date", (int) as_of,
                           "year", (int) year, "since_date", (int) since);
    for (size_t i = 0; o && i < ms->n; i++)
        json_object_set_new (o, ms->m[i].key,
                             ms->m[i].number ? json_integer (strtoll (ms->m[i].value, NULL, 10))
                                             : json_string (ms->m[i].value));
    char *text = o ? json_dumps (o, JSON_INDENT (2)) : NULL;
    if (text)
        printf ("%s\n", text);
    free (text);
    json_decref (o);
}

static void
s_print_csv (const s_metrics_t *ms, const char *county, int32_t as_of, int32_t year)
{
    printf ("metric,value\ncounty,%s\nas_of_date,%d\nyear,%d\n", county, as_of, year);
    for (size_t i = 0; i < ms->n; i++)
        printf ("%s,%s\n", ms->m[i].key, ms->m[i].value);
}

typedef struct {
    int32_t     year, as_of, since;
    const char *format;
} s_report_t;

static int
s_options (int argc, char **argv, cli_conn_t *conn, s_report_t *r)
{
    enum { O_YEAR = CLI_OPT_FIRST_COMMAND, O_AS_OF, O_SINCE, O_FORMAT };
    static const struct option options[] = {
        { "year", required_argument, NULL, O_YEAR },
        { "as-of", required_argument, NULL, O_AS_OF },
        { "since", required_argument, NULL, O_SINCE },
        { "format", required_argument, NULL, O_FORMAT },
        { "help", no_argument, NULL, 'h' },
        CLI_CONN_LONG_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    int c;
    long v;
    while ((c = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case O_YEAR:
            if (cli_parse_int_option (optarg, 1900, 2199, &v) != 0)
                return cli_usage_error ("report", "--year takes a year, e.g. 2026");
            r->year = (int32_t) v;
            break;
        case O_AS_OF:
            if (cli_parse_date (optarg, &r->as_of) != NULL)
                return cli_usage_error ("report", "--as-of takes a date YYYYMMDD");
            break;
        case O_SINCE:
            if (cli_parse_date (optarg, &r->since) != NULL)
                return cli_usage_error ("report", "--since takes a date YYYYMMDD");
            break;
        case O_FORMAT:
            if (strcmp (optarg, "text") && strcmp (optarg, "json") && strcmp (optarg, "csv"))
                return cli_usage_error ("report", "--format takes text, json or csv");
            r->format = optarg;
            break;
        case 'h': cli_report_help (stdout); return -1;
        default:
            if ((v = cli_option (conn, NULL, c, optarg)) != 0)
                return (int) v;
            break;
        }
    }
    if (optind != argc)
        return cli_usage_error ("report", "takes no arguments");
    if (!conn->county[0])
        return cli_usage_error ("report", "give --county (or CHEJIAN_COUNTY)");
    if (!r->as_of)
        r->as_of = cli_today_cn ();
    if (!r->year)
        r->year = r->as_of / 10000;
    return 0;
}

int
cli_report (int argc, char **argv)
{
    cli_conn_t conn;
    cli_send_opts_t opts = CLI_SEND_OPTS_DEFAULT;
    s_report_t r = { .format = "text" };
    int rc = cli_conn_init (&conn, "report");
    if (rc == 0)
        rc = s_options (argc, argv, &conn, &r);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    opts.timeout_ms = conn.timeout_ms;
    if ((rc = cli_conn_open (&conn)) != 0)
        return rc;
    Chejian__V1__GetRegistrySummary reg = CHEJIAN__V1__GET_REGISTRY_SUMMARY__INIT;
    reg.as_of_date = r.as_of;
    reg.year = r.year;
    Chejian__V1__GetCountyIncomeSummary pay = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__INIT;
    pay.scope_case = CHEJIAN__V1__GET_COUNTY_INCOME_SUMMARY__SCOPE_YEAR;
    pay.year = r.year;
    Chejian__V1__GetAdjudicationSummary adj = CHEJIAN__V1__GET_ADJUDICATION_SUMMARY__INIT;
    adj.from_date = r.since;
    adj.to_date = r.as_of;
    cj_ack_t *acks[3] = { NULL, NULL, NULL };
    acks[0] = cli_ask (&conn, &opts, CHEJIAN__V1__ENVELOPE__BODY_GET_REGISTRY_SUMMARY, &reg.base,
                       conn.county);
    if ((rc = cli_ack_exit ("report", acks[0])) == 0)
        acks[1] = cli_ask (&conn, &opts, CHEJIAN__V1__ENVELOPE__BODY_GET_COUNTY_INCOME_SUMMARY,
                           &pay.base, conn.county);
    if (rc == 0 && (rc = cli_ack_exit ("report", acks[1])) == 0)
        acks[2] = cli_ask (&conn, &opts, CHEJIAN__V1__ENVELOPE__BODY_GET_ADJUDICATION_SUMMARY,
                           &adj.base, conn.county);
    if (rc == 0 && (rc = cli_ack_exit ("report", acks[2])) == 0) {
        const void *res[3];
        for (int i = 0; i < 3; i++)
            res[i] = cli_ack_result (acks[i]);
        if (!res[0] || !res[1] || !res[2]) {
            cli_error ("report", "a summary came back without its result");
            rc = CLI_EXIT_REJECTED;
        } else {
            s_metrics_t ms = { .n = 0 };
            s_registry (&ms, res[0]);
            s_payroll (&ms, res[1]);
            s_adjudication (&ms, res[2]);
            if (strcmp (r.format, "json") == 0)
                s_print_json (&ms, conn.county, r.as_of, r.year, r.since);
            else if (strcmp (r.format, "csv") == 0)
                s_print_csv (&ms, conn.county, r.as_of, r.year);
            else
                s_print_text (&ms, conn.county, r.as_of, r.year, r.since);
        }
    }
    for (int i = 0; i < 3; i++)
        cj_ack_free (&acks[i]);
    cli_conn_close (&conn);
    return rc;
}
