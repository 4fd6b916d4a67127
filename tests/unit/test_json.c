/*  test_json.c - the proto3 JSON converter, on chejian.test messages that use every field
 *  type (tests/proto/json_test.proto).
 *
 *  Round trips are checked on the packed bytes (message -> JSON -> message -> pack equals
 *  the original's pack); errors on the exact field path and code; allocation on the failure
 *  paths by the ASan build (LeakSanitizer), since every error test builds a partly filled
 *  message that must be freed whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chejian/json.h"
#include "json_test.pb-c.h"

#define ALL_TYPES (&chejian__test__all_types__descriptor)
#define NODE      (&chejian__test__node__descriptor)

#define assert_problem(problems, index, expected_field, expected_code) do { \
        assert_true ((index) < (problems)->count); \
        assert_string_equal ((problems)->items [index].field, (expected_field)); \
        assert_string_equal ((problems)->items [index].code, (expected_code)); \
    } while (0)

//  Every field set to a value that is not its default; strings and arrays are static.
static Chejian__Test__Line s_line = {
    PROTOBUF_C_MESSAGE_INIT (&chejian__test__line__descriptor),
    500, (char *) "a", CHEJIAN__TEST__COLOR__COLOR_RED
};
static Chejian__Test__Line s_empty_line = CHEJIAN__TEST__LINE__INIT;
static int32_t s_r_int32 [] = { 1, -2 };
static int32_t s_r_sint32 [] = { -3 };
static int32_t s_r_sfixed32 [] = { 4 };
static uint32_t s_r_uint32 [] = { 5 };
static uint32_t s_r_fixed32 [] = { 6 };
static int64_t s_r_int64 [] = { 7, -8 };
static int64_t s_r_sint64 [] = { -9 };
static int64_t s_r_sfixed64 [] = { 10 };
static uint64_t s_r_uint64 [] = { UINT64_MAX };
static uint64_t s_r_fixed64 [] = { 12 };
static float s_r_float [] = { 0.5f, -2.0f };
static double s_r_double [] = { 0.125 };
static protobuf_c_boolean s_r_bool [] = { 1, 0 };
static char *s_r_string [] = { (char *) "x", (char *) "" };
static uint8_t s_hi [] = { 'h', 'i' };
static ProtobufCBinaryData s_r_bytes [] = { { 2, s_hi } };
static Chejian__Test__Color s_r_color [] = { CHEJIAN__TEST__COLOR__COLOR_RED, 7 };
static Chejian__Test__Line *s_lines [] = { &s_line, &s_empty_line };
static uint8_t s_bytes [] = { 0xfb, 0xff, 0x00 };

static void
s_fill_all_types (Chejian__Test__AllTypes *m)
{
    chejian__test__all_types__init (m);
    m->f_int32 = -123;
    m->f_sint32 = -7;
    m->f_sfixed32 = INT32_MIN;
    m->f_uint32 = UINT32_MAX;
    m->f_fixed32 = 42;
    m->f_int64 = INT64_MIN;
    m->f_sint64 = INT64_MAX;
    m->f_sfixed64 = -1;
    m->f_uint64 = UINT64_MAX;
    m->f_fixed64 = 1234567890123;
    m->f_float = 1.5f;
    m->f_double = -0.25;
    m->f_bool = 1;
    m->f_string = (char *) "车间 workshop";
    m->f_bytes = (ProtobufCBinaryData) { sizeof s_bytes, s_bytes };
    m->color = CHEJIAN__TEST__COLOR__COLOR_GREEN;
    m->line = &s_line;
#define SET_REPEATED(name) m->n_##name = sizeof s_##name / sizeof s_##name [0], m->name = s_##name
    SET_REPEATED (r_int32); SET_REPEATED (r_sint32); SET_REPEATED (r_sfixed32);
    SET_REPEATED (r_uint32); SET_REPEATED (r_fixed32); SET_REPEATED (r_int64);
    SET_REPEATED (r_sint64); SET_REPEATED (r_sfixed64); SET_REPEATED (r_uint64);
    SET_REPEATED (r_fixed64); SET_REPEATED (r_float); SET_REPEATED (r_double);
    SET_REPEATED (r_bool); SET_REPEATED (r_string); SET_REPEATED (r_bytes);
    SET_REPEATED (r_color); SET_REPEATED (lines);
#undef SET_REPEATED
    m->choice_case = CHEJIAN__TEST__ALL_TYPES__CHOICE_CHOICE_FEN;
    m->choice_fen = 0;                  //  A oneof member is written even at its default
    m->period_2024_q1 = 2024;
}

static const char s_all_types_json [] =
    "{\"fInt32\":-123,\"fSint32\":-7,\"fSfixed32\":-2147483648,\"fUint32\":4294967295,"
    "\"fFixed32\":42,\"fInt64\":\"-9223372036854775808\",\"fSint64\":\"9223372036854775807\","
    "\"fSfixed64\":\"-1\",\"fUint64\":\"18446744073709551615\",\"fFixed64\":\"1234567890123\","
    "\"fFloat\":1.5,\"fDouble\":-0.25,\"fBool\":true,\"fString\":\"车间 workshop\","
    "\"fBytes\":\"+/8A\",\"color\":\"COLOR_GREEN\","
    "\"line\":{\"grossFen\":\"500\",\"name\":\"a\",\"color\":\"COLOR_RED\"},"
    "\"rInt32\":[1,-2],\"rSint32\":[-3],\"rSfixed32\":[4],\"rUint32\":[5],\"rFixed32\":[6],"
    "\"rInt64\":[\"7\",\"-8\"],\"rSint64\":[\"-9\"],\"rSfixed64\":[\"10\"],"
    "\"rUint64\":[\"18446744073709551615\"],\"rFixed64\":[\"12\"],\"rFloat\":[0.5,-2.0],"
    "\"rDouble\":[0.125],\"rBool\":[true,false],\"rString\":[\"x\",\"\"],\"rBytes\":[\"aGk=\"],"
    "\"rColor\":[\"COLOR_RED\",7],"
    "\"lines\":[{\"grossFen\":\"500\",\"name\":\"a\",\"color\":\"COLOR_RED\"},{}],"
    "\"choiceFen\":\"0\",\"period2024Q1\":2024}";

/*  Packs 'message' into a malloc'd buffer; its size goes to 'ret_len'.  */
static uint8_t *
s_pack (const ProtobufCMessage *message, size_t *ret_len)
{
    size_t len = protobuf_c_message_get_packed_size (message);
    uint8_t *buf = malloc (len + 1);
    assert_non_null (buf);
    assert_int_equal (protobuf_c_message_pack (message, buf), len);
    *ret_len = len;
    return buf;
}

static void
s_assert_same_packing (const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    size_t a_len, b_len;
    uint8_t *a_buf = s_pack (a, &a_len);
    uint8_t *b_buf = s_pack (b, &b_len);
    assert_int_equal (a_len, b_len);
    assert_memory_equal (a_buf, b_buf, a_len);
    free (a_buf);
    free (b_buf);
}

/*  Parses 'text' as a message of 'descriptor' into 'problems' (initialised here).  */
static ProtobufCMessage *
s_load (const ProtobufCMessageDescriptor *descriptor, const char *text, int flags,
        cj_problems_t *problems)
{
    cj_problems_init (problems);
    return cj_json_loads (descriptor, text, strlen (text), flags, problems);
}

/*  Loads 'text' as AllTypes and asserts that it fails with exactly one problem.  */
static void
s_assert_one_problem (const char *text, const char *field, const char *code)
{
    cj_problems_t problems;
    ProtobufCMessage *message = s_load (ALL_TYPES, text, 0, &problems);
    if (message || problems.count != 1) {
        char buf [1024];
        cj_problems_format (&problems, buf, sizeof buf);
        print_error ("%s -> %s [%s]\n", text, message ? "accepted" : "rejected", buf);
    }
    assert_null (message);
    assert_int_equal (problems.count, 1);
    assert_problem (&problems, 0, field, code);
}

/*  Loads 'text' as AllTypes, asserting success.  */
static Chejian__Test__AllTypes *
s_load_ok (const char *text, int flags)
{
    cj_problems_t problems;
    ProtobufCMessage *message = s_load (ALL_TYPES, text, flags, &problems);
    if (!message) {
        char buf [1024];
        cj_problems_format (&problems, buf, sizeof buf);
        print_error ("%s -> %s\n", text, buf);
    }
    assert_non_null (message);
    assert_int_equal (problems.count, 0);
    return (Chejian__Test__AllTypes *) message;
}


//  --------------------------------------------------------------------------------------

static void
test_output_every_type (void **state)
{
    (void) state;
    Chejian__Test__AllTypes m;
    s_fill_all_types (&m);
    char *text = cj_json_dumps (&m.base, 0);
    assert_non_null (text);
    assert_string_equal (text, s_all_types_json);
    free (text);
}

static void
test_round_trip_every_type (void **state)
{
    (void) state;
    Chejian__Test__AllTypes m;
    s_fill_all_types (&m);
    for (int flags = 0; flags <= (CJ_JSON_EMIT_DEFAULTS | CJ_JSON_PROTO_NAMES); flags++) {
        char *text = cj_json_dumps (&m.base, flags);
        assert_non_null (text);
        Chejian__Test__AllTypes *back = s_load_ok (text, 0);
        s_assert_same_packing (&m.base, &back->base);
        assert_string_equal (back->f_string, "车间 workshop");
        assert_int_equal (back->r_color [1], 7);
        protobuf_c_message_free_unpacked (&back->base, NULL);
        free (text);
    }
}

static void
test_round_trip_through_json_t (void **state)
{
    (void) state;
    Chejian__Test__AllTypes m;
    s_fill_all_types (&m);
    m.choice_case = CHEJIAN__TEST__ALL_TYPES__CHOICE_CHOICE_LINE;
    m.choice_line = &s_line;
    json_t *json = cj_json_from_message (&m.base, 0);
    assert_non_null (json);
    assert_string_equal (json_string_value (json_object_get (
        json_object_get (json, "choiceLine"), "grossFen")), "500");

    cj_problems_t problems;
    cj_problems_init (&problems);
    ProtobufCMessage *back = cj_json_to_message (ALL_TYPES, json, 0, &problems);
    assert_non_null (back);
    s_assert_same_packing (&m.base, back);
    protobuf_c_message_free_unpacked (back, NULL);
    json_decref (json);
}

static void
test_defaults_omitted_or_emitted (void **state)
{
    (void) state;
    Chejian__Test__AllTypes m = CHEJIAN__TEST__ALL_TYPES__INIT;
    char *text = cj_json_dumps (&m.base, 0);
    assert_string_equal (text, "{}");
    free (text);

    json_t *json = cj_json_from_message (&m.base, CJ_JSON_EMIT_DEFAULTS);
    assert_non_null (json);
    assert_int_equal (json_integer_value (json_object_get (json, "fInt32")), 0);
    assert_string_equal (json_string_value (json_object_get (json, "fInt64")), "0");
    assert_string_equal (json_string_value (json_object_get (json, "fUint64")), "0");
    assert_true (json_is_real (json_object_get (json, "fDouble")));
    assert_true (json_is_false (json_object_get (json, "fBool")));
    assert_string_equal (json_string_value (json_object_get (json, "fString")), "");
    assert_string_equal (json_string_value (json_object_get (json, "fBytes")), "");
    assert_string_equal (json_string_value (json_object_get (json, "color")),
                         "COLOR_UNSPECIFIED");
    assert_true (json_is_array (json_object_get (json, "lines")));
    assert_int_equal (json_array_size (json_object_get (json, "lines")), 0);
    assert_null (json_object_get (json, "line"));           //  Messages have presence
    assert_null (json_object_get (json, "choiceText"));     //  So has a oneof
    assert_null (json_object_get (json, "choiceFen"));
    //  16 singular fields without presence, 17 repeated, period2024Q1
    assert_int_equal (json_object_size (json), 16 + 17 + 1);
    json_decref (json);

    //  A oneof member is written when chosen, even at its default; a message when present
    m.choice_case = CHEJIAN__TEST__ALL_TYPES__CHOICE_CHOICE_COLOR;
    m.choice_color = CHEJIAN__TEST__COLOR__COLOR_UNSPECIFIED;
    m.line = &s_empty_line;
    text = cj_json_dumps (&m.base, 0);
    assert_string_equal (text, "{\"line\":{},\"choiceColor\":\"COLOR_UNSPECIFIED\"}");
    free (text);
}

static void
test_proto_names (void **state)
{
    (void) state;
    Chejian__Test__AllTypes m = CHEJIAN__TEST__ALL_TYPES__INIT;
    m.period_2024_q1 = 1;
    m.f_int64 = 2;
    char *text = cj_json_dumps (&m.base, CJ_JSON_PROTO_NAMES);
    assert_string_equal (text, "{\"f_int64\":\"2\",\"period_2024_q1\":1}");
    free (text);
    text = cj_json_dumps (&m.base, 0);
    assert_string_equal (text, "{\"fInt64\":\"2\",\"period2024Q1\":1}");
    free (text);

    //  Input takes either name, and paths use the name as written
    Chejian__Test__AllTypes *back = s_load_ok (
        "{\"f_int64\":\"3\",\"period2024Q1\":4,\"r_string\":[\"a\"],\"rBool\":[true]}", 0);
    assert_int_equal (back->f_int64, 3);
    assert_int_equal (back->period_2024_q1, 4);
    assert_int_equal (back->n_r_string, 1);
    assert_int_equal (back->n_r_bool, 1);
    protobuf_c_message_free_unpacked (&back->base, NULL);
    s_assert_one_problem ("{\"r_int32\":[1,\"x\"]}", "r_int32[1]", CJ_E_INVALID_FORMAT);
    s_assert_one_problem ("{\"fInt32\":1,\"f_int32\":2}", "f_int32", CJ_E_INVALID_FORMAT);
    s_assert_one_problem ("{\"period_2024Q1\":1}", "period_2024Q1", CJ_E_UNKNOWN_FIELD);
}

static void
test_input_forms (void **state)
{
    (void) state;
    Chejian__Test__AllTypes *m = s_load_ok (
        "{\"fInt32\":\"-12\",\"fSint32\":1e3,\"fUint32\":\"4294967295\",\"fFixed32\":7.0,"
        "\"fInt64\":123,\"fSint64\":\"-0\",\"fUint64\":-0.0,\"fFixed64\":\"007\","
        "\"fFloat\":\"NaN\",\"fDouble\":\"-Infinity\",\"rFloat\":[\"Infinity\",\"2.5e1\",3],"
        "\"rDouble\":[\"-1.5\",1,\"1e-400\"],"
        "\"color\":2,\"rColor\":[\"COLOR_RED\",0,-5],\"fString\":\"\","
        "\"fBytes\":\"-_8A\",\"rBytes\":[\"+/8\",\"-_8\",\"+/8=\",\"\"]}", 0);
    assert_int_equal (m->f_int32, -12);
    assert_int_equal (m->f_sint32, 1000);
    assert_int_equal (m->f_uint32, UINT32_MAX);
    assert_int_equal (m->f_fixed32, 7);
    assert_int_equal (m->f_int64, 123);
    assert_int_equal (m->f_sint64, 0);
    assert_int_equal (m->f_uint64, 0);
    assert_int_equal (m->f_fixed64, 7);
    assert_true (m->f_float != m->f_float);
    assert_true (m->f_double < -1.7e308);
    assert_int_equal (m->n_r_float, 3);
    assert_true (m->r_float [0] > 3.4e38f);
    assert_true (m->r_float [1] == 25.0f && m->r_float [2] == 3.0f);
    assert_true (m->r_double [0] == -1.5 && m->r_double [1] == 1.0 && m->r_double [2] == 0.0);
    assert_int_equal (m->color, CHEJIAN__TEST__COLOR__COLOR_GREEN);
    assert_int_equal (m->n_r_color, 3);
    assert_int_equal ((int32_t) m->r_color [2], -5);   //  The C enum may be unsigned
    assert_string_equal (m->f_string, "");
    assert_int_equal (m->f_bytes.len, 3);
    assert_memory_equal (m->f_bytes.data, s_bytes, 3);
    assert_int_equal (m->n_r_bytes, 4);
    for (int i = 0; i < 3; i++) {
        assert_int_equal (m->r_bytes [i].len, 2);
        assert_memory_equal (m->r_bytes [i].data, s_bytes, 2);
    }
    assert_int_equal (m->r_bytes [3].len, 0);

    //  Written back: standard base64 with padding, specials as strings
    json_t *json = cj_json_from_message (&m->base, 0);
    assert_string_equal (json_string_value (json_object_get (json, "fBytes")), "+/8A");
    assert_string_equal (json_string_value (json_array_get (json_object_get (json, "rBytes"),
                                                            0)), "+/8=");
    assert_string_equal (json_string_value (json_object_get (json, "fFloat")), "NaN");
    assert_string_equal (json_string_value (json_object_get (json, "fDouble")), "-Infinity");
    assert_string_equal (json_string_value (json_array_get (json_object_get (json, "rFloat"),
                                                            0)), "Infinity");
    assert_int_equal (json_integer_value (json_array_get (json_object_get (json, "rColor"),
                                                          2)), -5);
    json_decref (json);
    protobuf_c_message_free_unpacked (&m->base, NULL);
}

static void
test_null_means_default (void **state)
{
    (void) state;
    Chejian__Test__AllTypes *m = s_load_ok (
        "{\"fInt32\":null,\"fString\":null,\"line\":null,\"lines\":null,\"color\":null,"
        "\"choiceText\":null,\"choiceFen\":\"5\",\"choiceLine\":null}", 0);
    assert_int_equal (m->f_int32, 0);
    assert_string_equal (m->f_string, "");
    assert_null (m->line);
    assert_int_equal (m->n_lines, 0);
    assert_int_equal (m->choice_case, CHEJIAN__TEST__ALL_TYPES__CHOICE_CHOICE_FEN);
    assert_int_equal (m->choice_fen, 5);
    protobuf_c_message_free_unpacked (&m->base, NULL);
}

static void
test_integer_extremes (void **state)
{
    (void) state;
    Chejian__Test__AllTypes *m = s_load_ok (
        "{\"fInt32\":-2147483648,\"fSint32\":2147483647,\"fUint32\":4294967295,"
        "\"fInt64\":\"-9223372036854775808\",\"fSint64\":\"9223372036854775807\","
        "\"fSfixed64\":-9223372036854775808,\"fUint64\":\"18446744073709551615\","
        "\"fFixed64\":9223372036854775807}", 0);
    assert_int_equal (m->f_int32, INT32_MIN);
    assert_int_equal (m->f_sint32, INT32_MAX);
    assert_int_equal (m->f_uint32, UINT32_MAX);
    assert_true (m->f_int64 == INT64_MIN);
    assert_true (m->f_sint64 == INT64_MAX);
    assert_true (m->f_sfixed64 == INT64_MIN);
    assert_true (m->f_uint64 == UINT64_MAX);
    assert_true (m->f_fixed64 == (uint64_t) INT64_MAX);
    protobuf_c_message_free_unpacked (&m->base, NULL);

    s_assert_one_problem ("{\"fInt32\":2147483648}", "fInt32", CJ_E_OUT_OF_RANGE);
    s_assert_one_problem ("{\"fInt32\":-2147483649}", "fInt32", CJ_E_OUT_OF_RANGE);
    s_assert_one_problem ("{\"fSfixed32\":\"2147483648\"}", "fSfixed32", CJ_E_OUT_OF_RANGE);
    s_assert_one_problem ("{\"fUint32\":4294967296}", "fUint32", CJ_E_OUT_OF_RANGE);
    s_assert_one_problem ("{\"fFixed32\":-1}", "fFixed32", CJ_E_OUT_OF_RANGE);
    s_assert_one_problem ("{\"fInt64\":\"9223372036854775808\"}", "fInt64", CJ_E_OUT_OF_RANGE);
    s_assert_one_problem ("{\"fSint64\":\"-9223372036854775809\"}", "fSint64",
                          CJ_E_OUT_OF_RANGE);
    s_assert_one_problem ("{\"fUint64\":\"18446744073709551616\"}", "fUint64",
                          CJ_E_OUT_OF_RANGE);
    s_assert_one_problem ("{\"fUint64\":\"99999999999999999999999\"}", "fUint64",
                          CJ_E_OUT_OF_RANGE);
    s_assert_one_problem ("{\"fFixed64\":\"-1\"}", "fFixed64", CJ_E_OUT_OF_RANGE);
    s_assert_one_problem ("{\"fUint64\":1e20}", "fUint64", CJ_E_OUT_OF_RANGE);
    s_assert_one_problem ("{\"fInt64\":1e19}", "fInt64", CJ_E_OUT_OF_RANGE);
    s_assert_one_problem ("{\"color\":2147483648}", "color", CJ_E_OUT_OF_RANGE);
    s_assert_one_problem ("{\"fFloat\":1e39}", "fFloat", CJ_E_OUT_OF_RANGE);
    s_assert_one_problem ("{\"fDouble\":\"1e400\"}", "fDouble", CJ_E_OUT_OF_RANGE);

    //  Non-integral numbers are the wrong type; junk in strings is the wrong format
    s_assert_one_problem ("{\"fInt32\":1.5}", "fInt32", CJ_E_WRONG_TYPE);
    s_assert_one_problem ("{\"fUint64\":0.5}", "fUint64", CJ_E_WRONG_TYPE);
    s_assert_one_problem ("{\"fInt64\":\"12x\"}", "fInt64", CJ_E_INVALID_FORMAT);
    s_assert_one_problem ("{\"fInt64\":\" 12\"}", "fInt64", CJ_E_INVALID_FORMAT);
    s_assert_one_problem ("{\"fInt64\":\"+12\"}", "fInt64", CJ_E_INVALID_FORMAT);
    s_assert_one_problem ("{\"fInt64\":\"\"}", "fInt64", CJ_E_INVALID_FORMAT);
    s_assert_one_problem ("{\"fInt64\":\"-\"}", "fInt64", CJ_E_INVALID_FORMAT);
    s_assert_one_problem ("{\"fInt64\":\"1.0\"}", "fInt64", CJ_E_INVALID_FORMAT);
    s_assert_one_problem ("{\"fDouble\":\"1.5x\"}", "fDouble", CJ_E_INVALID_FORMAT);
    s_assert_one_problem ("{\"fDouble\":\"inf\"}", "fDouble", CJ_E_INVALID_FORMAT);
    s_assert_one_problem ("{\"fDouble\":\"0x10\"}", "fDouble", CJ_E_INVALID_FORMAT);
}

static void
test_wrong_types (void **state)
{
    (void) state;
    s_assert_one_problem ("{\"fInt32\":true}", "fInt32", CJ_E_WRONG_TYPE);
    s_assert_one_problem ("{\"fInt64\":[1]}", "fInt64", CJ_E_WRONG_TYPE);
    s_assert_one_problem ("{\"fDouble\":{}}", "fDouble", CJ_E_WRONG_TYPE);
    s_assert_one_problem ("{\"fBool\":\"true\"}", "fBool", CJ_E_WRONG_TYPE);
    s_assert_one_problem ("{\"fBool\":1}", "fBool", CJ_E_WRONG_TYPE);
    s_assert_one_problem ("{\"fString\":5}", "fString", CJ_E_WRONG_TYPE);
    s_assert_one_problem ("{\"fBytes\":[]}", "fBytes", CJ_E_WRONG_TYPE);
    s_assert_one_problem ("{\"color\":true}", "color", CJ_E_WRONG_TYPE);
    s_assert_one_problem ("{\"line\":\"x\"}", "line", CJ_E_WRONG_TYPE);
    s_assert_one_problem ("{\"line\":[]}", "line", CJ_E_WRONG_TYPE);
    s_assert_one_problem ("{\"lines\":{}}", "lines", CJ_E_WRONG_TYPE);
    s_assert_one_problem ("{\"rInt32\":5}", "rInt32", CJ_E_WRONG_TYPE);
    s_assert_one_problem ("{\"rString\":[\"a\",null]}", "rString[1]", CJ_E_WRONG_TYPE);
    s_assert_one_problem ("{\"lines\":[{},[]]}", "lines[1]", CJ_E_WRONG_TYPE);
    s_assert_one_problem ("{\"fBytes\":\"!!!!\"}", "fBytes", CJ_E_INVALID_FORMAT);
    s_assert_one_problem ("{\"fBytes\":\"+/8A-_8A\"}", "fBytes", CJ_E_INVALID_FORMAT);
    s_assert_one_problem ("{\"fBytes\":\"A\"}", "fBytes", CJ_E_INVALID_FORMAT);
    s_assert_one_problem ("{\"color\":\"COLOR_BLUE\"}", "color", CJ_E_UNKNOWN_ENUM);
    s_assert_one_problem ("{\"rColor\":[1,\"red\"]}", "rColor[1]", CJ_E_UNKNOWN_ENUM);
    s_assert_one_problem ("{\"color\":\"1\"}", "color", CJ_E_UNKNOWN_ENUM);
}

/*  Many problems at once: every one is reported, in input order, with its path; the partly
 *  built message (strings, arrays, sub-messages already allocated) is freed (ASan).  */
static void
test_every_problem_reported (void **state)
{
    (void) state;
    cj_problems_t problems;
    ProtobufCMessage *m = s_load (ALL_TYPES,
        "{\"fString\":\"kept until the end\",\"fInt32\":2147483648,\"fSint32\":1.5,"
        "\"fInt64\":\"12x\",\"color\":\"COLOR_BLUE\",\"bogus\":1,"
        "\"rString\":[\"a\",\"b\"],\"fBytes\":\"AAEC\","
        "\"lines\":[{\"name\":\"n0\"},{},{\"name\":\"n2\"},{\"grossFen\":1.5,\"name\":\"n3\"}],"
        "\"line\":{\"color\":\"NOPE\",\"name\":\"x\",\"extra\":{}},"
        "\"choiceText\":\"a\",\"choiceLine\":{\"name\":\"b\"},"
        "\"fBool\":\"yes\",\"f_string\":\"again\"}", 0, &problems);
    assert_null (m);
    char buf [2048];
    cj_problems_format (&problems, buf, sizeof buf);
    print_message ("%s\n", buf);
    assert_int_equal (problems.count, 11);
    assert_problem (&problems, 0, "fInt32", CJ_E_OUT_OF_RANGE);
    assert_problem (&problems, 1, "fSint32", CJ_E_WRONG_TYPE);
    assert_problem (&problems, 2, "fInt64", CJ_E_INVALID_FORMAT);
    assert_problem (&problems, 3, "color", CJ_E_UNKNOWN_ENUM);
    assert_problem (&problems, 4, "bogus", CJ_E_UNKNOWN_FIELD);
    assert_problem (&problems, 5, "lines[3].grossFen", CJ_E_WRONG_TYPE);
    assert_problem (&problems, 6, "line.color", CJ_E_UNKNOWN_ENUM);
    assert_problem (&problems, 7, "line.extra", CJ_E_UNKNOWN_FIELD);
    assert_problem (&problems, 8, "choiceLine", CJ_E_INVALID_FORMAT);
    assert_true (strstr (problems.items [8].message, "choiceText") != NULL);
    assert_problem (&problems, 9, "fBool", CJ_E_WRONG_TYPE);
    assert_problem (&problems, 10, "f_string", CJ_E_INVALID_FORMAT);

    //  With unknown fields ignored, only the real errors remain
    m = s_load (ALL_TYPES, "{\"bogus\":1,\"line\":{\"extra\":[1,2]},\"fInt32\":true}",
                CJ_JSON_IGNORE_UNKNOWN, &problems);
    assert_null (m);
    assert_int_equal (problems.count, 1);
    assert_problem (&problems, 0, "fInt32", CJ_E_WRONG_TYPE);
    Chejian__Test__AllTypes *ok = s_load_ok ("{\"bogus\":1,\"line\":{\"extra\":[1,2]},"
                                             "\"fInt32\":3}", CJ_JSON_IGNORE_UNKNOWN);
    assert_int_equal (ok->f_int32, 3);
    assert_non_null (ok->line);
    protobuf_c_message_free_unpacked (&ok->base, NULL);
}

static void
test_problems_under_caller_prefix (void **state)
{
    (void) state;
    cj_problems_t problems;
    cj_problems_init (&problems);
    cj_problems_add (&problems, "earlier", CJ_E_REQUIRED, "from the caller");
    cj_problems_push (&problems, "body");
    json_t *json = json_pack ("{s:{s:[{s:s}]}}", "line", "lines", "grossFen", "x");
    //  "line" is a Line, which has no "lines": an unknown field under the caller's prefix
    ProtobufCMessage *m = cj_json_to_message (ALL_TYPES, json, 0, &problems);
    assert_null (m);
    assert_int_equal (problems.count, 2);
    assert_problem (&problems, 1, "body.line.lines", CJ_E_UNKNOWN_FIELD);
    json_decref (json);

    //  A message that converts cleanly succeeds even when the list already held problems
    json = json_pack ("{s:[{s:s}]}", "lines", "grossFen", "-5");
    m = cj_json_to_message (ALL_TYPES, json, 0, &problems);
    assert_non_null (m);
    assert_int_equal (((Chejian__Test__AllTypes *) m)->lines [0]->gross_fen, -5);
    assert_int_equal (problems.count, 2);
    protobuf_c_message_free_unpacked (m, NULL);
    json_decref (json);
    cj_problems_pop (&problems);
}

static void
test_oneof (void **state)
{
    (void) state;
    Chejian__Test__AllTypes *m = s_load_ok ("{\"choiceLine\":{\"grossFen\":\"9\"}}", 0);
    assert_int_equal (m->choice_case, CHEJIAN__TEST__ALL_TYPES__CHOICE_CHOICE_LINE);
    assert_int_equal (m->choice_line->gross_fen, 9);
    protobuf_c_message_free_unpacked (&m->base, NULL);

    m = s_load_ok ("{\"choiceText\":\"\"}", 0);
    assert_int_equal (m->choice_case, CHEJIAN__TEST__ALL_TYPES__CHOICE_CHOICE_TEXT);
    char *text = cj_json_dumps (&m->base, 0);
    assert_string_equal (text, "{\"choiceText\":\"\"}");
    free (text);
    protobuf_c_message_free_unpacked (&m->base, NULL);

    s_assert_one_problem ("{\"choiceLine\":{},\"choice_text\":\"x\"}", "choice_text",
                          CJ_E_INVALID_FORMAT);
    s_assert_one_problem ("{\"choiceColor\":1,\"choiceFen\":\"x\"}", "choiceFen",
                          CJ_E_INVALID_FORMAT);
    //  A failed member still chose the oneof, and the partly built member is freed
    s_assert_one_problem ("{\"choiceLine\":{\"grossFen\":\"x\",\"name\":\"n\"}}",
                          "choiceLine.grossFen", CJ_E_INVALID_FORMAT);
}

static void
test_strings (void **state)
{
    (void) state;
    cj_problems_t problems;
    cj_problems_init (&problems);
    json_t *json = json_object ();
    json_object_set_new (json, "fString", json_stringn_nocheck ("a\xC3\x28", 3));
    assert_null (cj_json_to_message (ALL_TYPES, json, 0, &problems));
    assert_problem (&problems, 0, "fString", CJ_E_INVALID_UTF8);

    cj_problems_init (&problems);
    json_object_set_new (json, "fString", json_stringn ("a\0b", 3));
    assert_null (cj_json_to_message (ALL_TYPES, json, 0, &problems));
    assert_problem (&problems, 0, "fString", CJ_E_INVALID_FORMAT);
    json_decref (json);

    //  Strings from the wire are not checked by protobuf-c: bad bytes become U+FFFD
    Chejian__Test__AllTypes m = CHEJIAN__TEST__ALL_TYPES__INIT;
    m.f_string = (char *) "ok\xFF\xED\xA0\x80z\xE4\xBD";
    char *text = cj_json_dumps (&m.base, 0);
    assert_string_equal (text, "{\"fString\":\"ok\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                               "\xEF\xBF\xBDz\xEF\xBF\xBD\xEF\xBF\xBD\"}");
    free (text);

    Chejian__Test__AllTypes *back = s_load_ok ("{\"fString\":\"\\u8f66\\ud83d\\ude00\"}", 0);
    assert_string_equal (back->f_string, "车\xF0\x9F\x98\x80");
    protobuf_c_message_free_unpacked (&back->base, NULL);
}

static void
test_loads_and_top_level (void **state)
{
    (void) state;
    cj_problems_t problems;
    assert_null (s_load (ALL_TYPES, "{\"fInt32\": }", 0, &problems));
    assert_int_equal (problems.count, 1);
    assert_problem (&problems, 0, "", CJ_E_INVALID_FORMAT);
    assert_true (strstr (problems.items [0].message, "line 1, column") != NULL);

    assert_null (s_load (ALL_TYPES, "{\"fInt32\":1,\"fInt32\":2}", 0, &problems));
    assert_problem (&problems, 0, "", CJ_E_INVALID_FORMAT);

    assert_null (s_load (ALL_TYPES, "[1]", 0, &problems));
    assert_int_equal (problems.count, 1);
    assert_problem (&problems, 0, "", CJ_E_WRONG_TYPE);

    cj_problems_init (&problems);
    assert_null (cj_json_to_message (ALL_TYPES, NULL, 0, &problems));
    assert_problem (&problems, 0, "", CJ_E_WRONG_TYPE);

    //  A NULL problem list is allowed: the failure is still reported by NULL
    assert_null (cj_json_loads (ALL_TYPES, "{\"x\":1}", 7, 0, NULL));
    ProtobufCMessage *m = cj_json_loads (ALL_TYPES, "{\"fInt32\":1} trailing", 12, 0, NULL);
    assert_non_null (m);
    protobuf_c_message_free_unpacked (m, NULL);
}

static void
test_array_limit (void **state)
{
    (void) state;
    json_t *array = json_array ();
    for (int i = 0; i < CJ_JSON_MAX_ARRAY; i++)
        json_array_append_new (array, json_integer (i));
    json_t *json = json_pack ("{s:o}", "rInt32", array);

    cj_problems_t problems;
    cj_problems_init (&problems);
    Chejian__Test__AllTypes *m =
        (Chejian__Test__AllTypes *) cj_json_to_message (ALL_TYPES, json, 0, &problems);
    assert_non_null (m);
    assert_int_equal (m->n_r_int32, CJ_JSON_MAX_ARRAY);
    assert_int_equal (m->r_int32 [CJ_JSON_MAX_ARRAY - 1], CJ_JSON_MAX_ARRAY - 1);
    protobuf_c_message_free_unpacked (&m->base, NULL);

    json_array_append_new (array, json_integer (0));
    assert_null (cj_json_to_message (ALL_TYPES, json, 0, &problems));
    assert_int_equal (problems.count, 1);
    assert_problem (&problems, 0, "rInt32", CJ_E_TOO_MANY);
    json_decref (json);

    //  Bad elements are each reported; beyond the list's bound they are counted
    cj_problems_init (&problems);
    json = json_pack ("{s:[s,s,s]}", "rUint64", "1", "-1", "x");
    assert_null (cj_json_to_message (ALL_TYPES, json, 0, &problems));
    assert_int_equal (problems.count, 2);
    assert_problem (&problems, 0, "rUint64[1]", CJ_E_OUT_OF_RANGE);
    assert_problem (&problems, 1, "rUint64[2]", CJ_E_INVALID_FORMAT);
    json_decref (json);

    cj_problems_init (&problems);
    array = json_array ();
    for (int i = 0; i < 100; i++)
        json_array_append_new (array, json_true ());
    json = json_pack ("{s:o}", "rDouble", array);
    assert_null (cj_json_to_message (ALL_TYPES, json, 0, &problems));
    assert_int_equal (problems.count, CJ_PROBLEMS_MAX);
    assert_int_equal (problems.dropped, 100 - CJ_PROBLEMS_MAX);
    json_decref (json);
}

/*  Builds JSON for 'levels' Nodes nested through "child".  */
static json_t *
s_nested_json (int levels)
{
    json_t *json = json_pack ("{s:i}", "value", levels);
    for (int i = levels - 1; i > 0; i--)
        json = json_pack ("{s:i,s:o}", "value", i, "child", json);
    return json;
}

static void
test_depth_limit (void **state)
{
    (void) state;
    cj_problems_t problems;
    cj_problems_init (&problems);
    json_t *json = s_nested_json (CJ_JSON_MAX_DEPTH);
    Chejian__Test__Node *m =
        (Chejian__Test__Node *) cj_json_to_message (NODE, json, 0, &problems);
    assert_non_null (m);
    int levels = 0;
    for (Chejian__Test__Node *node = m; node; node = node->child)
        levels++;
    assert_int_equal (levels, CJ_JSON_MAX_DEPTH);
    json_t *out = cj_json_from_message (&m->base, 0);
    assert_true (json_equal (out, json));
    json_decref (out);
    json_decref (json);

    //  One level more: refused both ways
    Chejian__Test__Node top = CHEJIAN__TEST__NODE__INIT;
    top.child = m;
    assert_null (cj_json_from_message (&top.base, 0));
    assert_null (cj_json_dumps (&top.base, 0));
    protobuf_c_message_free_unpacked (&m->base, NULL);

    json = s_nested_json (CJ_JSON_MAX_DEPTH + 1);
    assert_null (cj_json_to_message (NODE, json, 0, &problems));
    assert_int_equal (problems.count, 1);
    assert_string_equal (problems.items [0].code, CJ_E_TOO_LARGE);
    assert_memory_equal (problems.items [0].field, "child.child.child.", 18);
    json_decref (json);
}

static void
test_map_rejected (void **state)
{
    (void) state;
    cj_problems_t problems;
    assert_null (s_load (&chejian__test__with_map__descriptor,
                         "{\"count\":1,\"tags\":{\"a\":1}}", 0, &problems));
    assert_int_equal (problems.count, 1);
    assert_problem (&problems, 0, "tags", CJ_E_WRONG_TYPE);
    assert_null (s_load (&chejian__test__with_map__descriptor,
                         "{\"tags\":[{\"key\":\"a\",\"value\":1}]}", 0, &problems));
    assert_problem (&problems, 0, "tags", CJ_E_WRONG_TYPE);

    //  Written out (for logs) as its entries, without failing
    Chejian__Test__WithMap__TagsEntry entry = CHEJIAN__TEST__WITH_MAP__TAGS_ENTRY__INIT;
    entry.key = (char *) "a";
    entry.value = 1;
    Chejian__Test__WithMap__TagsEntry *entries [] = { &entry };
    Chejian__Test__WithMap m = CHEJIAN__TEST__WITH_MAP__INIT;
    m.n_tags = 1;
    m.tags = entries;
    char *text = cj_json_dumps (&m.base, 0);
    assert_string_equal (text, "{\"tags\":[{\"key\":\"a\",\"value\":1}]}");
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_output_every_type),
        cmocka_unit_test (test_round_trip_every_type),
        cmocka_unit_test (test_round_trip_through_json_t),
        cmocka_unit_test (test_defaults_omitted_or_emitted),
        cmocka_unit_test (test_proto_names),
        cmocka_unit_test (test_input_forms),
        cmocka_unit_test (test_null_means_default),
        cmocka_unit_test (test_integer_extremes),
        cmocka_unit_test (test_wrong_types),
        cmocka_unit_test (test_every_problem_reported),
        cmocka_unit_test (test_problems_under_caller_prefix),
        cmocka_unit_test (test_oneof),
        cmocka_unit_test (test_strings),
        cmocka_unit_test (test_loads_and_top_level),
        cmocka_unit_test (test_array_limit),
        cmocka_unit_test (test_depth_limit),
        cmocka_unit_test (test_map_rejected),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
