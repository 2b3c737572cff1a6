#include "kube/sim/object_store.h"

#include <gtest/gtest.h>

namespace ferry::kube::sim {
namespace {

ObjectPtr object(const std::string& name, uint64_t version, const std::string& owner_uid = "") {
  Json o = {{"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", "default"}, {"uid", "uid-" + name},
                          {"resourceVersion", std::to_string(version)}}}};
  if (!owner_uid.empty()) o["metadata"]["ownerReferences"] = {{{"uid", owner_uid}}};
  return std::make_shared<const Json>(o);
}

Result<ObjectPtr> put(ObjectStore& store, const std::string& name, const std::string& owner = "") {
  return store.mutate({"/configmaps", "default", name},
                      [&](const ObjectPtr&, uint64_t v) -> Result<ObjectPtr> { return object(name, v, owner); });
}

TEST(ObjectStore, WritesBumpOneGlobalVersion) {
  ObjectStore store;
  uint64_t start = store.current_version();
  ASSERT_TRUE(put(store, "a").ok());
  ASSERT_TRUE(put(store, "b").ok());
  EXPECT_EQ(store.current_version(), start + 2);
  EXPECT_EQ(store.get({"/configmaps", "default", "b"})->at("metadata")["resourceVersion"], std::to_string(start + 2));
}

TEST(ObjectStore, ComputeErrorsWriteNothing) {
  ObjectStore store;
  uint64_t start = store.current_version();
  auto r = store.mutate({"/configmaps", "default", "x"},
                        [](const ObjectPtr&, uint64_t) -> Result<ObjectPtr> { return Status::Conflict("no"); });
  EXPECT_TRUE(r.status().is(Reason::kConflict));
  EXPECT_EQ(store.current_version(), start);
  EXPECT_EQ(store.get({"/configmaps", "default", "x"}), nullptr);
}

TEST(ObjectStore, ListPagesInNameOrderWithinANamespace) {
  ObjectStore store;
  for (const char* n : {"c", "a", "b", "d"}) ASSERT_TRUE(put(store, n).ok());
  ObjectStore::ListOptions page;
  page.ns = "default";
  page.limit = 3;
  auto first = store.list("/configmaps", page);
  ASSERT_EQ(first.items.size(), 3u);
  EXPECT_EQ(first.items[0]->at("metadata")["name"], "a");
  EXPECT_EQ(first.remaining, 1u);
  page.after_name_key = first.last_key;
  auto second = store.list("/configmaps", page);
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_EQ(second.items[0]->at("metadata")["name"], "d");
  EXPECT_TRUE(second.last_key.empty());
}

TEST(ObjectStore, WatchReplaysHistoryAndFollowsNewEvents) {
  ObjectStore store;
  ASSERT_TRUE(put(store, "a").ok());
  uint64_t after_a = store.current_version();
  ASSERT_TRUE(put(store, "b").ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(store.watch("/configmaps", after_a, nullptr, [&](const WatchEvent& e) {
    seen.push_back(e.type + ":" + e.object->at("metadata")["name"].get<std::string>());
    return true;
  }).ok());
  ASSERT_TRUE(put(store, "b").ok());
  ASSERT_TRUE(store.mutate({"/configmaps", "default", "a"}, [](const ObjectPtr&, uint64_t) -> Result<ObjectPtr> {
    return ObjectPtr();
  }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED:b", "MODIFIED:b", "DELETED:a"}));
}

TEST(ObjectStore, WatchFromBeforeTheHistoryWindowIsGone) {
  ObjectStore store(16);
  uint64_t start = store.current_version();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(put(store, "n" + std::to_string(i)).ok());
  Status s = store.watch("/configmaps", start, nullptr, [](const WatchEvent&) { return true; });
  EXPECT_TRUE(s.is(Reason::kGone)) << s.to_string();
  EXPECT_TRUE(store.watch("/configmaps", store.current_version() - 2, nullptr, [](const WatchEvent&) { return true; }).ok());
}

TEST(ObjectStore, OwnerIndexFollowsOwnerReferences) {
  ObjectStore store;
  ASSERT_TRUE(put(store, "child", "uid-parent").ok());
  ASSERT_EQ(store.dependents_of("uid-parent").size(), 1u);
  ASSERT_TRUE(put(store, "child").ok());  // owner reference removed
  EXPECT_TRUE(store.dependents_of("uid-parent").empty());
  EXPECT_TRUE(store.uid_exists("uid-child"));
}

}  // namespace
}  // namespace ferry::kube::sim
