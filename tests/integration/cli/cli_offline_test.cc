// `ferry` client commands where no Ferry API answers: usage errors, unreachable servers, TLS
// verification against the simulator's HTTPS port, and `version` without a server.
#include <nlohmann/json.hpp>

#include "tests/integration/cli/cli_fixture.h"

namespace ferry::testing {
namespace {

TEST_F(CliTest, VersionWithoutAServerPrintsTheClientLineOnly) {
  auto r = ferry({"version"});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(r.out, "ferry 0.1.0\n");
  auto client = ferry({"version", "--client", "-o", "json"});
  ASSERT_EQ(client.exit_code, 0) << show(client);
  EXPECT_EQ(nlohmann::json::parse(client.out)["client"]["Version"], "0.1.0");
}

TEST_F(CliTest, WithoutAServerTheErrorSaysHowToNameOne) {
  auto r = ferry({"app", "list"});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_NE(r.err.find("ferry login"), std::string::npos) << show(r);
  EXPECT_TRUE(r.out.empty());
}

TEST_F(CliTest, AnUnreachableServerIsAClearError) {
  std::string port = std::to_string(free_loopback_port());
  auto r = ferry({"app", "list", "--server", "127.0.0.1:" + port});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_NE(r.err.find("cannot reach https://127.0.0.1:" + port + ": connection refused"), std::string::npos) << show(r);

  auto plain = ferry({"app", "get", "web", "--plaintext"}, {{"FERRY_SERVER", "127.0.0.1:" + port}});
  EXPECT_EQ(plain.exit_code, 1) << show(plain);
  EXPECT_NE(plain.err.find("cannot reach http://127.0.0.1:" + port), std::string::npos) << show(plain);

  auto login = ferry({"login", "127.0.0.1:" + port, "--username", "admin"}, {}, "pw\n");
  EXPECT_EQ(login.exit_code, 1) << show(login);
  EXPECT_NE(login.err.find("connection refused"), std::string::npos) << show(login);
  EXPECT_EQ(mode_of(config_file()), 0u) << "a failed login wrote " << config_file();

  // A configured but unreachable server: version still prints its own line first.
  auto version = ferry({"version", "--server", "127.0.0.1:" + port});
  EXPECT_EQ(version.exit_code, 1) << show(version);
  EXPECT_EQ(version.out, "ferry 0.1.0\n");
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  std::vector<std::vector<std::string>> cases = {
      {"app", "sync", "web", "--resource", "Deployment:web", "--server", "127.0.0.1:1"},
      {"app", "sync", "web", "--timeout", "soon", "--server", "127.0.0.1:1"},
      {"app", "list", "-o", "xml"},
      {"app", "set", "web", "--server", "127.0.0.1:1"},
      {"app", "create", "web", "--sync-policy", "sometimes", "--server", "127.0.0.1:1"},
      {"app", "create", "web", "--auto-prune", "--server", "127.0.0.1:1"},
      {"app", "create", "web", "--helm-set", "novalue", "--server", "127.0.0.1:1"},
      {"app", "get"},
      {"app", "frobnicate"},
      {"account", "generate-token", "--expires-in", "soon", "--server", "127.0.0.1:1"},
      {"login", "ftp://example.com", "--username", "a", "--password", "b"},
      {"login", "https://127.0.0.1:1", "--plaintext", "--username", "a", "--password", "b"},
  };
  for (const auto& args : cases) {
    auto r = ferry(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << show(r);
    EXPECT_FALSE(r.err.empty()) << joined;
  }
}

TEST_F(CliTest, LoginWithoutATerminalNeedsAUsernameAndReadsThePasswordFromStdin) {
  auto r = ferry({"login", "127.0.0.1:1"}, {}, "");
  EXPECT_EQ(r.exit_code, 2) << show(r);
  EXPECT_NE(r.err.find("--username"), std::string::npos) << show(r);
  auto no_password = ferry({"login", "127.0.0.1:1", "--username", "admin"}, {}, "");
  EXPECT_EQ(no_password.exit_code, 2) << show(no_password);
  EXPECT_NE(no_password.err.find("password"), std::string::npos) << show(no_password);
}

TEST_F(CliTest, AnUnverifiableCertificateIsRefusedUntilInsecure) {
  SimProcess sim(true, 100);  // HTTPS with its own CA: a stand-in for a server with a private certificate
  ASSERT_TRUE(sim.ok()) << sim.error();
  std::string server = sim.url().substr(std::string("https://").size());
  auto strict = ferry({"login", server, "--username", "admin", "--password", "x"});
  EXPECT_EQ(strict.exit_code, 1) << show(strict);
  EXPECT_NE(strict.err.find("cannot verify the TLS certificate"), std::string::npos) << show(strict);
  EXPECT_NE(strict.err.find("--insecure"), std::string::npos) << show(strict);
  EXPECT_EQ(strict.err.find("x\n"), std::string::npos);

  // With --insecure the request goes through; the simulator is no Ferry server, so the answer
  // is an error with its message — but not a TLS one.
  auto insecure = ferry({"login", server, "--insecure", "--username", "admin", "--password", "x"});
  EXPECT_EQ(insecure.exit_code, 1) << show(insecure);
  EXPECT_EQ(insecure.err.find("TLS"), std::string::npos) << show(insecure);
  EXPECT_EQ(mode_of(config_file()), 0u);
}

TEST_F(CliTest, LogoutWhenNotLoggedIn) {
  auto r = ferry({"logout"});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(r.out, "Not logged in\n");
}

}  // namespace
}  // namespace ferry::testing
