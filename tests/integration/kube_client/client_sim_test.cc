// kube::Client against the real simulator over HTTPS, plus a tiny broken HTTP server.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <set>
#include <thread>

#include "kube/client/client.h"
#include "kube/client/kubeconfig.h"
#include "kube/client/transport.h"
#include "tests/support/sim_fixture.h"

namespace ferry::kube {
namespace {

std::string engine_name(const ::testing::TestParamInfo<TransportEngine>& info) {
  return info.param == TransportEngine::kBeast ? "Beast" : "Cpprest";
}

// Every test runs on both HTTP engines.
class ClientSim : public ::testing::TestWithParam<TransportEngine> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sim.ok()) << sim.error();
    auto loaded = load_kubeconfig({sim.kubeconfig()});
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
    config = *loaded;
    ClientOptions options;
    options.qps = 0;
    auto connected = connect(config, options);
    ASSERT_TRUE(connected.ok()) << connected.status().to_string();
    client = *connected;
  }

  Result<std::shared_ptr<Client>> connect(const RestConfig& rest, ClientOptions options = {}) const {
    TransportOptions transport;
    transport.engine = GetParam();
    return Client::connect(rest, options, transport);
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

TEST_P(ClientSim, CrudRoundTrip) {
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

TEST_P(ClientSim, ListPagesThroughEverything) {
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(client->apply(config_map("page-" + std::to_string(i))).ok());
  auto listed = client->list({"v1", "ConfigMap", "default", ""}, {"", "", 4});
  ASSERT_TRUE(listed.ok()) << listed.status().to_string();
  std::set<std::string> names;
  for (const auto& item : (*listed)["items"]) names.insert(item["metadata"]["name"].get<std::string>());
  for (int i = 0; i < 25; ++i) EXPECT_TRUE(names.count("page-" + std::to_string(i)));
}

TEST_P(ClientSim, WatchSeesChangesAndStopsWhenAsked) {
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

TEST_P(ClientSim, WatchFromExpiredVersionIsGone) {
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

TEST_P(ClientSim, TypedErrors) {
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

TEST_P(ClientSim, ThousandAppliesUnderFaultsLandExactlyOnce) {
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

TEST_P(ClientSim, CrdThenObjectsOfItsKind) {
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

TEST_P(ClientSim, WrongTokenIsUnauthorized) {
  RestConfig wrong = config;
  wrong.token = "0000";
  auto other = connect(wrong);
  ASSERT_TRUE(other.ok());
  auto result = (*other)->get({"v1", "ConfigMap", "default", "x"});
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().is(Reason::kUnauthorized)) << result.status().to_string();
  EXPECT_EQ(result.status().message().find(config.token), std::string::npos);
}

TEST_P(ClientSim, ClientCertificateAuthenticates) {
  auto loaded = load_kubeconfig({sim.client_cert_kubeconfig()});
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_TRUE(loaded->token.empty());
  ASSERT_FALSE(loaded->client_cert_pem.empty());
  auto with_cert = connect(*loaded);
  ASSERT_TRUE(with_cert.ok()) << with_cert.status().to_string();
  auto created = (*with_cert)->create(config_map("by-cert"));
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  // The same kubeconfig without its certificate is refused: the certificate did the work.
  RestConfig anonymous = *loaded;
  anonymous.client_cert_pem.clear();
  anonymous.client_key_pem.clear();
  auto without = connect(anonymous);
  ASSERT_TRUE(without.ok());
  EXPECT_TRUE((*without)->get({"v1", "ConfigMap", "default", "by-cert"}).status().is(Reason::kUnauthorized));
  // Real kubectl agrees.
  auto listed = ferry::testing::run_command(
      {ferry::testing::kubectl_bin(), "--kubeconfig", sim.client_cert_kubeconfig(), "get", "configmap", "by-cert"},
      {{"HOME", sim.dir().path()}});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
}

TEST_P(ClientSim, TokenFileIsReadAndReRead) {
  std::string path = sim.dir().write("token", "bad-token\n");
  RestConfig from_file = config;
  from_file.token = "";
  from_file.token_file = path;
  auto other = connect(from_file);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE((*other)->resource_for("v1", "ConfigMap").status().is(Reason::kUnauthorized));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a distinct mtime
  sim.dir().write("token", config.token + "\n");
  auto info = (*other)->resource_for("v1", "ConfigMap");
  EXPECT_TRUE(info.ok()) << info.status().to_string();
}

TEST_P(ClientSim, ExecPluginSuppliesTheToken) {
  std::string plugin = sim.dir().write("plugin.sh",
                                       "#!/bin/sh\necho run >> \"$COUNT_FILE\"\n"
                                       "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
                                       "\"ExecCredential\",\"status\":{\"token\":\"'\"$1\"'\"}}'\n");
  ASSERT_EQ(chmod(plugin.c_str(), 0755), 0);
  RestConfig exec = config;
  exec.token = "";
  exec.exec = {"client.authentication.k8s.io/v1", plugin, {sim.token()}, {{"COUNT_FILE", sim.dir().file("count")}}};
  auto other = connect(exec);
  ASSERT_TRUE(other.ok());
  for (int i = 0; i < 3; ++i) {
    auto result = (*other)->get({"v1", "ConfigMap", "default", "absent"});
    EXPECT_TRUE(result.status().is(Reason::kNotFound)) << result.status().to_string();
  }
  std::string count = ferry::testing::read_file(sim.dir().file("count"));
  EXPECT_EQ(std::count(count.begin(), count.end(), '\n'), 1);  // cached: no expiry given
}

TEST_P(ClientSim, TlsServerNameMismatchIsAClearError) {
  RestConfig wrong = config;
  wrong.tls_server_name = "wrong.example";
  auto other = connect(wrong);
  ASSERT_TRUE(other.ok());
  auto result = (*other)->get({"v1", "ConfigMap", "default", "x"});
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().is(Reason::kUnavailable)) << result.status().to_string();
  EXPECT_NE(result.status().message().find("TLS handshake"), std::string::npos) << result.status().message();
  EXPECT_NE(result.status().message().find("wrong.example"), std::string::npos) << result.status().message();
  EXPECT_NE(result.status().message().find("hostname mismatch"), std::string::npos) << result.status().message();
}

TEST_P(ClientSim, CertificateIsVerifiedAgainstTheNameUsed) {
  // The simulator's certificate names IP:127.0.0.1, localhost and kubernetes.default.svc.
  RestConfig by_name = config;
  by_name.server.replace(by_name.server.find("127.0.0.1"), 9, "localhost");
  RestConfig by_server_name = config;
  by_server_name.tls_server_name = "kubernetes.default.svc";
  for (const RestConfig* rest : {&by_name, &by_server_name}) {
    auto other = connect(*rest);
    ASSERT_TRUE(other.ok());
    auto result = (*other)->get({"v1", "ConfigMap", "default", "absent"});
    EXPECT_TRUE(result.status().is(Reason::kNotFound)) << rest->server << ": " << result.status().to_string();
  }
}

TEST_P(ClientSim, UntrustedCaIsAClearError) {
  RestConfig untrusted = config;
  untrusted.ca_pem = "";
  auto other = connect(untrusted);
  ASSERT_TRUE(other.ok());
  auto result = (*other)->get({"v1", "ConfigMap", "default", "x"});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("TLS handshake"), std::string::npos) << result.status().message();
  EXPECT_NE(result.status().message().find("certificate"), std::string::npos) << result.status().message();
}

INSTANTIATE_TEST_SUITE_P(Engines, ClientSim, ::testing::Values(TransportEngine::kBeast, TransportEngine::kCpprest),
                         engine_name);

TEST(ClientConfig, BrokenCaPemIsNamed) {
  RestConfig config;
  config.server = "https://127.0.0.1:1";
  config.ca_pem = "-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n";
  auto client = Client::connect(config);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().message(), "REST config: certificate authority is not valid PEM");
}

// A loopback port nothing listens on.
int closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class ClientEngine : public ::testing::TestWithParam<TransportEngine> {};

TEST_P(ClientEngine, ConnectionRefusedIsUnavailable) {
  RestConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(closed_port());
  ClientOptions options;
  options.max_retries = 1;
  options.backoff_base = std::chrono::milliseconds(1);
  TransportOptions transport;
  transport.engine = GetParam();
  auto client = Client::connect(config, options, transport);
  ASSERT_TRUE(client.ok());
  auto result = (*client)->get({"v1", "ConfigMap", "default", "x"});
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().is(Reason::kUnavailable)) << result.status().to_string();
  ASSERT_EQ(result.status().causes().size(), 1u) << result.status().to_string();
  EXPECT_EQ(result.status().causes()[0].reason, "ConnectionRefused");
}

TEST(ClientConfig, ServerUrlIsChecked) {
  for (std::string bad : {"https://", "https://host:", "https://host:99999", "https://[::1", "https://a b",
                          "https://host/x?y", "ftp://host"}) {
    RestConfig config;
    config.server = bad;
    auto client = Client::connect(config);
    ASSERT_FALSE(client.ok()) << bad;
    EXPECT_TRUE(client.status().is(Reason::kInvalid)) << client.status().to_string();
  }
  for (std::string good : {"https://host", "http://10.0.0.1:8080/prefix/", "https://[::1]:6443", "https://a.b-c:1"}) {
    RestConfig config;
    config.server = good;
    EXPECT_TRUE(Client::connect(config).ok()) << good;
  }
}

// A loopback HTTP/1.1 server driven by a script, one thread per connection. For each request
// the script says what bytes to send and what to do next; requests are recorded as received.
class ScriptedServer {
 public:
  enum class Then { kClose, kKeepAlive, kHang };  // kHang: wait until the client goes away
  struct Reply {
    std::string bytes;
    Then then = Then::kClose;
  };
  // `connection` counts accepted connections from 0; `index` counts requests on that connection.
  using Script = std::function<Reply(const std::string& request, int connection, int index)>;

  explicit ScriptedServer(Script script) : script_(std::move(script)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(listen_fd_, 64);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    acceptor_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : fds_) shutdown(fd, SHUT_RDWR);  // wakes connections waiting in read
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
    for (int fd : fds_) close(fd);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(fds_.size());
  }
  std::vector<std::string> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  static std::string ok(const std::string& body, bool keep_alive = true, const std::string& extra_headers = "") {
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra_headers +
           (keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n") +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  static std::string chunk(const std::string& data) {
    char size[16];
    snprintf(size, sizeof size, "%zx", data.size());
    return std::string(size) + "\r\n" + data + "\r\n";
  }
  static constexpr const char* kChunkedHead =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

 private:
  void accept_loop() {
    while (!stop_) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard<std::mutex> lock(mu_);
      int connection = static_cast<int>(fds_.size());
      fds_.push_back(fd);
      threads_.emplace_back([this, fd, connection] { serve(fd, connection); });
    }
  }

  void serve(int fd, int connection) {
    std::string buffered;
    char buf[4096];
    for (int index = 0;; ++index) {
      size_t head_end;
      while ((head_end = buffered.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) return;
        buffered.append(buf, static_cast<size_t>(n));
      }
      size_t length = 0;
      std::string head = buffered.substr(0, head_end);
      for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (auto at = head.find("content-length:"); at != std::string::npos) length = std::stoul(head.substr(at + 15));
      while (buffered.size() < head_end + 4 + length) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) return;
        buffered.append(buf, static_cast<size_t>(n));
      }
      std::string request = buffered.substr(0, head_end + 4 + length);
      buffered.erase(0, request.size());
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(request);
      }
      Reply reply = script_(request, connection, index);
      if (!reply.bytes.empty() && write(fd, reply.bytes.data(), reply.bytes.size()) < 0) return;
      if (reply.then == Then::kKeepAlive) continue;
      if (reply.then == Then::kHang) {
        while (!stop_ && read(fd, buf, sizeof buf) > 0) {
        }
      }
      shutdown(fd, SHUT_RDWR);
      return;
    }
  }

  Script script_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<int> fds_;               // guarded by mu_; closed in the destructor
  std::vector<std::thread> threads_;   // guarded by mu_
  std::vector<std::string> requests_;  // guarded by mu_
};

// A server that answers /api/v1 with discovery and everything else with `broken` (raw bytes),
// closing each connection after one reply.
ScriptedServer::Script broken_server(std::string broken) {
  return [broken](const std::string& request, int, int) {
    if (request.rfind("GET /api/v1 ", 0) == 0) {
      return ScriptedServer::Reply{ScriptedServer::ok(R"({"kind":"APIResourceList","resources":[)"
                                                      R"({"name":"configmaps","kind":"ConfigMap","namespaced":true}]})",
                                                      false)};
    }
    return ScriptedServer::Reply{broken};
  };
}

Result<Json> get_from(const std::string& url, TransportEngine engine) {
  RestConfig config;
  config.server = url;
  ClientOptions options;
  options.max_retries = 1;
  options.backoff_base = std::chrono::milliseconds(1);
  TransportOptions transport;
  transport.timeout = std::chrono::seconds(5);
  transport.engine = engine;
  auto client = Client::connect(config, options, transport);
  if (!client.ok()) return client.status();
  return (*client)->get({"v1", "ConfigMap", "default", "x"});
}

class ClientBrokenServer : public ::testing::TestWithParam<TransportEngine> {};

TEST_P(ClientBrokenServer, TruncatedJsonBodyIsAnError) {
  std::string body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"na)";
  ScriptedServer server(broken_server(ScriptedServer::ok(body, false)));
  auto result = get_from(server.url(), GetParam());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("not valid JSON"), std::string::npos) << result.status().to_string();
}

TEST_P(ClientBrokenServer, ConnectionClosedMidBodyIsAnError) {
  ScriptedServer server(broken_server(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 500\r\n\r\n"
      R"({"apiVersion":"v1",)"));
  auto result = get_from(server.url(), GetParam());
  ASSERT_FALSE(result.ok());
  EXPECT_FALSE(result.status().message().empty());
}

TEST_P(ClientBrokenServer, GarbageStatusLineIsAnError) {
  ScriptedServer server(broken_server("this is not HTTP\r\n\r\n"));
  auto result = get_from(server.url(), GetParam());
  ASSERT_FALSE(result.ok());
}

TEST_P(ClientBrokenServer, ChunkedBodyCutShortIsAnError) {
  ScriptedServer server(broken_server(std::string(ScriptedServer::kChunkedHead) + ScriptedServer::chunk("{\"a\":")));
  auto result = get_from(server.url(), GetParam());
  ASSERT_FALSE(result.ok());
}

// The transport itself, on each engine, against scripted servers.
class TransportTest : public ::testing::TestWithParam<TransportEngine> {
 protected:
  std::shared_ptr<Transport> transport_for(const std::string& url,
                                           std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                           RestConfig config = {}) {
    config.server = url;
    TransportOptions options;
    options.timeout = timeout;
    options.engine = GetParam();
    auto made = make_http_transport(config, options);
    EXPECT_TRUE(made.ok()) << made.status().to_string();
    return made.ok() ? *made : nullptr;
  }
  bool beast() const { return GetParam() == TransportEngine::kBeast; }
};

// The value of header `name` (any case) in a raw request, or "(none)".
std::string header_in(const std::string& request, const std::string& name) {
  size_t pos = request.find("\r\n");
  while (pos != std::string::npos && pos + 2 < request.size()) {
    size_t end = request.find("\r\n", pos + 2);
    std::string line = request.substr(pos + 2, end - pos - 2);
    if (line.empty()) break;
    size_t colon = line.find(':');
    std::string key = line.substr(0, colon);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key == name) return line.substr(line.find_first_not_of(' ', colon + 1));
    pos = end;
  }
  return "(none)";
}

TEST_P(TransportTest, RequestHeadersPathPrefixAndLowerCasedResponseHeaders) {
  ScriptedServer server([](const std::string&, int, int) {
    return ScriptedServer::Reply{ScriptedServer::ok("{}", true, "X-Custom-Thing: Yes\r\n"),
                                 ScriptedServer::Then::kKeepAlive};
  });
  RestConfig config;
  config.username = "u";
  config.password = "p";
  auto transport = transport_for(server.url() + "/prefix/", std::chrono::seconds(10), config);
  ASSERT_TRUE(transport);
  auto response = transport->send({"POST", "/api/v1/namespaces/default/configmaps?dryRun=All", "{}", ""});
  ASSERT_TRUE(response.ok()) << response.status().to_string();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "{}");
  EXPECT_EQ(response->header("x-custom-thing"), "Yes");
  EXPECT_EQ(response->header("content-type"), "application/json");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string& r = requests[0];
  EXPECT_EQ(r.substr(0, r.find("\r\n")), "POST /prefix/api/v1/namespaces/default/configmaps?dryRun=All HTTP/1.1");
  EXPECT_EQ(header_in(r, "authorization"), "Basic dTpw");
  EXPECT_EQ(header_in(r, "content-type"), "application/json");
  EXPECT_EQ(header_in(r, "content-length"), "2");
  EXPECT_EQ(header_in(r, "accept"), "application/json");
  EXPECT_EQ(header_in(r, "user-agent"), "ferry");
  EXPECT_EQ(header_in(r, "host"), server.url().substr(7));
  EXPECT_EQ(r.substr(r.size() - 2), "{}");
}

TEST_P(TransportTest, KeepAliveConnectionIsReused) {
  if (!beast()) GTEST_SKIP() << "cpprestsdk opens a second connection early on";
  ScriptedServer server([](const std::string&, int, int) {
    return ScriptedServer::Reply{ScriptedServer::ok("{}"), ScriptedServer::Then::kKeepAlive};
  });
  auto transport = transport_for(server.url());
  ASSERT_TRUE(transport);
  for (int i = 0; i < 5; ++i) {
    auto response = transport->send({"GET", "/api/v1/x", "", ""});
    ASSERT_TRUE(response.ok()) << response.status().to_string();
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST_P(TransportTest, ServerClosingIdleConnectionsIsHandled) {
  if (!beast()) GTEST_SKIP() << "cpprestsdk fails the request: \"Failed to write request body\"";
  // The server promises keep-alive, then closes each connection right after its reply.
  ScriptedServer server([](const std::string&, int, int) { return ScriptedServer::Reply{ScriptedServer::ok("{}")}; });
  auto transport = transport_for(server.url());
  ASSERT_TRUE(transport);
  for (int i = 0; i < 3; ++i) {
    auto response = transport->send({"PATCH", "/api/v1/x", "{}", "application/merge-patch+json"});
    ASSERT_TRUE(response.ok()) << i << ": " << response.status().to_string();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(server.connections(), 3);
}

TEST_P(TransportTest, RequestOnAConnectionClosedUnderItIsResentOnce) {
  if (!beast()) GTEST_SKIP() << "cpprestsdk reports the closed connection instead of resending";
  // Each connection answers its first request and closes on the second without a byte back:
  // the race of reusing an idle connection the server is just closing.
  ScriptedServer server([](const std::string&, int, int index) {
    if (index > 0) return ScriptedServer::Reply{""};
    return ScriptedServer::Reply{ScriptedServer::ok("{}"), ScriptedServer::Then::kKeepAlive};
  });
  auto transport = transport_for(server.url());
  ASSERT_TRUE(transport);
  for (int i = 0; i < 3; ++i) {
    auto response = transport->send({"POST", "/api/v1/x", "{}", ""});
    ASSERT_TRUE(response.ok()) << i << ": " << response.status().to_string();
  }
  EXPECT_EQ(server.connections(), 3);
  EXPECT_EQ(server.requests().size(), 5u);  // two went to a connection that was closing
}

TEST_P(TransportTest, FreshConnectionClosedWithoutAnswerIsAnError) {
  ScriptedServer server([](const std::string&, int, int) { return ScriptedServer::Reply{""}; });
  auto transport = transport_for(server.url());
  ASSERT_TRUE(transport);
  auto response = transport->send({"POST", "/api/v1/x", "{}", ""});
  ASSERT_FALSE(response.ok());
  EXPECT_TRUE(response.status().is(Reason::kUnavailable)) << response.status().to_string();
  EXPECT_TRUE(response.status().causes().empty()) << "the request did arrive";
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_P(TransportTest, SlowServerTimesOut) {
  ScriptedServer server([](const std::string&, int, int) {
    return ScriptedServer::Reply{"", ScriptedServer::Then::kHang};
  });
  auto transport = transport_for(server.url(), std::chrono::seconds(1));
  ASSERT_TRUE(transport);
  auto start = std::chrono::steady_clock::now();
  auto response = transport->send({"GET", "/api/v1/x", "", ""});
  ASSERT_FALSE(response.ok());
  EXPECT_TRUE(response.status().is(Reason::kTimeout)) << response.status().to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_P(TransportTest, ConnectionRefusedSaysTheRequestNeverArrived) {
  auto transport = transport_for("http://127.0.0.1:" + std::to_string(closed_port()));
  ASSERT_TRUE(transport);
  auto response = transport->send({"POST", "/api/v1/x", "{}", ""});
  ASSERT_FALSE(response.ok());
  EXPECT_TRUE(response.status().is(Reason::kUnavailable)) << response.status().to_string();
  ASSERT_FALSE(response.status().causes().empty());
  EXPECT_EQ(response.status().causes()[0].reason, "ConnectionRefused");
}

TEST_P(TransportTest, ManyThreadsShareTheTransport) {
  ScriptedServer server([](const std::string& request, int, int) {
    std::string path = request.substr(4, request.find(' ', 4) - 4);
    return ScriptedServer::Reply{ScriptedServer::ok(R"({"path":")" + path + R"("})"), ScriptedServer::Then::kKeepAlive};
  });
  auto transport = transport_for(server.url());
  ASSERT_TRUE(transport);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        std::string path = "/api/v1/t" + std::to_string(t) + "-" + std::to_string(i);
        auto response = transport->send({"GET", path, "", ""});
        if (!response.ok() || response->body != R"({"path":")" + path + R"("})") ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(server.connections(), 32);
}

TEST_P(TransportTest, StreamEndsWithTheBodyAndKeepsAnUnterminatedLastLine) {
  ScriptedServer server([](const std::string&, int, int) {
    std::string bytes = std::string(ScriptedServer::kChunkedHead) + ScriptedServer::chunk("{\"a\":1}\n{\"b\"") +
                        ScriptedServer::chunk(":2}\n\ntail") + "0\r\n\r\n";
    return ScriptedServer::Reply{bytes, ScriptedServer::Then::kKeepAlive};
  });
  auto transport = transport_for(server.url());
  ASSERT_TRUE(transport);
  for (int round = 0; round < 2; ++round) {
    std::vector<std::string> lines;
    auto response = transport->stream(
        {"GET", "/api/v1/watch", "", ""},
        [&](const std::string& line) {
          lines.push_back(line);
          return true;
        },
        nullptr);
    ASSERT_TRUE(response.ok()) << response.status().to_string();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(lines, (std::vector<std::string>{R"({"a":1})", R"({"b":2})", "", "tail"}));
  }
  if (beast()) {
    EXPECT_EQ(server.connections(), 1) << "a cleanly ended stream gives its connection back";
  }
}

TEST_P(TransportTest, StreamStopsWhenTheCallbackSaysSo) {
  ScriptedServer server([](const std::string&, int, int) {
    std::string bytes = std::string(ScriptedServer::kChunkedHead) + ScriptedServer::chunk("one\ntwo\nthree\n");
    return ScriptedServer::Reply{bytes, ScriptedServer::Then::kHang};
  });
  auto transport = transport_for(server.url());
  ASSERT_TRUE(transport);
  std::vector<std::string> lines;
  auto response = transport->stream(
      {"GET", "/api/v1/watch", "", ""},
      [&](const std::string& line) {
        lines.push_back(line);
        return line != "two";
      },
      nullptr);
  ASSERT_TRUE(response.ok()) << response.status().to_string();
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two"}));
}

TEST_P(TransportTest, NonSuccessStreamIsReturnedWhole) {
  std::string status = R"({"kind":"Status","code":410,"reason":"Gone","message":"too old"})";
  ScriptedServer server([&](const std::string&, int, int) {
    return ScriptedServer::Reply{"HTTP/1.1 410 Gone\r\nContent-Type: application/json\r\nContent-Length: " +
                                     std::to_string(status.size()) + "\r\n\r\n" + status,
                                 ScriptedServer::Then::kKeepAlive};
  });
  auto transport = transport_for(server.url());
  ASSERT_TRUE(transport);
  bool called = false;
  auto response = transport->stream(
      {"GET", "/api/v1/watch", "", ""},
      [&](const std::string&) {
        called = true;
        return true;
      },
      nullptr);
  ASSERT_TRUE(response.ok()) << response.status().to_string();
  EXPECT_EQ(response->status, 410);
  EXPECT_EQ(response->body, status);
  EXPECT_FALSE(called);
}

TEST_P(TransportTest, CancelEndsABlockedStream) {
  ScriptedServer server([](const std::string&, int connection, int) {
    if (connection > 0) return ScriptedServer::Reply{ScriptedServer::ok("{}"), ScriptedServer::Then::kKeepAlive};
    std::string bytes = std::string(ScriptedServer::kChunkedHead) + ScriptedServer::chunk("first\n");
    return ScriptedServer::Reply{bytes, ScriptedServer::Then::kHang};  // then silence
  });
  auto transport = transport_for(server.url(), std::chrono::seconds(60));
  ASSERT_TRUE(transport);
  Cancellation cancel;
  std::atomic<bool> got_first{false};
  Result<Response> response = Status::Internal("not run");
  std::thread reader([&] {
    response = transport->stream(
        {"GET", "/api/v1/watch", "", ""},
        [&](const std::string& line) {
          got_first = line == "first";
          return true;
        },
        &cancel);
  });
  // The line arrives while the body is still open: lines are not held back.
  for (int i = 0; i < 500 && !got_first; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(got_first);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // blocked in the next read
  auto start = std::chrono::steady_clock::now();
  cancel.cancel();
  reader.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  if (!beast()) return;
  ASSERT_TRUE(response.ok()) << response.status().to_string();
  EXPECT_EQ(response->status, 200);
  // The cancelled connection is not reused.
  auto next = transport->send({"GET", "/api/v1/x", "", ""});
  ASSERT_TRUE(next.ok()) << next.status().to_string();
  EXPECT_EQ(server.connections(), 2);
}

TEST_P(TransportTest, CancelEndsAStreamWaitingForHeaders) {
  ScriptedServer server([](const std::string&, int, int) {
    return ScriptedServer::Reply{"", ScriptedServer::Then::kHang};
  });
  auto transport = transport_for(server.url(), std::chrono::seconds(60));
  ASSERT_TRUE(transport);
  Cancellation cancel;
  Result<Response> response = Status::Internal("not run");
  std::thread reader([&] {
    response = transport->stream(
        {"GET", "/api/v1/watch", "", ""}, [](const std::string&) { return true; }, &cancel);
  });
  for (int i = 0; i < 500 && server.requests().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(server.requests().size(), 1u);
  auto start = std::chrono::steady_clock::now();
  cancel.cancel();
  reader.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_FALSE(response.ok());
  EXPECT_TRUE(response.status().is(Reason::kUnavailable)) << response.status().to_string();
}

TEST_P(TransportTest, AlreadyCancelledStreamSendsNothing) {
  ScriptedServer server([](const std::string&, int, int) { return ScriptedServer::Reply{ScriptedServer::ok("{}")}; });
  auto transport = transport_for(server.url());
  ASSERT_TRUE(transport);
  Cancellation cancel;
  cancel.cancel();
  auto response = transport->stream(
      {"GET", "/api/v1/watch", "", ""}, [](const std::string&) { return true; }, &cancel);
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.status().message().find("cancelled"), std::string::npos) << response.status().to_string();
}

INSTANTIATE_TEST_SUITE_P(Engines, ClientEngine, ::testing::Values(TransportEngine::kBeast, TransportEngine::kCpprest),
                         engine_name);
INSTANTIATE_TEST_SUITE_P(Engines, ClientBrokenServer,
                         ::testing::Values(TransportEngine::kBeast, TransportEngine::kCpprest), engine_name);
INSTANTIATE_TEST_SUITE_P(Engines, TransportTest, ::testing::Values(TransportEngine::kBeast, TransportEngine::kCpprest),
                         engine_name);

}  // namespace
}  // namespace ferry::kube
