// The API's answer helpers and its task pool: names that could climb out of a path are refused,
// errors carry the documented shape, and slow work runs off the caller's thread.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>

#include "apis/server/responses.h"
#include "apis/server/task_pool.h"

namespace ferry::apis {
namespace {

TEST(ValidObjectName, AcceptsKubernetesNamesAndRefusesPathTricks) {
  for (const char* good : {"web", "guestbook-prod", "a", "app.v2", "0day"}) EXPECT_TRUE(valid_object_name(good)) << good;
  for (const char* bad : {"", "..", "../etc", "a/b", "Web", "-web", "web-", "a..b", "web%2f", "we b", "a\\b",
                          ".hidden"}) {
    EXPECT_FALSE(valid_object_name(bad)) << bad;
  }
  EXPECT_FALSE(valid_object_name(std::string(254, 'a')));
}

TEST(ErrorResponse, HasTheDocumentedShapeAndCode) {
  auto r = error_response(Status::NotFound("application \"x\" not found"));
  EXPECT_EQ(r.status, 404);
  auto body = Json::parse(r.body);
  EXPECT_EQ(body["error"], "NotFound");
  EXPECT_EQ(body["code"], 404);
  EXPECT_EQ(body["message"], "application \"x\" not found");
  EXPECT_EQ(error_response(Status::Invalid("spec.source: required")).status, 400);
  EXPECT_EQ(error_response(Status(Reason::kTimeout, "later")).status, 504);
  EXPECT_EQ(error_response(Status::Conflict("busy")).status, 409);
  EXPECT_EQ(error_response(Status(Reason::kUnauthorized, "who?")).status, 401);
}

TEST(JsonBody, RefusesWhatIsNotAnObject) {
  http::Request request;
  EXPECT_TRUE(json_body(request).ok());
  request.body = "{\"a\":1}";
  ASSERT_TRUE(json_body(request).ok());
  EXPECT_EQ((*json_body(request))["a"], 1);
  request.body = "[1,2]";
  EXPECT_TRUE(json_body(request).status().is(Reason::kBadRequest));
  request.body = "{broken";
  EXPECT_TRUE(json_body(request).status().is(Reason::kBadRequest));
}

TEST(WithoutUrlCredentials, MasksPasswordsInUrlsAnywhereAndKeepsTheRest) {
  Json app = {{"spec", {{"source", {{"repoURL", "https://ci:s3cret-token@git.example.com/org/repo.git"}}}}},
              {"status", {{"history", {{{"source", {{"repoURL", "https://u:p4ss@h/r"}}}}}}}},
              {"note", "see https://git.example.com/org/repo and mail a@b"}};
  std::string shown = without_url_credentials(app).dump();
  EXPECT_EQ(shown.find("s3cret-token"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("p4ss"), std::string::npos) << shown;
  EXPECT_NE(shown.find("https://ci:******@git.example.com/org/repo.git"), std::string::npos) << shown;
  EXPECT_NE(shown.find("see https://git.example.com/org/repo and mail a@b"), std::string::npos) << shown;
}

TEST(JsonResponse, InvalidUtf8IsReplacedNotThrown) {
  auto r = json_response(200, {{"message", std::string("bad \xff byte")}});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("bad"), std::string::npos);
}

TEST(TaskPool, RunsTasksOnItsThreadsAndRefusesBeyondTheQueueLimit) {
  TaskPool pool(1, 1);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::promise<std::thread::id> ran_on;
  ASSERT_TRUE(pool.submit([&] {
    ran_on.set_value(std::this_thread::get_id());
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
  }));
  EXPECT_NE(ran_on.get_future().get(), std::this_thread::get_id());
  std::promise<void> second_ran;
  ASSERT_TRUE(pool.submit([&] { second_ran.set_value(); }));  // queued: the one slot
  EXPECT_FALSE(pool.submit([] {}));                            // beyond the limit
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  second_ran.get_future().wait();
  pool.stop();
  EXPECT_FALSE(pool.submit([] {}));
}

}  // namespace
}  // namespace ferry::apis
