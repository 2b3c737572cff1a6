// Audit events, accounts and tokens.
// Part of the store contract: included and instantiated once per backend (store_backend.h).
#pragma once

#include <gtest/gtest.h>

#include <atomic>

#include "store/store.h"
#include "store/tokens.h"
#include "tests/unit/store/store_test_util.h"
#include "tests/unit/store/store_backend.h"

namespace ferry::store {
// Unnamed: each test binary includes a contract once, next to its instantiation.
namespace {

class AccountsTest : public StoreContractTest {
 protected:
  void SetUp() override {
    Options options;
    options.clock = [this] { return clock_.load(); };
    store_ = open_store(options);
    ASSERT_TRUE(store_);
  }

  Event event(const std::string& action, const std::string& app, int64_t time = 0) {
    Event e;
    e.time = time;
    e.actor = "alice";
    e.action = action;
    e.app = app;
    e.message = action + " " + app;
    e.details = {{"revision", "abc"}, {"prune", true}};
    return e;
  }

  std::atomic<int64_t> clock_{1'000'000};
  std::unique_ptr<Store> store_;
};

TEST_P(AccountsTest, EventsAreListedNewestFirstAndFiltered) {
  ASSERT_TRUE(store_->record_event(event("sync", "default/a", 100)).ok());
  ASSERT_TRUE(store_->record_event(event("sync", "default/b", 200)).ok());
  ASSERT_TRUE(store_->record_event(event("login", "", 300)).ok());
  ASSERT_TRUE(store_->record_event(event("rollback", "default/a", 400)).ok());
  auto stamped = store_->record_event(event("refresh", "default/a"));  // time from the clock
  ASSERT_TRUE(stamped.ok());

  auto all = store_->list_events({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0].id, *stamped);
  EXPECT_EQ((*all)[0].time, 1'000'000);
  EXPECT_EQ((*all)[4].action, "sync");
  EXPECT_EQ((*all)[4].details, (Json{{"revision", "abc"}, {"prune", true}}));
  EXPECT_EQ((*all)[4].actor, "alice");
  EXPECT_EQ((*all)[4].message, "sync default/a");

  EventFilter for_a;
  for_a.app = "default/a";
  auto a = store_->list_events(for_a);
  ASSERT_EQ(a->size(), 3u);
  EXPECT_EQ((*a)[0].action, "refresh");
  EXPECT_EQ((*a)[1].action, "rollback");
  EXPECT_EQ((*a)[2].action, "sync");

  for_a.since = 150;
  EXPECT_EQ(store_->list_events(for_a)->size(), 2u);
  for_a.limit = 1;
  ASSERT_EQ(store_->list_events(for_a)->size(), 1u);
  for_a.before_id = (*a)[0].id;  // the next page
  auto page = store_->list_events(for_a);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].action, "rollback");

  EXPECT_TRUE(store_->record_event(Event{}).status().is(Reason::kInvalid));
  auto pruned = store_->prune_events(250);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 2);
  EXPECT_EQ(store_->list_events({})->size(), 3u);
}

TEST_P(AccountsTest, AccountsAreCreatedReadAndUpdated) {
  Account ci;
  ci.name = "ci";
  ci.capabilities = {"apiKey"};
  ASSERT_TRUE(store_->put_account(ci).ok());
  Account admin;
  admin.name = "admin";
  admin.capabilities = {"login", "apiKey"};
  admin.password_hash = "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA";
  ASSERT_TRUE(store_->put_account(admin).ok());

  auto got = store_->get_account("admin");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->capabilities, admin.capabilities);
  EXPECT_EQ(got->password_hash, admin.password_hash);
  EXPECT_TRUE(got->enabled);
  EXPECT_TRUE(got->has_capability("login"));
  EXPECT_FALSE(store_->get_account("ci")->has_capability("login"));
  EXPECT_EQ(got->created_at, 1'000'000);

  clock_ += 5000;
  admin.password_hash = "$scrypt$new";
  admin.enabled = false;
  ASSERT_TRUE(store_->put_account(admin).ok());
  got = store_->get_account("admin");
  EXPECT_EQ(got->password_hash, "$scrypt$new");
  EXPECT_FALSE(got->enabled);
  EXPECT_EQ(got->created_at, 1'000'000);
  EXPECT_EQ(got->updated_at, 1'005'000);

  auto all = store_->list_accounts();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "admin");
  EXPECT_EQ((*all)[1].name, "ci");
  EXPECT_TRUE(store_->get_account("nobody").status().is(Reason::kNotFound));
  EXPECT_TRUE(store_->put_account(Account{}).is(Reason::kInvalid));
}

TEST_P(AccountsTest, TokensAreFoundByHashAndRevoked) {
  Account ci;
  ci.name = "ci";
  ci.capabilities = {"apiKey"};
  ASSERT_TRUE(store_->put_account(ci).ok());

  std::string token = *generate_token();
  TokenRecord record;
  record.id = "6f1c0e2a-1111-4c8e-9d55-000000000001";
  record.account = "ci";
  record.hash = hash_token(token);
  record.expires_at = 2'000'000;
  record.description = "GitHub Actions";
  ASSERT_TRUE(store_->store_token(record).ok());

  auto found = store_->find_token_by_hash(hash_token(token));
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  EXPECT_EQ(found->id, record.id);
  EXPECT_EQ(found->account, "ci");
  EXPECT_EQ(found->created_at, 1'000'000);  // from the clock
  EXPECT_EQ(found->description, "GitHub Actions");
  EXPECT_FALSE(found->expired(1'999'999));
  EXPECT_TRUE(found->expired(2'000'000));
  EXPECT_TRUE(store_->find_token_by_hash(hash_token(token + "x")).status().is(Reason::kNotFound));

  // Updating the account keeps its tokens (an upsert, not delete-and-insert).
  ci.capabilities = {"apiKey", "login"};
  ASSERT_TRUE(store_->put_account(ci).ok());
  EXPECT_TRUE(store_->find_token_by_hash(record.hash).ok());

  TokenRecord second = record;
  second.id = "second";
  second.hash = hash_token(*generate_token());
  second.expires_at = 0;
  second.created_at = 1'500'000;
  ASSERT_TRUE(store_->store_token(second).ok());
  auto listed = store_->list_tokens("ci");
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, record.id);
  EXPECT_EQ((*listed)[1], second);
  EXPECT_FALSE((*listed)[1].expired(INT64_MAX));

  ASSERT_TRUE(store_->revoke_token(record.id).ok());
  EXPECT_TRUE(store_->find_token_by_hash(record.hash).status().is(Reason::kNotFound));
  EXPECT_TRUE(store_->revoke_token(record.id).is(Reason::kNotFound));
  EXPECT_EQ(store_->list_tokens("ci")->size(), 1u);

  ASSERT_TRUE(store_->delete_account("ci").ok());
  EXPECT_TRUE(store_->find_token_by_hash(second.hash).status().is(Reason::kNotFound));
  EXPECT_TRUE(store_->delete_account("ci").is(Reason::kNotFound));
  EXPECT_EQ(store_->stats()->tokens, 0);
}

TEST_P(AccountsTest, StoringATokenChecksItsArguments) {
  Account ci;
  ci.name = "ci";
  ASSERT_TRUE(store_->put_account(ci).ok());
  std::string token = *generate_token();
  TokenRecord record;
  record.id = "t1";
  record.account = "ci";
  record.hash = token;  // the raw token by mistake: refused, never stored
  EXPECT_TRUE(store_->store_token(record).is(Reason::kInvalid));
  EXPECT_EQ(store_->stats()->tokens, 0);

  record.hash = hash_token(token);
  record.account = "ghost";
  EXPECT_TRUE(store_->store_token(record).is(Reason::kNotFound));
  record.account = "ci";
  ASSERT_TRUE(store_->store_token(record).ok());
  EXPECT_TRUE(store_->store_token(record).is(Reason::kAlreadyExists));  // same id
  TokenRecord same_hash = record;
  same_hash.id = "t2";
  EXPECT_TRUE(store_->store_token(same_hash).is(Reason::kAlreadyExists));
  EXPECT_TRUE(store_->store_token(TokenRecord{}).is(Reason::kInvalid));
}

}  // namespace
}  // namespace ferry::store
