/*  config.c - see config.h.  */
#include "chejian/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const cj_config_option_t *option;   /* the latest declaration of this name */
    char                     *text;     /* loaded value as text */
    int64_t                   int_value;
    bool                      bool_value;
} s_entry_t;

struct cj_config_t {
    s_entry_t *entries;                 /* in first-declaration order */
    size_t     count;
    size_t     capacity;
    bool       loaded;                  /* the last load succeeded */
};

static const char *s_type_names[] = { "string", "int", "bool" };

/*  Prints the programming error and aborts; the caller asked for something undeclared.  */
static void __attribute__ ((noreturn, format (printf, 1, 2)))
s_abort (const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    fprintf (stderr, "cj_config: ");
    vfprintf (stderr, fmt, args);
    fprintf (stderr, "\n");
    va_end (args);
    abort ();
}

cj_config_t *
cj_config_new (void)
{
    return calloc (1, sizeof (cj_config_t));
}

void
cj_config_destroy (cj_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cj_config_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free (self->entries[i].text);
    free (self->entries);
    free (self);
    *self_p = NULL;
}

static s_entry_t *
s_find (const cj_config_t *self, const char *name)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->entries[i].option->name, name) == 0)
            return &self->entries[i];
    return NULL;
}

int
cj_config_declare (cj_config_t *self, const cj_config_option_t *options, size_t count)
{
    if (self->count + count > self->capacity) {
        size_t capacity = self->count + count + 16;
        s_entry_t *entries = realloc (self->entries, capacity * sizeof *entries);
        if (!entries)
            return -1;
        self->entries = entries;
        self->capacity = capacity;
    }
    for (size_t i = 0; i < count; i++) {
        if (!options[i].name || (unsigned) options[i].type > CJ_CONFIG_BOOL)
            s_abort ("option %zu: no name or an unknown type", i);
        s_entry_t *entry = s_find (self, options[i].name);
        if (entry)
            entry->option = &options[i];
        else
            self->entries[self->count++] = (s_entry_t) { .option = &options[i] };
    }
    self->loaded = false;   /* new options have no value until the next load */
    return 0;
}

/*  An int option with min == max == 0 (both left out) accepts any int64.  */
static void
s_int_range (const cj_config_option_t *option, int64_t *ret_min, int64_t *ret_max)
{
    bool unbounded = option->min == 0 && option->max == 0;
    *ret_min = unbounded ? INT64_MIN : option->min;
    *ret_max = unbounded ? INT64_MAX : option->max;
}

/*  Parses 'text' as a decimal int64 within the option's range into 'entry'. Returns 0, or -1
 *  after adding a problem naming the variable.  */
static int
s_parse_int (s_entry_t *entry, const char *text, cj_problems_t *problems)
{
    const cj_config_option_t *option = entry->option;
    int64_t min, max;
    s_int_range (option, &min, &max);
    char *end;
    errno = 0;
    long long value = strtoll (text, &end, 10);
    if (end == text || *end != '\0' || isspace ((unsigned char) *text)) {
        cj_problems_add (problems, option->name, CJ_E_INVALID_FORMAT,
                         "must be a decimal integer, got \"%.40s\"", text);
        return -1;
    }
    if (errno == ERANGE || value < min || value > max) {
        cj_problems_add (problems, option->name, CJ_E_OUT_OF_RANGE,
                         "must be between %" PRId64 " and %" PRId64 ", got %.40s",
                         min, max, text);
        return -1;
    }
    entry->int_value = value;
    return 0;
}

static int
s_parse_bool (s_entry_t *entry, const char *text, cj_problems_t *problems)
{
    static const char *truths[] = { "1", "true", "yes", "on" };
    static const char *lies[] = { "0", "false", "no", "off" };
    for (size_t i = 0; i < sizeof truths / sizeof truths[0]; i++) {
        if (strcasecmp (text, truths[i]) == 0) {
            entry->bool_value = true;
            return 0;
        }
        if (strcasecmp (text, lies[i]) == 0) {
            entry->bool_value = false;
            return 0;
        }
    }
    cj_problems_add (problems, entry->option->name, CJ_E_INVALID_FORMAT,
                     "must be one of 1/0, true/false, yes/no, on/off, got \"%.40s\"", text);
    return -1;
}

/*  Loads one entry from the environment (an empty variable counts as unset) or its default.
 *  Returns 0, or -1 after adding a problem (or on allocation failure, as INTERNAL).  */
static int
s_load_entry (s_entry_t *entry, cj_problems_t *problems)
{
    const cj_config_option_t *option = entry->option;
    const char *text = getenv (option->name);
    if (!text || !*text)
        text = option->default_value ? option->default_value : "";
    char *copy = strdup (text);
    if (!copy) {
        cj_problems_add (problems, option->name, CJ_E_INTERNAL, "out of memory");
        return -1;
    }
    free (entry->text);
    entry->text = copy;
    if (option->type == CJ_CONFIG_INT)
        return s_parse_int (entry, copy, problems);
    if (option->type == CJ_CONFIG_BOOL)
        return s_parse_bool (entry, copy, problems);
    return 0;
}

int
cj_config_load (cj_config_t *self, cj_problems_t *problems)
{
    int rc = 0;
    for (size_t i = 0; i < self->count; i++)
        if (s_load_entry (&self->entries[i], problems) != 0)
            rc = -1;
    self->loaded = rc == 0;
    return rc;
}

/*  The loaded entry 'name' of 'type', or an abort naming the mistake.  */
static const s_entry_t *
s_get (const cj_config_t *self, const char *name, cj_config_type_t type)
{
    const s_entry_t *entry = s_find (self, name);
    if (!entry)
        s_abort ("%s was never declared", name);
    if (entry->option->type != type)
        s_abort ("%s is a %s, read as a %s", name, s_type_names[entry->option->type],
                 s_type_names[type]);
    if (!self->loaded)
        s_abort ("%s read before a successful cj_config_load", name);
    return entry;
}

const char *
cj_config_str (const cj_config_t *self, const char *name)
{
    return s_get (self, name, CJ_CONFIG_STRING)->text;
}

int64_t
cj_config_int (const cj_config_t *self, const char *name)
{
    return s_get (self, name, CJ_CONFIG_INT)->int_value;
}

bool
cj_config_bool (const cj_config_t *self, const char *name)
{
    return s_get (self, name, CJ_CONFIG_BOOL)->bool_value;
}

/*  Writes the TYPE column for 'option' into 'out': "string", "bool", or "int" with its
 *  range ("int 1..65535").  */
static void
s_type_text (const cj_config_option_t *option, char *out, size_t size)
{
    if (option->type != CJ_CONFIG_INT) {
        snprintf (out, size, "%s", s_type_names[option->type]);
        return;
    }
    int64_t min, max;
    s_int_range (option, &min, &max);
    if (min == INT64_MIN && max == INT64_MAX)
        snprintf (out, size, "int");
    else
        snprintf (out, size, "int %" PRId64 "..%" PRId64, min, max);
}

static const char *
s_default_text (const cj_config_option_t *option)
{
    return option->default_value && *option->default_value ? option->default_value : "-";
}

void
cj_config_print_help (const cj_config_t *self, FILE *out, const char *program,
                      const char *summary)
{
    fprintf (out, "Usage: %s [--help]\n", program ? program : "chejian");
    if (summary && *summary)
        fprintf (out, "\n%s\n", summary);
    fprintf (out, "\nEnvironment:\n");
    int name_w = (int) strlen ("NAME"), type_w = (int) strlen ("TYPE");
    int default_w = (int) strlen ("DEFAULT");
    char type[64];
    for (size_t i = 0; i < self->count; i++) {
        const cj_config_option_t *option = self->entries[i].option;
        s_type_text (option, type, sizeof type);
        int name_len = (int) strlen (option->name);
        int type_len = (int) strlen (type);
        int default_len = (int) strlen (s_default_text (option));
        name_w = name_len > name_w ? name_len : name_w;
        type_w = type_len > type_w ? type_len : type_w;
        default_w = default_len > default_w ? default_len : default_w;
    }
    fprintf (out, "  %-*s  %-*s  %-*s  %s\n", name_w, "NAME", type_w, "TYPE",
             default_w, "DEFAULT", "DESCRIPTION");
    for (size_t i = 0; i < self->count; i++) {
        const cj_config_option_t *option = self->entries[i].option;
        s_type_text (option, type, sizeof type);
        fprintf (out, "  %-*s  %-*s  %-*s  %s\n", name_w, option->name, type_w, type,
                 default_w, s_default_text (option), option->help ? option->help : "");
    }
}
