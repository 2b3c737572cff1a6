// Fast checks of the YAML codec. The slow, authoritative comparison against real kubectl lives in
// tests/integration/apis/yaml_oracle_test.cc; these pin the rules down one at a time so a broken
// rule names itself.
#include "apis/types/yaml_codec.h"

#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ferry {
namespace {

using yaml::parse_objects;
using yaml::parse_stream;
using yaml::resolve_plain_scalar;
using yaml::to_yaml;

struct ScalarCase {
  const char* text;
  Json want;
};

TEST(ResolvePlainScalar, FollowsYaml11AsGoYamlReadsIt) {
  const std::vector<ScalarCase> cases = {
      // YAML 1.1 booleans, in the spellings go-yaml knows and no others.
      {"yes", true},
      {"Yes", true},
      {"YES", true},
      {"y", true},
      {"Y", true},
      {"on", true},
      {"ON", true},
      {"true", true},
      {"True", true},
      {"no", false},
      {"n", false},
      {"off", false},
      {"Off", false},
      {"FALSE", false},
      {"tRUE", "tRUE"},
      {"yES", "yES"},
      {"oN", "oN"},
      // Nulls.
      {"", nullptr},
      {"~", nullptr},
      {"null", nullptr},
      {"Null", nullptr},
      {"NULL", nullptr},
      {"nUll", "nUll"},
      // Integers: Go's base prefixes, YAML 1.1's leading-zero octal, underscores dropped.
      {"0", 0},
      {"-0", 0},
      {"+1", 1},
      {"42", 42},
      {"012", 10},
      {"0o12", 10},
      {"0x1F", 31},
      {"0X1f", 31},
      {"-0x1F", -31},
      {"0b101", 5},
      {"-0b11", -3},
      {"1_000", 1000},
      {"0x_FF", 255},
      {"100_", 100},
      {"_100", "_100"},
      {"0x", "0x"},
      {"019", 19},
      {"00", 0},
      {"9223372036854775807", int64_t{9223372036854775807}},
      {"-9223372036854775808", std::numeric_limits<int64_t>::min()},
      // Beyond int64 kubectl holds a float64.
      {"9223372036854775808", 9223372036854775808.0},
      {"18446744073709551615", 18446744073709551615.0},
      {"123456789012345678901234567890", 1.2345678901234568e29},
      {"-9223372036854775809", -9223372036854775808.0},
      // Floats; integral ones become integers as they do through kubectl's JSON.
      {"1e3", 1000},
      {"1.0", 1},
      {"1.5", 1.5},
      {".5", 0.5},
      {"-.5", -0.5},
      {"+.5", 0.5},
      {"5.", 5},
      {"1e21", 1e21},
      {"1e20", 1e20},
      {"3.0e-5", 3e-5},
      {"1_000.5", 1000.5},
      {".5_5", 0.55},
      {"1e-400", 0},
      // Out of float64 range or not Go syntax: strings.
      {"1e400", "1e400"},
      {".5e999", ".5e999"},
      {"._5", "._5"},
      {".5_", ".5_"},
      {"1e", "1e"},
      {"1.2.3", "1.2.3"},
      {"inf", "inf"},
      {"nan", "nan"},
      {"0x1p3", "0x1p3"},
      // Everything else stays text: timestamps, sexagesimals, versions, words.
      {"2001-12-14", "2001-12-14"},
      {"2001-12-14T21:59:43Z", "2001-12-14T21:59:43Z"},
      {"1:30", "1:30"},
      {"v1.2", "v1.2"},
      {"1.2.3", "1.2.3"},
      {"-", "-"},
      {".", "."},
      {"+", "+"},
      {"<<", "<<"},
      {"=", "="},
      {"yep", "yep"},
  };
  for (const auto& c : cases) {
    auto got = resolve_plain_scalar(c.text);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.status().message();
    EXPECT_EQ(*got, c.want) << "plain scalar " << c.text << " read as " << got->dump();
    EXPECT_EQ(got->type(), c.want.type()) << c.text;
  }
}

TEST(ResolvePlainScalar, RefusesNanAndInfinities) {
  for (const char* text : {".nan", ".NaN", ".NAN", ".inf", ".Inf", "+.INF", "-.inf", "-.Inf"}) {
    auto got = resolve_plain_scalar(text);
    EXPECT_FALSE(got.ok()) << text;
    EXPECT_TRUE(got.status().is(Reason::kInvalid)) << text;
  }
  // Spellings go-yaml does not know are plain strings.
  EXPECT_EQ(*resolve_plain_scalar(".iNf"), ".iNf");
  EXPECT_EQ(*resolve_plain_scalar("-.NaN"), "-.NaN");
}

Json only_doc(std::string_view text) {
  auto docs = parse_stream(text, "test.yaml");
  EXPECT_TRUE(docs.ok()) << docs.status().message();
  if (!docs.ok() || docs->size() != 1) {
    ADD_FAILURE() << "expected one document";
    return nullptr;
  }
  return (*docs)[0].value;
}

TEST(ParseStream, QuotedScalarsAreStrings) {
  Json v = only_doc("a: \"yes\"\nb: '012'\nc: \"\"\nd: !!str 7\ne: \"null\"\n");
  EXPECT_EQ(v, Json::parse(R"({"a":"yes","b":"012","c":"","d":"7","e":"null"})"));
}

TEST(ParseStream, KeysBecomeStringsTheWaySigsYamlSpellsThem) {
  Json v = only_doc("1: a\ny: b\n1.5: c\n1e6: d\n3.14159265358979: e\n.inf: f\n0x10: g\n");
  EXPECT_EQ(v,
            Json::parse(R"({"1":"a","true":"b","1.5":"c","1e+06":"d","3.1415927":"e",".inf":"f","16":"g"})"));
}

TEST(ParseStream, LastDuplicateKeyWins) { EXPECT_EQ(only_doc("a: 1\na: 2\n"), Json::parse(R"({"a":2})")); }

TEST(ParseStream, MergeKeysApplyInOrderAndEarlierListEntriesWin) {
  Json v = only_doc(
      "x: &x {a: 1, b: 1}\n"
      "y: &y {b: 2, c: 2}\n"
      "before: {a: 0, <<: *x}\n"
      "after: {<<: *x, a: 0}\n"
      "list: {<<: [*x, *y]}\n");
  EXPECT_EQ(v["before"], Json::parse(R"({"a":1,"b":1})"));
  EXPECT_EQ(v["after"], Json::parse(R"({"a":0,"b":1})"));
  EXPECT_EQ(v["list"], Json::parse(R"({"a":1,"b":1,"c":2})"));
}

TEST(ParseStream, BlockScalarsKeepTheirChomping) {
  Json v = only_doc("a: |\n  x\n  y\nb: |-\n  x\nc: |+\n  x\n\nd: >\n  x\n  y\ne: >+\n  x\n\nf: 1\n");
  EXPECT_EQ(v["a"], "x\ny\n");
  EXPECT_EQ(v["b"], "x");
  EXPECT_EQ(v["c"], "x\n\n");
  EXPECT_EQ(v["d"], "x y\n");
  EXPECT_EQ(v["e"], "x\n\n");
}

TEST(ParseStream, SplitsOnSeparatorLinesAndDropsEmptyDocuments) {
  auto docs = parse_stream("---\n# only a comment\n---\na: 1\n--- # c\n~\n---\nb: 2\n---\n", "s.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0].value, Json::parse(R"({"a":1})"));
  EXPECT_EQ((*docs)[0].index, 0);
  EXPECT_EQ((*docs)[0].line, 4);
  EXPECT_EQ((*docs)[1].value, Json::parse(R"({"b":2})"));
  EXPECT_EQ((*docs)[1].index, 1);
  EXPECT_EQ((*docs)[1].line, 8);
}

TEST(ParseStream, ReadsConcatenatedJsonAndFallsBackToYamlAfterOneValue) {
  auto docs = parse_stream("{\"a\": 1}\n{\"b\": 010}\n", "j.json");
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[1].value, Json::parse(R"({"b":8})"));  // not JSON, so YAML: octal
  auto strict = parse_stream("{\"a\": 1}{\"b\": 2}{\"c\": 010}", "j.json");
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find("j.json: document 3, line 1"), std::string::npos)
      << strict.status().message();
}

TEST(ParseStream, JsonNumbersAreNormalizedLikeKubectls) {
  Json v = only_doc(R"({"a": 1.0, "b": 18446744073709551615, "c": 7})");
  EXPECT_TRUE(v["a"].is_number_integer());
  EXPECT_TRUE(v["b"].is_number_float());
  EXPECT_TRUE(v["c"].is_number_integer());
}

TEST(ParseStream, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(only_doc("a: \"x\xC3y\"\nb: \"\xE2\x82\"\n"),
            Json::parse("{\"a\":\"x\xEF\xBF\xBDy\",\"b\":\"\xEF\xBF\xBD\"}"));
}

struct ErrorCase {
  const char* text;
  const char* where;  // "document N, line M"
  const char* what;   // part of the reason
};

TEST(ParseStream, ErrorsNameTheFileDocumentAndLine) {
  const std::vector<ErrorCase> cases = {
      {"a: 1\n---\nb: 2\nc: [1,\n", "document 2, line ", ""},
      {"a: 1\n---\nb: 2\n c: 3\n", "document 2, line 4", ""},
      {"a: .inf\n", "document 1, line 1", "unsupported value"},
      {"a: 1\nb:\n  ~: x\n", "document 1, line 3", "map key"},
      {"a: 1\n--- text\nb: 2\n", "document 1, line 2", "separator"},
      {"a: \"bell\x07\"\n", "document 1, line 1", "control characters"},
      {"a: *nowhere\n", "document 1, line 1", ""},
      {"a: !!int 7.5\n", "document 1, line 1", "cannot decode"},
      {"a: [1, , 2]\n", "document 1, line 1", "node content"},
      {"a:\n-\tb\n", "document 1, line 2", "cannot start any token"},
      {"a: \"open\nb: 2\n", "document 1, line 1", "end of stream"},
      {"x: 1\n---\n...\n", "document 2, line 3", "node content"},
      {"a: &x [*x]\n", "document 1, line 1", "contains itself"},
      {"a: {<<: 5}\n", "document 1, line 1", "map merge"},
  };
  for (const auto& c : cases) {
    auto docs = parse_stream(c.text, "apps/web.yaml");
    ASSERT_FALSE(docs.ok()) << c.text;
    const std::string& msg = docs.status().message();
    EXPECT_TRUE(docs.status().is(Reason::kInvalid)) << msg;
    EXPECT_EQ(msg.rfind("apps/web.yaml: ", 0), 0u) << msg;
    EXPECT_NE(msg.find(c.where), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.what), std::string::npos) << msg;
  }
}

TEST(ParseStream, RefusesAliasBombs) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
  }
  auto docs = parse_stream(bomb, "bomb.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_NE(docs.status().message().find("excessive aliasing"), std::string::npos) << docs.status().message();
}

TEST(ParseStream, RefusesAbsurdNestingInsteadOfCrashing) {
  for (std::string open : {"[", "{\"a\":", "a: [", "- "}) {
    std::string text;
    for (int i = 0; i < 5000; ++i) text += open;
    auto docs = parse_stream(text, "deep.yaml");
    ASSERT_FALSE(docs.ok()) << open;
    EXPECT_NE(docs.status().message().find("deep.yaml: document 1, line "), std::string::npos);
    EXPECT_NE(docs.status().message().find("nests"), std::string::npos) << docs.status().message();
  }
}

TEST(ParseStream, WhatItAcceptsAtTheDepthLimitItCanWriteAndReadBack) {
  // 400 levels of JSON nesting are accepted; their block YAML must still be within what the
  // YAML parser reads.
  std::string json = std::string(400, '[') + "1" + std::string(400, ']');
  Json deep = only_doc(json);
  EXPECT_EQ(only_doc(to_yaml(deep)), deep);
  EXPECT_FALSE(parse_stream("[" + json + "]", "deeper.json").ok());
  std::string flow = "a: " + std::string(399, '[') + std::string(399, ']') + "\n";
  Json yaml_deep = only_doc(flow);
  EXPECT_EQ(only_doc(to_yaml(yaml_deep)), yaml_deep);
}

TEST(ParseObjects, FlattensListsAndFillsKindsFromTheListKind) {
  auto objects = parse_objects(
      "apiVersion: v1\nkind: ConfigMapList\nitems:\n"
      "- metadata: {name: a}\n"
      "- apiVersion: v1\n  kind: Secret\n  metadata: {name: b}\n"
      "---\napiVersion: v1\nkind: List\nitems: null\n"
      "---\napiVersion: v1\nkind: Service\nmetadata: {name: c}\n",
      "list.yaml");
  ASSERT_TRUE(objects.ok()) << objects.status().message();
  ASSERT_EQ(objects->size(), 3u);
  EXPECT_EQ((*objects)[0]["kind"], "ConfigMap");
  EXPECT_EQ((*objects)[0]["apiVersion"], "v1");
  EXPECT_EQ((*objects)[1]["kind"], "Secret");
  EXPECT_EQ((*objects)[2]["kind"], "Service");
}

TEST(ParseObjects, RefusesWhatKubectlCannotTreatAsObjects) {
  for (const char* text : {"just text\n", "- a\n- b\n", "kind: List\nitems: {a: 1}\n",
                           "kind: List\nitems: [1]\n", "kind: List\nitems:\n- kind: List\n  items: []\n"}) {
    auto objects = parse_objects(text, "bad.yaml");
    EXPECT_FALSE(objects.ok()) << text;
    EXPECT_NE(objects.status().message().find("bad.yaml: document 1, line "), std::string::npos)
        << objects.status().message();
  }
}

// to_yaml must write what parse_stream reads back unchanged, whatever the strings look like.
TEST(ToYaml, RoundTripsTrickyStringsAndKeys) {
  const std::vector<std::string> strings = {
      "yes",
      "no",
      "on",
      "y",
      "N",
      "true",
      "null",
      "~",
      "",
      " ",
      "012",
      "0x1F",
      "1e3",
      "1_000",
      "+1",
      "-",
      ".",
      "-1",
      ".5",
      ".inf",
      ".nan",
      "<<",
      "- item",
      "-flag",
      "--flag",
      "---",
      "---x",
      "...",
      "...x",
      "? q",
      ": c",
      "a: b",
      "a #b",
      "#c",
      "a#b",
      "[x]",
      "{x}",
      "*ref",
      "&anchor",
      "!tag",
      "|",
      ">",
      "'",
      "\"",
      "%d",
      "@x",
      "`x`",
      "trailing ",
      " leading",
      "tab\there",
      "line\nbreak",
      "ends with newline\n",
      "two\n\n",
      "\nleading newline",
      "  indented\nblock\n",
      "crlf\r\nline",
      "nel\xC2\x85",
      "ls\xE2\x80\xA8",
      "bom\xEF\xBB\xBF",
      "bell\x07",
      "nul" + std::string(1, '\0') + "x",
      "caf\xC3\xA9",
      "\xF0\x9F\x9A\x80",
      "back\\slash",
      "2001-12-14",
      "1:30",
      "http://x:80/a?b#c",
      "key:",
      "a, b",
      std::string(3000, 'x'),
      "a\n  b\n    c\n",
      "x\n \ny\n",
  };
  Json object = Json::object();
  Json list = Json::array();
  for (size_t i = 0; i < strings.size(); ++i) {
    object["k" + std::to_string(i)] = strings[i];
    object[strings[i]] = static_cast<int64_t>(i);  // the same strings as keys
    list.push_back(strings[i]);
  }
  object["list"] = list;
  object["nested"] = {{"deeper", {{"list", {Json::object(), Json::array(), nullptr, true, 1.5, -3}}}}};
  object[std::string(1500, 'k')] = "long key";
  Json again = only_doc(to_yaml(object));
  EXPECT_EQ(again, object) << to_yaml(object);
  for (const auto& s : strings) {
    EXPECT_EQ(only_doc(to_yaml(Json(s))), Json(s)) << to_yaml(Json(s));
  }
}

TEST(ToYaml, RoundTripsNumbers) {
  Json v = {{"i", 42},       {"neg", -7}, {"f", 0.1}, {"big", 1e300}, {"huge", 1.8446744073709552e19},
            {"tiny", 5e-324}};
  EXPECT_EQ(only_doc(to_yaml(v)), v) << to_yaml(v);
}

TEST(ToYaml, WritesReadableBlockYaml) {
  Json v = Json::parse(
      R"({"kind":"ConfigMap","data":{"script":"echo hi\nexit 0\n","flag":"yes"},"list":[{"a":1,"b":2},"x"]})");
  EXPECT_EQ(to_yaml(v),
            "data:\n"
            "  flag: \"yes\"\n"
            "  script: |\n"
            "    echo hi\n"
            "    exit 0\n"
            "kind: ConfigMap\n"
            "list:\n"
            "  - a: 1\n"
            "    b: 2\n"
            "  - x\n");
}

TEST(ToYaml, StreamsSeparateDocuments) {
  std::vector<Json> values = {Json::parse(R"({"a":1})"), Json::parse(R"({"b":"---"})"), Json::array()};
  auto docs = parse_stream(yaml::to_yaml_stream(values), "s.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  ASSERT_EQ(docs->size(), 3u);
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ((*docs)[i].value, values[i]);
}

}  // namespace
}  // namespace ferry
