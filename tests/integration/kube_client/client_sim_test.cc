// kube::Client against the real simulator over HTTPS, plus a tiny broken HTTP server.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "kube/client/client.h"
#include "kube/client/kubeconfig.h"
#include "tests/support/sim_fixture.h"

namespace ferry::kube {
namespace {

class ClientSim : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sim.ok()) << sim.error();
    auto loaded = load_kubeconfig({sim.kubeconfig()});
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
    config = *loaded;
    ClientOptions options;
    options.qps = 0;
    auto connected = Client::connect(config, options);
    ASSERT_TRUE(connected.ok()) << connected.status().to_string();
    client = *connected;
  }

  static Json config_map(const std::string& name, const std::string& value = "v") {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", "default"}}},
            {"data", {{"key", value}}}};
  }

  ferry::testing::SimProcess sim{true};
  RestConfig config;
  std::shared_ptr<Client> client;
};

TEST_F(ClientSim, CrudRoundTrip) {
  auto created = client->create(config_map("crud"));
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  ObjectRef ref{"v1", "ConfigMap", "default", "crud"};
  auto got = client->get(ref);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ((*got)["data"]["key"], "v");

  Json changed = *got;
  changed["data"]["key"] = "updated";
  auto updated = client->update(changed);
  ASSERT_TRUE(updated.ok()) << updated.status().to_string();
  EXPECT_EQ((*updated)["data"]["key"], "updated");

  ASSERT_TRUE(client->merge_patch(ref, {{"data", {{"merged", "yes"}}}}).ok());
  ASSERT_TRUE(client->json_patch(ref, Json::array({{{"op", "add"}, {"path", "/data/jp"}, {"value", "1"}}})).ok());
  auto applied = client->apply(config_map("crud", "applied"), {"ferry-test", true, false});
  ASSERT_TRUE(applied.ok()) << applied.status().to_string();
  EXPECT_EQ((*applied)["data"]["key"], "applied");
  EXPECT_EQ((*applied)["data"]["merged"], "yes");
  EXPECT_EQ((*applied)["data"]["jp"], "1");

  auto listed = client->list({"v1", "ConfigMap", "default", ""});
  ASSERT_TRUE(listed.ok()) << listed.status().to_string();
  bool seen = false;
  for (const auto& item : (*listed)["items"]) seen = seen || item["metadata"]["name"] == "crud";
  EXPECT_TRUE(seen);

  Status removed = client->remove(ref, {"Background", "", "", false});
  ASSERT_TRUE(removed.ok()) << removed.to_string();
  EXPECT_TRUE(client->get(ref).status().is(Reason::kNotFound));
}

TEST_F(ClientSim, ListPagesThroughEverything) {
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(client->apply(config_map("page-" + std::to_string(i))).ok());
  auto listed = client->list({"v1", "ConfigMap", "default", ""}, {"", "", 4});
  ASSERT_TRUE(listed.ok()) << listed.status().to_string();
  std::set<std::string> names;
  for (const auto& item : (*listed)["items"]) names.insert(item["metadata"]["name"].get<std::string>());
  for (int i = 0; i < 25; ++i) EXPECT_TRUE(names.count("page-" + std::to_string(i)));
}

TEST_F(ClientSim, WatchSeesChangesAndStopsWhenAsked) {
  auto listed = client->list({"v1", "ConfigMap", "default", ""});
  ASSERT_TRUE(listed.ok()) << listed.status().to_string();
  std::string rv = (*listed)["metadata"].value("resourceVersion", "");
  std::mutex mu;
  std::vector<std::string> seen;
  Result<std::string> result = Status::Internal("not run");
  std::thread watcher([&] {
    WatchOptions options;
    options.label_selector = "watched=yes";
    options.resource_version = rv;
    result = client->watch({"v1", "ConfigMap", "default", ""}, options, [&](const WatchEvent& e) {
      if (e.type == "BOOKMARK") return true;
      std::lock_guard<std::mutex> lock(mu);
      seen.push_back(e.type + " " + e.object["metadata"].value("name", ""));
      return e.type != "DELETED";
    });
  });
  Json labelled = config_map("w1");
  labelled["metadata"]["labels"] = {{"watched", "yes"}};
  ASSERT_TRUE(client->apply(config_map("unlabelled")).ok());
  ASSERT_TRUE(client->apply(labelled).ok());
  labelled["data"]["key"] = "changed";
  ASSERT_TRUE(client->apply(labelled).ok());
  ASSERT_TRUE(client->remove({"v1", "ConfigMap", "default", "w1"}).ok());
  auto start = std::chrono::steady_clock::now();
  watcher.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED w1", "MODIFIED w1", "DELETED w1"}));
}

TEST_F(ClientSim, WatchFromExpiredVersionIsGone) {
  ASSERT_TRUE(client->apply(config_map("old")).ok());
  auto listed = client->list({"v1", "ConfigMap", "default", ""});
  ASSERT_TRUE(listed.ok());
  std::string rv = (*listed)["metadata"].value("resourceVersion", "");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->apply(config_map("old", std::to_string(i))).ok());
  sim.sim_post("/sim/faults", R"({"expireWatchHistory":true})");
  WatchOptions options;
  options.resource_version = rv;
  options.timeout_seconds = 2;
  auto result = client->watch({"v1", "ConfigMap", "default", ""}, options, [](const WatchEvent&) { return true; });
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().is(Reason::kGone)) << result.status().to_string();
}

TEST_F(ClientSim, TypedErrors) {
  auto missing = client->get({"v1", "ConfigMap", "default", "nope"});
  EXPECT_TRUE(missing.status().is(Reason::kNotFound)) << missing.status().to_string();

  ASSERT_TRUE(client->create(config_map("dup")).ok());
  auto again = client->create(config_map("dup"));
  EXPECT_TRUE(again.status().is(Reason::kAlreadyExists)) << again.status().to_string();

  auto current = client->get({"v1", "ConfigMap", "default", "dup"});
  ASSERT_TRUE(current.ok());
  Json first = *current, second = *current;
  first["data"]["key"] = "one";
  second["data"]["key"] = "two";
  ASSERT_TRUE(client->update(first).ok());
  auto stale = client->update(second);
  EXPECT_TRUE(stale.status().is(Reason::kConflict)) << stale.status().to_string();

  auto invalid = client->create(config_map("Bad_Name"));
  ASSERT_TRUE(invalid.status().is(Reason::kInvalid)) << invalid.status().to_string();
  ASSERT_FALSE(invalid.status().causes().empty());
  EXPECT_EQ(invalid.status().causes()[0].field, "metadata.name");

  auto unknown =
      client->apply({{"apiVersion", "nowhere.example/v1"}, {"kind", "Ghost"}, {"metadata", {{"name", "g"}}}});
  EXPECT_TRUE(unknown.status().is(Reason::kNotFound)) << unknown.status().to_string();
}

TEST_F(ClientSim, ThousandAppliesUnderFaultsLandExactlyOnce) {
  std::string reply = sim.sim_post("/sim/faults", R"({"errorRate":0.2,"errorStatus":500,"throttleRate":0.1,)"
                                                  R"("retryAfterSeconds":1,"verbs":["patch"],"seed":1})");
  ASSERT_FALSE(reply.empty());
  sim.sim_post("/sim/stats/reset", "{}");
  constexpr int kCount = 1000, kThreads = 8;
  std::atomic<int> next{0}, failures{0};
  std::vector<std::thread> workers;
  std::mutex mu;
  std::string first_failure;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&] {
      for (int i = next++; i < kCount; i = next++) {
        auto result = client->apply(config_map("bulk-" + std::to_string(i), "value-" + std::to_string(i)));
        if (!result.ok()) {
          ++failures;
          std::lock_guard<std::mutex> lock(mu);
          if (first_failure.empty()) first_failure = result.status().to_string();
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  sim.sim_post("/sim/faults", "{}");
  EXPECT_EQ(failures.load(), 0) << first_failure;
  // The faults really fired: about 1000 / (0.9 * 0.8) patches reached the simulator.
  Json stats = Json::parse(sim.sim_get("/sim/stats"), nullptr, false);
  ASSERT_TRUE(stats.is_object());
  int patches = stats["requests"]["patch"].value("configmaps", 0);
  EXPECT_GT(patches, 1100);
  EXPECT_LT(patches, 2000);

  auto listed = client->list({"v1", "ConfigMap", "default", ""}, {"", "", 250});
  ASSERT_TRUE(listed.ok()) << listed.status().to_string();
  std::map<std::string, std::string> seen;
  for (const auto& item : (*listed)["items"]) {
    std::string name = item["metadata"]["name"];
    if (name.rfind("bulk-", 0) != 0) continue;
    EXPECT_EQ(seen.count(name), 0u) << name;
    seen[name] = item["data"].value("key", "");
  }
  ASSERT_EQ(seen.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(seen["bulk-" + std::to_string(i)], "value-" + std::to_string(i));
  }
}

TEST_F(ClientSim, CrdThenObjectsOfItsKind) {
  // Discovery first learns example.com/v1 does not exist...
  EXPECT_TRUE(client->resource_for("example.com/v1", "Widget").status().is(Reason::kNotFound));
  Json crd = {
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata", {{"name", "widgets.example.com"}}},
      {"spec",
       {{"group", "example.com"},
        {"scope", "Namespaced"},
        {"names", {{"plural", "widgets"}, {"singular", "widget"}, {"kind", "Widget"}}},
        {"versions", Json::array({{{"name", "v1"},
                                   {"served", true},
                                   {"storage", true},
                                   {"subresources", {{"status", Json::object()}}},
                                   {"schema",
                                    {{"openAPIV3Schema",
                                      {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}}})}}}};
  auto applied = client->apply(crd);
  ASSERT_TRUE(applied.ok()) << applied.status().to_string();
  // ...and the miss refreshes it once the CRD serves.
  Result<Json> widget = Status::Internal("not tried");
  for (int attempt = 0; attempt < 20; ++attempt) {
    widget = client->apply({{"apiVersion", "example.com/v1"},
                            {"kind", "Widget"},
                            {"metadata", {{"name", "w1"}, {"namespace", "default"}}},
                            {"spec", {{"size", "large"}}}});
    if (widget.ok() || !widget.status().is(Reason::kNotFound)) break;
  }
  ASSERT_TRUE(widget.ok()) << widget.status().to_string();
  auto info = client->resource_for("example.com/v1", "Widget");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->plural, "widgets");
  EXPECT_TRUE(info->namespaced);
  EXPECT_TRUE(info->has_status);
  Json with_status = *widget;
  with_status["status"] = {{"phase", "Ready"}};
  auto status_updated = client->update_status(with_status);
  ASSERT_TRUE(status_updated.ok()) << status_updated.status().to_string();
  auto got = client->get({"example.com/v1", "Widget", "default", "w1"});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["status"]["phase"], "Ready");
}

TEST_F(ClientSim, WrongTokenIsUnauthorized) {
  RestConfig wrong = config;
  wrong.token = "0000";
  auto other = Client::connect(wrong);
  ASSERT_TRUE(other.ok());
  auto result = (*other)->get({"v1", "ConfigMap", "default", "x"});
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().is(Reason::kUnauthorized)) << result.status().to_string();
  EXPECT_EQ(result.status().message().find(config.token), std::string::npos);
}

TEST_F(ClientSim, ClientCertificateAuthenticates) {
  auto loaded = load_kubeconfig({sim.client_cert_kubeconfig()});
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_TRUE(loaded->token.empty());
  ASSERT_FALSE(loaded->client_cert_pem.empty());
  auto with_cert = Client::connect(*loaded);
  ASSERT_TRUE(with_cert.ok()) << with_cert.status().to_string();
  auto created = (*with_cert)->create(config_map("by-cert"));
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  // The same kubeconfig without its certificate is refused: the certificate did the work.
  RestConfig anonymous = *loaded;
  anonymous.client_cert_pem.clear();
  anonymous.client_key_pem.clear();
  auto without = Client::connect(anonymous);
  ASSERT_TRUE(without.ok());
  EXPECT_TRUE((*without)->get({"v1", "ConfigMap", "default", "by-cert"}).status().is(Reason::kUnauthorized));
  // Real kubectl agrees.
  auto listed = ferry::testing::run_command(
      {ferry::testing::kubectl_bin(), "--kubeconfig", sim.client_cert_kubeconfig(), "get", "configmap", "by-cert"},
      {{"HOME", sim.dir().path()}});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
}

TEST_F(ClientSim, TokenFileIsReadAndReRead) {
  std::string path = sim.dir().write("token", "bad-token\n");
  RestConfig from_file = config;
  from_file.token = "";
  from_file.token_file = path;
  auto other = Client::connect(from_file);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE((*other)->resource_for("v1", "ConfigMap").status().is(Reason::kUnauthorized));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a distinct mtime
  sim.dir().write("token", config.token + "\n");
  auto info = (*other)->resource_for("v1", "ConfigMap");
  EXPECT_TRUE(info.ok()) << info.status().to_string();
}

TEST_F(ClientSim, ExecPluginSuppliesTheToken) {
  std::string plugin = sim.dir().write("plugin.sh",
                                       "#!/bin/sh\necho run >> \"$COUNT_FILE\"\n"
                                       "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
                                       "\"ExecCredential\",\"status\":{\"token\":\"'\"$1\"'\"}}'\n");
  ASSERT_EQ(chmod(plugin.c_str(), 0755), 0);
  RestConfig exec = config;
  exec.token = "";
  exec.exec = {"client.authentication.k8s.io/v1", plugin, {sim.token()}, {{"COUNT_FILE", sim.dir().file("count")}}};
  auto other = Client::connect(exec);
  ASSERT_TRUE(other.ok());
  for (int i = 0; i < 3; ++i) {
    auto result = (*other)->get({"v1", "ConfigMap", "default", "absent"});
    EXPECT_TRUE(result.status().is(Reason::kNotFound)) << result.status().to_string();
  }
  std::string count = ferry::testing::read_file(sim.dir().file("count"));
  EXPECT_EQ(std::count(count.begin(), count.end(), '\n'), 1);  // cached: no expiry given
}

TEST_F(ClientSim, TlsServerNameMismatchIsAClearError) {
  RestConfig wrong = config;
  wrong.tls_server_name = "wrong.example";
  auto other = Client::connect(wrong);
  ASSERT_TRUE(other.ok());
  auto result = (*other)->get({"v1", "ConfigMap", "default", "x"});
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().is(Reason::kUnavailable)) << result.status().to_string();
  EXPECT_NE(result.status().message().find("TLS handshake"), std::string::npos) << result.status().message();
  EXPECT_NE(result.status().message().find("wrong.example"), std::string::npos) << result.status().message();
  EXPECT_NE(result.status().message().find("hostname mismatch"), std::string::npos) << result.status().message();
}

TEST_F(ClientSim, UntrustedCaIsAClearError) {
  RestConfig untrusted = config;
  untrusted.ca_pem = "";
  auto other = Client::connect(untrusted);
  ASSERT_TRUE(other.ok());
  auto result = (*other)->get({"v1", "ConfigMap", "default", "x"});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("TLS handshake"), std::string::npos) << result.status().message();
  EXPECT_NE(result.status().message().find("certificate"), std::string::npos) << result.status().message();
}

TEST(ClientConfig, BrokenCaPemIsNamed) {
  RestConfig config;
  config.server = "https://127.0.0.1:1";
  config.ca_pem = "-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n";
  auto client = Client::connect(config);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().message(), "REST config: certificate authority is not valid PEM");
}

TEST(ClientConfig, ConnectionRefusedIsUnavailable) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);  // nothing listens on this port now
  RestConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  ClientOptions options;
  options.max_retries = 1;
  options.backoff_base = std::chrono::milliseconds(1);
  auto client = Client::connect(config, options);
  ASSERT_TRUE(client.ok());
  auto result = (*client)->get({"v1", "ConfigMap", "default", "x"});
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().is(Reason::kUnavailable)) << result.status().to_string();
}

// A one-thread HTTP/1.1 server that answers /api/v1 with discovery and everything else with
// `broken` (a raw response), closing each connection after one reply.
class BrokenServer {
 public:
  explicit BrokenServer(std::string broken) : broken_(std::move(broken)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(fd_, 16);
    thread_ = std::thread([this] { serve(); });
  }
  ~BrokenServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void serve() {
    while (!stop_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      std::string reply;
      if (request.rfind("GET /api/v1 ", 0) == 0) {
        std::string body =
            R"({"kind":"APIResourceList","resources":[{"name":"configmaps","kind":"ConfigMap","namespaced":true}]})";
        reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body;
      } else {
        reply = broken_;
      }
      ssize_t ignored = write(c, reply.data(), reply.size());
      (void)ignored;
      shutdown(c, SHUT_WR);
      close(c);
    }
  }

  std::string broken_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

Result<Json> get_from(const std::string& url) {
  RestConfig config;
  config.server = url;
  ClientOptions options;
  options.max_retries = 1;
  options.backoff_base = std::chrono::milliseconds(1);
  TransportOptions transport;
  transport.timeout = std::chrono::seconds(5);
  auto client = Client::connect(config, options, transport);
  if (!client.ok()) return client.status();
  return (*client)->get({"v1", "ConfigMap", "default", "x"});
}

TEST(ClientBrokenServer, TruncatedJsonBodyIsAnError) {
  std::string body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"na)";
  BrokenServer server("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body);
  auto result = get_from(server.url());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("not valid JSON"), std::string::npos) << result.status().to_string();
}

TEST(ClientBrokenServer, ConnectionClosedMidBodyIsAnError) {
  BrokenServer server(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 500\r\n\r\n"
      R"({"apiVersion":"v1",)");
  auto result = get_from(server.url());
  ASSERT_FALSE(result.ok());
  EXPECT_FALSE(result.status().message().empty());
}

TEST(ClientBrokenServer, GarbageStatusLineIsAnError) {
  BrokenServer server("this is not HTTP\r\n\r\n");
  auto result = get_from(server.url());
  ASSERT_FALSE(result.ok());
}

}  // namespace
}  // namespace ferry::kube
