/*  registry_check.c - validators of the pieces registry messages share: identifiers, enums,
 *  optional dates, locations, disabilities, paging. Each adds every problem it finds and
 *  returns 0 when the value is valid, -1 otherwise. See registry_internal.h.  */
#include <ctype.h>
#include <string.h>

#include "registry_internal.h"

int
registry_check_token (cj_problems_t *p, const char *field, const char *text, size_t max,
                      const char *extra, bool required)
{
    return cj_check_token (p, field, text, max, CJ_TOKEN_ALNUM, extra, required);
}

int
registry_check_id (cj_problems_t *p, const char *field, const char *id, bool required)
{
    return registry_check_token (p, field, id, REG_ID_MAX, "._:-", required);
}

int
registry_check_workshop_id (cj_problems_t *p, const char *field, const char *id, bool required)
{
    return registry_check_token (p, field, id, REG_WORKSHOP_ID_MAX, "._-", required);
}

int
registry_check_unset (cj_problems_t *p, const char *field, const char *text)
{
    if (!text || !*text)
        return 0;
    cj_problems_add (p, field, CJ_E_INVALID_FORMAT,
                     "is filled in by the registry; leave it empty in commands");
    return -1;
}

int
registry_check_division (cj_problems_t *p, const char *field, const char *code, size_t digits,
                         const char *prefix)
{
    if (!code || !*code)
        return 0;
    size_t len = strlen (code);
    bool all_digits = len == digits;
    for (size_t i = 0; all_digits && i < len; i++)
        all_digits = isdigit ((unsigned char) code[i]);
    if (!all_digits)
        cj_problems_add (p, field, CJ_E_INVALID_FORMAT, "must be %zu digits", digits);
    else if (strncmp (code, prefix, strlen (prefix)) != 0)
        cj_problems_add (p, field, CJ_E_INVALID_FORMAT,
                         "must start with the code of its county or township (%s)", prefix);
    else
        return 0;
    return -1;
}

int
registry_check_location (cj_problems_t *p, const char *field, const Chejian__V1__Location *loc,
                         const char *county)
{
    if (cj_check_present (p, field, loc) != 0)
        return -1;
    size_t before = p->count + p->dropped;
    cj_problems_push (p, "%s", field);
    cj_check_text (p, "township_name", loc->township_name, 32, true);
    registry_check_division (p, "township_code", loc->township_code, 9, county);
    cj_check_text (p, "village_name", loc->village_name, 32, false);
    const char *town = loc->township_code && *loc->township_code ? loc->township_code : county;
    registry_check_division (p, "village_code", loc->village_code, 12, town);
    cj_check_text (p, "address", loc->address, 128, false);
    cj_problems_pop (p);
    return p->count + p->dropped > before ? -1 : 0;
}

int
registry_check_disability (cj_problems_t *p, const char *field, const Chejian__V1__Disability *d)
{
    if (!d)
        return 0;
    size_t before = p->count + p->dropped;
    cj_problems_push (p, "%s", field);
    if (d->certified) {
        cj_check_range (p, "grade", d->grade, 1, 4);
        cj_check_enum (p, "category", &chejian__v1__disability_category__descriptor,
                             (int) d->category, true);
    } else if (d->grade || d->category)
        cj_problems_add (p, d->grade ? "grade" : "category", CJ_E_INVALID_FORMAT,
                         "must be 0 / UNSPECIFIED when certified is false");
    cj_problems_pop (p);
    return p->count + p->dropped > before ? -1 : 0;
}

int
registry_check_page (cj_problems_t *p, const char *field, const Chejian__V1__PageRequest *page)
{
    if (!page)
        return 0;
    size_t before = p->count + p->dropped;
    cj_problems_push (p, "%s", field);
    registry_check_token (p, "page_token", page->page_token, REG_TOKEN_MAX, "._:- ", false);
    cj_check_range (p, "page_size", page->page_size, 0, REG_PAGE_MAX);
    cj_problems_pop (p);
    return p->count + p->dropped > before ? -1 : 0;
}

void
registry_begin (cj_problems_t *p, const cj_envelope_t *env)
{
    cj_problems_push (p, "%s", cj_body_name (env->body_case));
}

int
registry_end (cj_problems_t *p)
{
    cj_problems_pop (p);
    return cj_problems_any (p) ? -1 : 0;
}
