#include "reconciler/diff/normalize.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reconciler/diff/json_pointer.h"

namespace ferry::reconciler {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;

std::string key(const json& value) { return quantity_value_key(value).value_or("<none>"); }

TEST(QuantityValueKeyTest, SameValueSameKeyAcrossSpellings) {
  EXPECT_EQ(key("1"), "1e0");
  EXPECT_EQ(key("1000m"), "1e0");
  EXPECT_EQ(key(1), "1e0");
  EXPECT_EQ(key(1.0), "1e0");
  EXPECT_EQ(key("0.5"), "5e-1");
  EXPECT_EQ(key(0.5), "5e-1");
  EXPECT_EQ(key("500m"), "5e-1");
  EXPECT_EQ(key("1Gi"), "1073741824e0");
  EXPECT_EQ(key("1073741824"), "1073741824e0");
  EXPECT_EQ(key(1073741824), "1073741824e0");
  EXPECT_EQ(key("1024Mi"), "1073741824e0");
  EXPECT_EQ(key("1G"), "1e9");
  EXPECT_EQ(key("1e9"), "1e9");
  EXPECT_EQ(key("1000M"), "1e9");
  EXPECT_EQ(key("129e6"), "129e6");
  EXPECT_EQ(key("129M"), "129e6");
  EXPECT_EQ(key("0.5Ki"), "512e0");
  EXPECT_EQ(key("1Ei"), "1152921504606846976e0");
  EXPECT_EQ(key("100n"), "1e-7");
  EXPECT_EQ(key("-1.5"), "-15e-1");
  EXPECT_EQ(key("0"), "0e0");
  EXPECT_EQ(key("0Mi"), "0e0");
}

TEST(QuantityValueKeyTest, NotQuantities) {
  EXPECT_EQ(key("abc"), "<none>");
  EXPECT_EQ(key("1Gb"), "<none>");
  EXPECT_EQ(key(true), "<none>");
  EXPECT_EQ(key(nullptr), "<none>");
  EXPECT_EQ(key(json::object()), "<none>");
}

TEST(ScalarEqualTest, Numbers) {
  EXPECT_TRUE(scalar_equal(1, 1.0, kPlainValue));
  EXPECT_TRUE(scalar_equal(json(3u), 3, kPlainValue));
  EXPECT_FALSE(scalar_equal(1, 2, kPlainValue));
  EXPECT_FALSE(scalar_equal(1, "1", kPlainValue));
  EXPECT_FALSE(scalar_equal(true, 1, kPlainValue));
}

TEST(ScalarEqualTest, Quantities) {
  EXPECT_TRUE(scalar_equal("1000m", "1", kQuantityValue));
  EXPECT_TRUE(scalar_equal("1Gi", 1073741824, kQuantityValue));
  EXPECT_TRUE(scalar_equal(0.25, "250m", kQuantityValue));
  EXPECT_FALSE(scalar_equal("1000m", "1", kPlainValue));
  EXPECT_FALSE(scalar_equal("1Gi", "1G", kQuantityValue));
  // Not quantities: exact.
  EXPECT_FALSE(scalar_equal("pods", "Pods", kQuantityValue));
  EXPECT_TRUE(scalar_equal("pods", "pods", kQuantityValue));
}

TEST(ScalarEqualTest, IntOrString) {
  EXPECT_TRUE(scalar_equal(8080, "8080", kIntOrStringValue));
  EXPECT_TRUE(scalar_equal("8080", 8080, kIntOrStringValue));
  EXPECT_TRUE(scalar_equal(8080.0, "8080", kIntOrStringValue));
  EXPECT_FALSE(scalar_equal(8080, "08080", kIntOrStringValue));
  EXPECT_FALSE(scalar_equal(8080, "+8080", kIntOrStringValue));
  EXPECT_FALSE(scalar_equal(25, "25%", kIntOrStringValue));
  EXPECT_FALSE(scalar_equal(80, "http", kIntOrStringValue));
  EXPECT_FALSE(scalar_equal(8080, "8080", kPlainValue));
}

TEST(ChildContextTest, WhereRulesApply) {
  unsigned resources = child_context(kPlainValue, "resources");
  EXPECT_TRUE(resources & kQuantityValue);
  EXPECT_TRUE(child_context(resources, "limits") & kQuantityValue);
  EXPECT_TRUE(child_context(child_context(resources, "limits"), "cpu") & kQuantityValue);
  EXPECT_TRUE(child_context(kPlainValue, "storage") & kQuantityValue);
  EXPECT_TRUE(child_context(kPlainValue, "hard") & kQuantityValue);
  EXPECT_TRUE(child_context(kPlainValue, "capacity") & kQuantityValue);
  EXPECT_FALSE(child_context(kPlainValue, "data") & kQuantityValue);
  EXPECT_TRUE(child_context(kPlainValue, "targetPort") & kIntOrStringValue);
  EXPECT_TRUE(child_context(kPlainValue, "maxSurge") & kIntOrStringValue);
  // Int-or-string holds for the field itself, not what lies under it.
  EXPECT_FALSE(child_context(child_context(kPlainValue, "port"), "name") & kIntOrStringValue);
  EXPECT_FALSE(child_context(kPlainValue, "replicas") & kIntOrStringValue);
}

TEST(EmptyTest, GoZeroValues) {
  for (const json& v : {json(nullptr), json(""), json(0), json(0.0), json(false), json::object(), json::array()}) {
    EXPECT_TRUE(is_empty_value(v)) << v.dump();
    EXPECT_TRUE(is_effectively_empty(v)) << v.dump();
  }
  for (const json& v : {json(" "), json(1), json(true), json::array({0}), json{{"a", 1}}}) {
    EXPECT_FALSE(is_empty_value(v)) << v.dump();
  }
  EXPECT_TRUE(is_effectively_empty(json{{"a", json::object()}, {"b", ""}}));
  EXPECT_FALSE(is_effectively_empty(json{{"a", {{"b", "x"}}}}));
  EXPECT_FALSE(is_effectively_empty(json::array({json::object()})));
}

TEST(ServerFieldsTest, Strip) {
  json o = json::parse(R"({"apiVersion": "v1", "kind": "ConfigMap", "status": {},
    "metadata": {"name": "c", "uid": "u", "resourceVersion": "1", "generation": 2, "managedFields": [],
                 "creationTimestamp": "t", "selfLink": "s", "deletionTimestamp": "t",
                 "deletionGracePeriodSeconds": 30, "labels": {"a": "b"}},
    "data": {"status": "kept"}})");
  strip_server_fields(o);
  EXPECT_EQ(o, json::parse(R"({"apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "c", "labels": {"a": "b"}}, "data": {"status": "kept"}})"));
}

TEST(ListItemKeyTest, DefaultsAndNumbers) {
  EXPECT_EQ(list_item_key(json{{"containerPort", 80}}, {"containerPort", "protocol"}),
            (json{{"containerPort", 80}, {"protocol", "TCP"}}));
  EXPECT_EQ(list_item_key(json{{"containerPort", 80.0}, {"protocol", "UDP"}}, {"containerPort", "protocol"}),
            (json{{"containerPort", 80}, {"protocol", "UDP"}}));
  EXPECT_EQ(list_item_key(json{{"image", "x"}}, {"name"}), std::nullopt);
  EXPECT_EQ(list_item_key(json("scalar"), {"name"}), std::nullopt);
}

// ---- JSON pointers --------------------------------------------------------------------------

TEST(JsonPointerTest, ParseAndEscape) {
  EXPECT_THAT(*parse_json_pointer("/spec/replicas"), ElementsAre("spec", "replicas"));
  EXPECT_THAT(*parse_json_pointer("/metadata/annotations/a~1b~0c"), ElementsAre("metadata", "annotations", "a/b~c"));
  EXPECT_THAT(*parse_json_pointer("/a//b"), ElementsAre("a", "", "b"));
  EXPECT_TRUE(parse_json_pointer("")->empty());
  EXPECT_FALSE(parse_json_pointer("spec").has_value());
  EXPECT_FALSE(parse_json_pointer("/a~").has_value());
  EXPECT_FALSE(parse_json_pointer("/a~2").has_value());
  EXPECT_EQ(json_pointer({"metadata", "annotations", "a/b~c"}), "/metadata/annotations/a~1b~0c");
  EXPECT_EQ(json_pointer({}), "");
}

TEST(JsonPointerTest, FindRemoveSet) {
  json doc = json::parse(R"({"a": {"b": [10, 20, {"c": 1}]}})");
  EXPECT_EQ(*find_pointer(doc, {"a", "b", "1"}), 20);
  EXPECT_EQ(*find_pointer(doc, {"a", "b", "2", "c"}), 1);
  EXPECT_EQ(find_pointer(doc, {"a", "b", "3"}), nullptr);
  EXPECT_EQ(find_pointer(doc, {"a", "b", "01"}), nullptr);
  EXPECT_EQ(find_pointer(doc, {"a", "x"}), nullptr);

  EXPECT_TRUE(remove_pointer(doc, {"a", "b", "0"}));
  EXPECT_EQ(doc["a"]["b"][0], 20);
  EXPECT_FALSE(remove_pointer(doc, {"a", "b", "9"}));
  EXPECT_FALSE(remove_pointer(doc, {}));

  EXPECT_TRUE(set_pointer(doc, {"a", "new", "deep"}, "v"));
  EXPECT_EQ(doc["a"]["new"]["deep"], "v");
  EXPECT_TRUE(set_pointer(doc, {"a", "b", "0"}, 99));
  EXPECT_EQ(doc["a"]["b"][0], 99);
  json before = doc;
  EXPECT_FALSE(set_pointer(doc, {"a", "b", "7", "x"}, 1));
  EXPECT_FALSE(set_pointer(doc, {"a", "b", "0", "x"}, 1));  // through a scalar
  EXPECT_EQ(doc, before);
}

}  // namespace
}  // namespace ferry::reconciler
