// ferry_kube_bench: load generator and probe for bench/scenarios/20-kube-*.sh (issue #3).
//   seed  --kubeconfig K --count N --prefix P [--threads T] [--label V]
//         server-side applies N ConfigMaps through kube::Client; prints "applies_per_second X".
//   cache --kubeconfig K [--selector S]
//         first sync of a ClusterCache of ConfigMaps; prints sync_seconds, objects, stored_bytes,
//         rss_delta_bytes and raw_json_bytes (the same objects' compact JSON, from a fresh LIST).
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "kube/cache/cluster_cache.h"
#include "kube/client/client.h"
#include "kube/client/kubeconfig.h"

namespace {

using namespace ferry::kube;
using Clock = std::chrono::steady_clock;

long rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) * 1024;
  }
  return 0;
}

std::map<std::string, std::string> parse_flags(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 2; i + 1 < argc; i += 2) flags[argv[i]] = argv[i + 1];
  return flags;
}

std::shared_ptr<Client> connect(const std::string& kubeconfig) {
  auto config = load_kubeconfig({kubeconfig});
  if (!config.ok()) {
    std::cerr << config.status().to_string() << "\n";
    std::exit(1);
  }
  ClientOptions options;
  options.qps = 0;  // measure the client, not its politeness
  auto client = Client::connect(*config, options);
  if (!client.ok()) {
    std::cerr << client.status().to_string() << "\n";
    std::exit(1);
  }
  return *client;
}

int seed(std::map<std::string, std::string> flags) {
  auto client = connect(flags["--kubeconfig"]);
  int count = std::stoi(flags["--count"]);
  int threads = flags.count("--threads") ? std::stoi(flags["--threads"]) : 8;
  std::string prefix = flags["--prefix"], label = flags.count("--label") ? flags["--label"] : "bench";
  std::atomic<int> next{0}, failures{0};
  auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        Json object = {{"apiVersion", "v1"},
                       {"kind", "ConfigMap"},
                       {"metadata",
                        {{"name", prefix + std::to_string(i)},
                         {"namespace", "default"},
                         {"labels", {{"ferry.dev/app", label}}}}},
                       {"data", {{"key", "value-" + std::to_string(i % 7)}}}};
        if (!client->apply(object, {"bench", true, false}).ok()) ++failures;
      }
    });
  }
  for (auto& w : workers) w.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (failures) std::cerr << failures << " applies failed\n";
  std::cout << "applies_per_second " << static_cast<long>(count / seconds) << "\n";
  return failures ? 1 : 0;
}

int cache(std::map<std::string, std::string> flags) {
  auto client = connect(flags["--kubeconfig"]);
  CacheOptions options;
  options.label_selector = flags.count("--selector") ? flags["--selector"] : "ferry.dev/app";
  // Discovery first, so its memory is not charged to the cache.
  if (!client->resource_for("v1", "ConfigMap").ok()) return 1;
  malloc_trim(0);
  long rss_before = rss_bytes();
  auto start = Clock::now();
  auto cache = std::make_unique<ClusterCache>(client, options);
  if (!cache->watch_kind("v1", "ConfigMap").ok() || !cache->wait_synced(std::chrono::minutes(10))) return 1;
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  malloc_trim(0);
  long rss_after = rss_bytes();
  size_t objects = cache->size(), stored = cache->stored_bytes();
  cache->stop();
  ListOptions list_options;
  list_options.label_selector = options.label_selector;
  auto listed = client->list({"v1", "ConfigMap", "", ""}, list_options);
  if (!listed.ok()) return 1;
  size_t raw = 0;
  for (auto& item : (*listed)["items"]) {
    item["apiVersion"] = "v1";
    item["kind"] = "ConfigMap";
    raw += item.dump().size();
  }
  std::cout << "sync_seconds " << seconds << "\nobjects " << objects << "\nstored_bytes " << stored
            << "\nrss_delta_bytes " << (rss_after - rss_before) << "\nraw_json_bytes " << raw << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "seed") return seed(parse_flags(argc, argv));
  if (mode == "cache") return cache(parse_flags(argc, argv));
  std::cerr << "usage: ferry_kube_bench seed|cache --kubeconfig K ...\n";
  return 2;
}
