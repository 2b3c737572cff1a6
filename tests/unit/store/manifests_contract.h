// Manifests as applied: exact round trips, deduplication, compression, Secret masking, retention.
// Part of the store contract: included and instantiated once per backend (store_backend.h).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "store/codec.h"
#include "store/store.h"
#include "tests/unit/store/store_test_util.h"
#include "tests/unit/store/store_backend.h"

namespace ferry::store {
// Unnamed: each test binary includes a contract once, next to its instantiation.
namespace {

Json secret(const std::string& name, const std::string& password) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"type", "Opaque"},
          {"data", {{"password", password}}},
          {"stringData", {{"url", "postgres://app:" + password + "@db/app"}}}};
}

class ManifestsTest : public StoreContractTest {
 protected:
  void SetUp() override {
    Options options;
    options.history_limit = 3;
    store_ = open_store(options);
    ASSERT_TRUE(store_);
  }

  int64_t begin(const std::string& app) {
    auto id = store_->begin_operation(sync_start(app));
    EXPECT_TRUE(id.ok()) << id.status().to_string();
    return id.ok() ? *id : 0;
  }

  // An operation of `app` that applied `objects` and succeeded.
  int64_t applied(const std::string& app, const std::vector<Json>& objects) {
    int64_t id = begin(app);
    auto digests = store_->store_manifests(id, objects);
    EXPECT_TRUE(digests.ok()) << digests.status().to_string();
    EXPECT_TRUE(store_->finish_operation(id, OperationPhase::kSucceeded, "").ok());
    return id;
  }

  StoreStats stats() {
    auto st = store_->stats();
    EXPECT_TRUE(st.ok());
    return st.ok() ? *st : StoreStats{};
  }

  std::unique_ptr<Store> store_;
};

TEST_P(ManifestsTest, RoundTripsByteExactlyInOrder) {
  Json tricky = Json::parse(R"({
    "apiVersion": "example.com/v1", "kind": "Widget",
    "metadata": {"name": "ünïcödé-名前", "annotations": {"emoji": "🚀 ship it", "escapes": "tab\there \"quoted\" \\ \u0001 \u2028"}},
    "spec": {
      "bigInts": [9223372036854775807, -9223372036854775808, 18446744073709551615, 0, -1],
      "floats": [0.1, 1e300, -2.5e-308, 3.141592653589793, 1.0, -0.0, 6.02214076e23, 1.7976931348623157e308],
      "nested": [[[]], [{}, [1, [2, [3, [4, null, true, false]]]]], {"a": [{"b": [{"c": []}]}]}],
      "empty": "", "zero": 0, "null": null
    }
  })");
  std::vector<Json> objects = {config_map("b"), tricky, config_map("a"), Json::object(), Json::array({1, "two", 3.0})};
  int64_t id = begin("default/app");
  auto digests = store_->store_manifests(id, objects);
  ASSERT_TRUE(digests.ok()) << digests.status().to_string();
  ASSERT_EQ(digests->size(), objects.size());
  for (size_t i = 0; i < objects.size(); ++i) EXPECT_EQ((*digests)[i], *store_->digest_of(objects[i]));

  auto back = store_->manifests_of(id);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  ASSERT_EQ(back->size(), objects.size());
  for (size_t i = 0; i < objects.size(); ++i) {
    EXPECT_EQ((*back)[i], objects[i]) << i;
    EXPECT_EQ((*back)[i].dump(), objects[i].dump()) << i;
    // Number types survive too: unsigned stays unsigned, 1.0 stays a float.
    EXPECT_EQ(*canonical_json((*back)[i]), *canonical_json(objects[i])) << i;
  }
  const Json& spec = (*back)[1]["spec"];
  EXPECT_TRUE(spec["bigInts"][2].is_number_unsigned());
  EXPECT_EQ(spec["bigInts"][2].get<uint64_t>(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(spec["bigInts"][1].get<int64_t>(), std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(spec["floats"][4].is_number_float());
  EXPECT_TRUE(std::signbit(spec["floats"][5].get<double>()));
  EXPECT_EQ(spec["floats"][0].get<double>(), 0.1);

  auto one = store_->get_manifest((*digests)[1]);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, tricky);
  EXPECT_TRUE(store_->get_manifest(std::string(64, '0')).status().is(Reason::kNotFound));
}

TEST_P(ManifestsTest, LaterCallsAppendInOrder) {
  int64_t id = begin("default/app");
  ASSERT_TRUE(store_->store_manifests(id, {config_map("wave0-a"), config_map("wave0-b")}).ok());
  ASSERT_TRUE(store_->store_manifests(id, {}).ok());
  ASSERT_TRUE(store_->store_manifests(id, {config_map("wave1")}).ok());
  auto back = store_->manifests_of(id);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ((*back)[0]["metadata"]["name"], "wave0-a");
  EXPECT_EQ((*back)[1]["metadata"]["name"], "wave0-b");
  EXPECT_EQ((*back)[2]["metadata"]["name"], "wave1");
  EXPECT_TRUE(store_->manifests_of(begin("default/app"))->empty());
}

TEST_P(ManifestsTest, TheSameObjectIsStoredOnce) {
  Json shared = config_map("shared");
  // Key order does not matter: the canonical form sorts keys.
  Json shared_reordered = Json::parse(R"({"data":{"key":"v"},"metadata":{"namespace":"default","name":"shared"},)"
                                      R"("kind":"ConfigMap","apiVersion":"v1"})");
  int64_t first = applied("default/a", {shared, config_map("only-a"), shared});
  int64_t second = applied("default/b", {shared_reordered, config_map("only-b")});
  StoreStats st = stats();
  EXPECT_EQ(st.blobs, 3);  // shared, only-a, only-b
  EXPECT_EQ(st.manifest_refs, 5);
  EXPECT_EQ(store_->manifests_of(first)->size(), 3u);
  EXPECT_EQ(store_->manifests_of(second)->at(0), shared);
}

TEST_P(ManifestsTest, BlobsAreCompressed) {
  Json big = config_map("big");
  for (int i = 0; i < 2000; ++i) big["data"]["key-" + std::to_string(i)] = "the same long value, again and again";
  applied("default/app", {big});
  StoreStats st = stats();
  EXPECT_EQ(st.blobs, 1);
  EXPECT_EQ(st.blob_bytes_raw, static_cast<int64_t>(canonical_json(big)->size()));
  EXPECT_LT(st.blob_bytes_stored * 5, st.blob_bytes_raw) << st.blob_bytes_stored << " of " << st.blob_bytes_raw;
}

TEST_P(ManifestsTest, SecretsAreMaskedUnlessRollbackAsksForThem) {
  Json s = secret("db", "aHVudGVyMg==");
  int64_t id = applied("default/app", {config_map("cfg"), s});
  EXPECT_EQ(stats().sensitive_blobs, 1);

  auto shown = store_->manifests_of(id);
  ASSERT_TRUE(shown.ok());
  ASSERT_EQ(shown->size(), 2u);
  EXPECT_EQ((*shown)[0], config_map("cfg"));
  EXPECT_EQ((*shown)[1]["data"]["password"], kMaskedValue);
  EXPECT_EQ((*shown)[1]["stringData"]["url"], kMaskedValue);
  EXPECT_EQ((*shown)[1]["metadata"]["name"], "db");
  EXPECT_EQ((*shown)[1].dump().find("aHVudGVyMg=="), std::string::npos);
  EXPECT_EQ((*shown)[1].dump().find("hunter2"), std::string::npos);

  auto for_rollback = store_->manifests_of(id, /*include_sensitive=*/true);
  ASSERT_TRUE(for_rollback.ok());
  EXPECT_EQ((*for_rollback)[1], s);

  std::string digest = *store_->digest_of(s);
  EXPECT_EQ((*store_->get_manifest(digest))["data"]["password"], kMaskedValue);
  EXPECT_EQ(*store_->get_manifest(digest, true), s);
}

TEST_P(ManifestsTest, SecretDigestsAreKeyedPerDatabase) {
  Json s = secret("db", "aHVudGVyMg==");
  Json cm = config_map("cfg");
  std::string secret_digest = *store_->digest_of(s);
  // A plain hash of a Secret would let readers of the history test guesses of its value.
  EXPECT_NE(secret_digest, sha256_hex(*canonical_json(s)));
  EXPECT_EQ(secret_digest.size(), 64u);
  EXPECT_EQ(*store_->digest_of(cm), sha256_hex(*canonical_json(cm)));

  auto other = open_store();
  ASSERT_TRUE(other);
  EXPECT_NE(*other->digest_of(s), secret_digest);
  EXPECT_EQ(*other->digest_of(cm), *store_->digest_of(cm));
  // Still deduplicated within one database.
  applied("default/a", {s});
  applied("default/b", {s});
  EXPECT_EQ(stats().blobs, 1);
}

TEST_P(ManifestsTest, RefusesObjectsJsonCannotCarryAndStoresNothing) {
  int64_t id = begin("default/app");
  Json nan = config_map("x");
  nan["spec"] = {{"ratio", std::numeric_limits<double>::quiet_NaN()}};
  auto r = store_->store_manifests(id, {config_map("fine"), nan});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().is(Reason::kInvalid));
  EXPECT_NE(r.status().message().find("manifest 1"), std::string::npos) << r.status().message();
  Json bad_utf8 = config_map("y", std::string("\xc3\x28"));
  EXPECT_TRUE(store_->store_manifests(id, {bad_utf8}).status().is(Reason::kInvalid));
  EXPECT_EQ(stats().blobs, 0);
  EXPECT_TRUE(store_->manifests_of(id)->empty());
}

TEST_P(ManifestsTest, ATamperedBlobIsReportedNotReturned) {
  int64_t id = applied("default/app", {config_map("cfg", "original")});
  std::string digest = *store_->digest_of(config_map("cfg", "original"));
  // Replace the blob's bytes with a valid compressed text of another object.
  std::string forged = *canonical_json(config_map("cfg", "forged"));
  std::string packed = *compress(forged);
  backend().overwrite_blob(digest, packed, static_cast<int64_t>(forged.size()));

  auto back = store_->manifests_of(id, true);
  ASSERT_FALSE(back.ok());
  EXPECT_TRUE(back.status().is(Reason::kInternal));
  EXPECT_NE(back.status().message().find("does not match its digest"), std::string::npos) << back.status().message();
}

TEST_P(ManifestsTest, RetentionKeepsTheNewestAndCollectsOrphanedBlobs) {
  Json shared = config_map("shared");
  std::vector<int64_t> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(applied("default/app", {shared, config_map("v" + std::to_string(i))}));
  int64_t other = applied("default/other", {config_map("v0")});  // shares v0 with the oldest op
  int64_t running = begin("default/app");
  ASSERT_TRUE(store_->store_manifests(running, {config_map("in-flight")}).ok());
  ASSERT_TRUE(store_->record_resource_result(ids[0], config_map_result("v0")).is(Reason::kConflict));
  EXPECT_EQ(stats().blobs, 8);  // shared, v0..v5, in-flight

  // Keep 3: the running operation (newest) and ids[4], ids[5].
  auto pruned = store_->prune_history("default/app", 3);
  ASSERT_TRUE(pruned.ok()) << pruned.status().to_string();
  EXPECT_EQ(pruned->operations_deleted, 4);
  EXPECT_EQ(pruned->blobs_deleted, 3);  // v1, v2, v3; v0 is still used by default/other

  auto left = store_->list_operations("default/app", 0);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 3u);
  EXPECT_EQ((*left)[0].id, running);
  EXPECT_EQ((*left)[1].id, ids[5]);
  EXPECT_EQ((*left)[2].id, ids[4]);
  EXPECT_TRUE(store_->get_operation(ids[0]).status().is(Reason::kNotFound));
  EXPECT_EQ(store_->manifests_of(other)->at(0), config_map("v0"));
  EXPECT_EQ(store_->manifests_of(ids[5])->at(0), shared);
  StoreStats st = stats();
  EXPECT_EQ(st.blobs, 5);  // shared, v0, v4, v5, in-flight
  EXPECT_EQ(st.operations, 4);
  EXPECT_TRUE(store_->check_integrity().ok());

  // keep 0 prunes every finished operation but never the running one.
  auto all = store_->prune_history("default/app", 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->operations_deleted, 2);
  EXPECT_EQ(store_->list_operations("default/app", 0)->size(), 1u);
  EXPECT_EQ(store_->manifests_of(running)->at(0), config_map("in-flight"));
  EXPECT_TRUE(store_->prune_history("default/app", -1).status().is(Reason::kInvalid));
}

TEST_P(ManifestsTest, HistoryIdsAreNeverReused) {
  int64_t last = 0;
  for (int i = 0; i < 3; ++i) last = applied("default/app", {config_map("x")});
  ASSERT_TRUE(store_->prune_history("default/app", 0).ok());
  EXPECT_EQ(stats().blobs, 0);
  EXPECT_GT(begin("default/app"), last);
}

TEST_P(ManifestsTest, TheDefaultRetentionComesFromOptions) {
  for (int i = 0; i < 5; ++i) applied("default/app", {config_map("x" + std::to_string(i))});
  auto pruned = store_->prune_history("default/app");
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->operations_deleted, 2);  // history_limit 3
  EXPECT_EQ(stats().blobs, 3);
}

}  // namespace
}  // namespace ferry::store
