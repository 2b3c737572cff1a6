// kube::ObjectStore: one-allocation records, lookups by key, prefix and label, replacement and
// removal keeping the label index and the byte count right.
#include "kube/cache/object_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ferry::kube {
namespace {

StoredObject::Ptr object(std::string_view key, std::string_view label, std::string_view version = "1") {
  return StoredObject::make(key, label, version, std::string("{\"k\":\"") + std::string(key) + "\"}");
}

std::vector<std::string> keys_with_prefix(const ObjectStore& store, std::string_view prefix) {
  std::vector<std::string> out;
  store.for_each_with_prefix(prefix, [&](const StoredObject& o) { out.emplace_back(o.key()); });
  return out;
}

std::vector<std::string> keys_with_label(const ObjectStore& store, std::string_view label) {
  std::vector<std::string> out;
  store.for_each_with_label(label, [&](const StoredObject& o) { out.emplace_back(o.key()); });
  return out;
}

TEST(StoredObject, PacksItsFieldsInOneRecord) {
  auto o = StoredObject::make("default/web", "shop", "42", R"({"a":1})");
  EXPECT_EQ(o->key(), "default/web");
  EXPECT_EQ(o->label(), "shop");
  EXPECT_EQ(o->version(), "42");
  EXPECT_EQ(o->json(), R"({"a":1})");
  EXPECT_EQ(o->bytes(), sizeof(StoredObject) + 11 + 4 + 2 + 7);

  auto empty = StoredObject::make("/node-1", "", "", "{}");
  EXPECT_EQ(empty->key(), "/node-1");
  EXPECT_EQ(empty->label(), "");
  EXPECT_EQ(empty->version(), "");
  EXPECT_EQ(empty->json(), "{}");
}

TEST(ObjectStore, FindsByKeyAndListsByPrefixInKeyOrder) {
  ObjectStore store;
  for (auto key : {"b/y", "a/z", "b/x", "ab/w", "/cluster"}) EXPECT_EQ(store.put(object(key, "")), nullptr);
  EXPECT_EQ(store.size(), 5u);
  ASSERT_NE(store.find("b/x"), nullptr);
  EXPECT_EQ(store.find("b/x")->json(), R"({"k":"b/x"})");
  EXPECT_EQ(store.find("b/"), nullptr);
  EXPECT_EQ(keys_with_prefix(store, "b/"), (std::vector<std::string>{"b/x", "b/y"}));
  EXPECT_EQ(keys_with_prefix(store, "a/"), (std::vector<std::string>{"a/z"}));  // not "ab/w"
  EXPECT_EQ(keys_with_prefix(store, "/"), (std::vector<std::string>{"/cluster"}));
  EXPECT_EQ(keys_with_prefix(store, ""), (std::vector<std::string>{"/cluster", "a/z", "ab/w", "b/x", "b/y"}));
  EXPECT_TRUE(keys_with_prefix(store, "c/").empty());
}

TEST(ObjectStore, IndexesByLabelAndFollowsReplacementAndRemoval) {
  ObjectStore store;
  store.put(object("ns/b", "alpha"));
  store.put(object("ns/a", "alpha"));
  store.put(object("ns/c", "beta"));
  store.put(object("ns/d", ""));
  EXPECT_EQ(keys_with_label(store, "alpha"), (std::vector<std::string>{"ns/a", "ns/b"}));
  EXPECT_EQ(keys_with_label(store, "beta"), (std::vector<std::string>{"ns/c"}));
  EXPECT_TRUE(keys_with_label(store, "").empty());  // unlabelled objects are not indexed
  EXPECT_TRUE(keys_with_label(store, "alph").empty());

  auto replaced = store.put(object("ns/a", "beta", "2"));  // relabelled
  ASSERT_NE(replaced, nullptr);
  EXPECT_EQ(replaced->label(), "alpha");
  EXPECT_EQ(replaced->version(), "1");
  EXPECT_EQ(store.find("ns/a")->version(), "2");
  EXPECT_EQ(store.size(), 4u);
  EXPECT_EQ(keys_with_label(store, "alpha"), (std::vector<std::string>{"ns/b"}));
  EXPECT_EQ(keys_with_label(store, "beta"), (std::vector<std::string>{"ns/a", "ns/c"}));

  auto removed = store.erase("ns/c");
  ASSERT_NE(removed, nullptr);
  EXPECT_EQ(removed->key(), "ns/c");
  EXPECT_EQ(store.erase("ns/c"), nullptr);
  EXPECT_EQ(store.find("ns/c"), nullptr);
  EXPECT_EQ(keys_with_label(store, "beta"), (std::vector<std::string>{"ns/a"}));
}

TEST(ObjectStore, CountsTheBytesOfWhatItHolds) {
  ObjectStore store;
  auto a = object("ns/a", "x");
  size_t a_bytes = a->bytes();
  store.put(std::move(a));
  auto b = StoredObject::make("ns/b", "", "1", std::string(1000, ' '));
  size_t b_bytes = b->bytes();
  store.put(std::move(b));
  EXPECT_EQ(store.bytes(), a_bytes + b_bytes);
  auto bigger = StoredObject::make("ns/a", "x", "2", std::string(500, ' '));
  size_t bigger_bytes = bigger->bytes();
  store.put(std::move(bigger));
  EXPECT_EQ(store.bytes(), bigger_bytes + b_bytes);
  store.erase("ns/b");
  EXPECT_EQ(store.bytes(), bigger_bytes);
}

TEST(ObjectStore, SwapExchangesObjectsAndIndexes) {
  ObjectStore one, two;
  one.put(object("ns/a", "alpha"));
  two.put(object("ns/b", "beta"));
  two.put(object("ns/c", "beta"));
  one.swap(two);
  EXPECT_EQ(one.size(), 2u);
  EXPECT_EQ(keys_with_label(one, "beta"), (std::vector<std::string>{"ns/b", "ns/c"}));
  EXPECT_TRUE(keys_with_label(one, "alpha").empty());
  EXPECT_EQ(two.size(), 1u);
  EXPECT_NE(two.find("ns/a"), nullptr);
  EXPECT_EQ(keys_with_label(two, "alpha"), (std::vector<std::string>{"ns/a"}));
}

}  // namespace
}  // namespace ferry::kube
