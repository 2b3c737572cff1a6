#include "kube/client/exec_credential.h"

#include <gtest/gtest.h>

#include <ctime>

#include "tests/unit/kube_client/test_files.h"

namespace ferry::kube {
namespace {

using testing::ScratchDir;

constexpr const char* kV1 = "client.authentication.k8s.io/v1";

std::string rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A plugin that appends a line to `count` per run and prints a token built from its args/env.
std::string counting_plugin(const ScratchDir& dir, const std::string& expiry) {
  return dir.write("plugin.sh",
                   "#!/bin/sh\n"
                   "echo run >> \"" +
                       dir.path() +
                       "/count\"\n"
                       "n=$(wc -l < \"" +
                       dir.path() +
                       "/count\" | tr -d ' ')\n"
                       "cat <<EOF\n"
                       "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\n"
                       " \"status\":{\"token\":\"tok-$1-$PLUGIN_ENV-$n\"" +
                       (expiry.empty() ? "" : ",\"expirationTimestamp\":\"" + expiry + "\"") +
                       "}}\n"
                       "EOF\n",
                   true);
}

int runs(const ScratchDir& dir) {
  std::string text;
  std::ifstream in(dir.path() + "/count");
  int n = 0;
  while (std::getline(in, text)) ++n;
  return n;
}

TEST(ExecCredentialTest, RunsWithArgsAndEnv) {
  ScratchDir dir;
  ExecConfig config{kV1, counting_plugin(dir, ""), {"alpha"}, {{"PLUGIN_ENV", "beta"}}};
  auto cred = run_exec_plugin(config);
  ASSERT_TRUE(cred.ok()) << cred.status().to_string();
  EXPECT_EQ(cred->token, "tok-alpha-beta-1");
  EXPECT_FALSE(cred->expiry.has_value());
}

TEST(ExecCredentialTest, SeesExecInfo) {
  ScratchDir dir;
  std::string plugin = dir.write("info.sh",
                                 "#!/bin/sh\n"
                                 "case \"$KUBERNETES_EXEC_INFO\" in *ExecCredential*) t=ok;; *) t=missing;; esac\n"
                                 "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":"
                                 "\"ExecCredential\",\"status\":{\"token\":\"'$t'\"}}'\n",
                                 true);
  auto cred = run_exec_plugin({"client.authentication.k8s.io/v1beta1", plugin, {}, {}});
  ASSERT_TRUE(cred.ok()) << cred.status().to_string();
  EXPECT_EQ(cred->token, "ok");
}

TEST(ExecCredentialTest, CachesUntilExpiryThenRefreshes) {
  ScratchDir dir;
  // Valid for an hour: cached.
  ExecCredentialProvider lasting(
      {kV1,
       counting_plugin(dir, rfc3339(std::chrono::system_clock::now() + std::chrono::hours(1))),
       {"a"},
       {{"PLUGIN_ENV", "b"}}});
  for (int i = 0; i < 3; ++i) {
    auto cred = lasting.get();
    ASSERT_TRUE(cred.ok()) << cred.status().to_string();
    EXPECT_EQ(cred->token, "tok-a-b-1");
  }
  EXPECT_EQ(runs(dir), 1);
  lasting.invalidate();
  ASSERT_TRUE(lasting.get().ok());
  EXPECT_EQ(runs(dir), 2);

  // Already (nearly) expired: every get() runs the plugin again.
  ScratchDir dir2;
  ExecCredentialProvider expiring(
      {kV1,
       counting_plugin(dir2, rfc3339(std::chrono::system_clock::now() + std::chrono::seconds(2))),
       {"a"},
       {{"PLUGIN_ENV", "b"}}});
  auto first = expiring.get();
  auto second = expiring.get();
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->token, "tok-a-b-1");
  EXPECT_EQ(second->token, "tok-a-b-2");
  EXPECT_EQ(runs(dir2), 2);
}

TEST(ExecCredentialTest, FailureShowsExitCodeAndStderrButNotStdout) {
  ScratchDir dir;
  std::string plugin = dir.write("fail.sh", "#!/bin/sh\necho super-secret\necho 'login expired' >&2\nexit 3\n", true);
  auto cred = run_exec_plugin({kV1, plugin, {}, {}});
  ASSERT_FALSE(cred.ok());
  EXPECT_NE(cred.status().message().find("exit code 3"), std::string::npos);
  EXPECT_NE(cred.status().message().find("login expired"), std::string::npos);
  EXPECT_EQ(cred.status().message().find("super-secret"), std::string::npos);
}

TEST(ExecCredentialTest, MissingCommand) {
  auto cred = run_exec_plugin({kV1, "/no/such/plugin", {}, {}});
  ASSERT_FALSE(cred.ok());
  EXPECT_NE(cred.status().message().find("exit code 127"), std::string::npos);
}

TEST(ExecCredentialTest, Timeout) {
  ScratchDir dir;
  std::string plugin = dir.write("slow.sh", "#!/bin/sh\nexec sleep 10\n", true);
  auto start = std::chrono::steady_clock::now();
  auto cred = run_exec_plugin({kV1, plugin, {}, {}}, std::chrono::milliseconds(300));
  ASSERT_FALSE(cred.ok());
  EXPECT_TRUE(cred.status().is(Reason::kTimeout));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(ExecCredentialTest, ParseErrors) {
  EXPECT_FALSE(parse_exec_credential("not json", kV1).ok());
  EXPECT_FALSE(parse_exec_credential(R"({"kind":"Other"})", kV1).ok());
  EXPECT_FALSE(parse_exec_credential(R"({"kind":"ExecCredential","apiVersion":"x","status":{"token":"t"}})", kV1).ok());
  EXPECT_FALSE(parse_exec_credential(
                   R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{}})", kV1)
                   .ok());
  auto bad_time = parse_exec_credential(
      R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"t","expirationTimestamp":"soon"}})",
      kV1);
  ASSERT_FALSE(bad_time.ok());
  EXPECT_NE(bad_time.status().message().find("not RFC 3339"), std::string::npos);
  auto certs = parse_exec_credential(
      R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"clientCertificateData":"C","clientKeyData":"K","expirationTimestamp":"2030-01-02T03:04:05.123+01:00"}})",
      kV1);
  ASSERT_TRUE(certs.ok()) << certs.status().to_string();
  EXPECT_EQ(certs->client_cert_pem, "C");
  EXPECT_EQ(certs->client_key_pem, "K");
  ASSERT_TRUE(certs->expiry.has_value());
  EXPECT_EQ(rfc3339(*certs->expiry), "2030-01-02T02:04:05Z");
}

}  // namespace
}  // namespace ferry::kube
