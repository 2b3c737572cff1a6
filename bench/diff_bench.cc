// Diff throughput (issue #5 §5): 10,000 unchanged Deployments diffed on one thread. Desired
// objects are what a chart renders; live objects are what the API server stores after Ferry's
// server-side apply: merged, defaulted, with managedFields, server metadata and a status. Prints
// `diff_objects_per_second <N>`, the median of three rounds. Exits 1 if any diff is not Synced,
// since a figure for the wrong answer means nothing.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/machinery/defaults.h"
#include "kube/machinery/managed_fields.h"
#include "reconciler/diff/diff.h"

namespace {

using nlohmann::json;

constexpr int kObjects = 10000;
constexpr int kRounds = 3;

json desired_deployment(int i) {
  const std::string name = "web-" + std::to_string(i);
  json container = {
      {"name", "app"},
      {"image", "registry.example.com/team/app:1." + std::to_string(i % 50)},
      {"args", {"--port=8080", "--log-level=info"}},
      {"ports", {{{"containerPort", 8080}, {"name", "http"}}, {{"containerPort", 9090}, {"name", "metrics"}}}},
      {"env", {{{"name", "MODE"}, {"value", "prod"}}, {{"name", "SHARD"}, {"value", std::to_string(i % 16)}}}},
      {"resources", {{"limits", {{"cpu", "1000m"}, {"memory", "512Mi"}}}, {"requests", {{"cpu", 0.25}, {"memory", "256Mi"}}}}},
      {"readinessProbe", {{"httpGet", {{"path", "/ready"}, {"port", "http"}}}}},
      {"volumeMounts", {{{"name", "config"}, {"mountPath", "/etc/app"}}}}};
  json d = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}};
  d["metadata"] = {{"name", name},
                   {"namespace", "bench"},
                   {"labels", {{"app", name}, {"ferry.dev/app", "bench"}}},
                   {"annotations", {{"ferry.dev/tracking-id", "bench:apps/Deployment:bench/" + name}}}};
  d["spec"]["replicas"] = 1 + i % 3;
  d["spec"]["selector"]["matchLabels"]["app"] = name;
  d["spec"]["template"]["metadata"]["labels"]["app"] = name;
  d["spec"]["template"]["spec"]["containers"] = json::array({container});
  d["spec"]["template"]["spec"]["volumes"] = json::array({{{"name", "config"}, {"configMap", {{"name", name}}}}});
  return d;
}

json live_deployment(const json& desired) {
  ferry::kube::ApplyRequest request;
  request.group = "apps";
  request.kind = "Deployment";
  request.api_version = "apps/v1";
  request.manager = "ferry";
  request.force = true;
  request.now = "2026-11-23T09:00:00Z";
  auto applied = ferry::kube::server_side_apply(json(), desired, request);
  if (!applied.ok()) {
    std::fprintf(stderr, "server_side_apply: %s\n", applied.status().to_string().c_str());
    std::exit(1);
  }
  json live = std::move(*applied);
  ferry::kube::apply_defaults("apps", "Deployment", live);
  json& meta = live["metadata"];
  meta["uid"] = "3d9c1f2a-0000-4000-8000-000000000000";
  meta["resourceVersion"] = "12345";
  meta["generation"] = 1;
  meta["creationTimestamp"] = "2026-11-23T09:00:00Z";
  const int replicas = desired["spec"]["replicas"];
  live["status"] = {{"observedGeneration", 1},
                    {"replicas", replicas},
                    {"updatedReplicas", replicas},
                    {"readyReplicas", replicas},
                    {"availableReplicas", replicas},
                    {"conditions",
                     {{{"type", "Available"}, {"status", "True"}, {"reason", "MinimumReplicasAvailable"}},
                      {{"type", "Progressing"}, {"status", "True"}, {"reason", "NewReplicaSetAvailable"}}}}};
  return live;
}

}  // namespace

int main() {
  std::vector<json> desired;
  std::vector<json> live;
  desired.reserve(kObjects);
  live.reserve(kObjects);
  for (int i = 0; i < kObjects; ++i) {
    desired.push_back(desired_deployment(i));
    live.push_back(live_deployment(desired.back()));
  }

  const ferry::reconciler::DiffOptions options;
  std::vector<double> rates;
  for (int round = 0; round < kRounds; ++round) {
    size_t synced = 0;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kObjects; ++i) {
      ferry::reconciler::ResourceDiff d = ferry::reconciler::diff_resource(&desired[i], &live[i], options);
      synced += d.state == ferry::reconciler::SyncState::kSynced;
    }
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    if (synced != static_cast<size_t>(kObjects)) {
      std::fprintf(stderr, "only %zu of %d unchanged Deployments diffed as Synced\n", synced, kObjects);
      return 1;
    }
    rates.push_back(kObjects / elapsed.count());
  }
  std::sort(rates.begin(), rates.end());
  std::printf("diff_objects_per_second %.0f\n", rates[kRounds / 2]);

  // The peer figure: only parsing the live objects from JSON text, the least any comparison of
  // objects read from an API server (or Ferry's cache, which keeps them as text) pays.
  std::vector<std::string> texts;
  texts.reserve(kObjects);
  for (const auto& object : live) texts.push_back(object.dump());
  std::vector<double> parse_rates;
  for (int round = 0; round < kRounds; ++round) {
    size_t keys = 0;
    auto start = std::chrono::steady_clock::now();
    for (const auto& text : texts) keys += json::parse(text).size();
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    if (keys == 0) return 1;
    parse_rates.push_back(kObjects / elapsed.count());
  }
  std::sort(parse_rates.begin(), parse_rates.end());
  std::printf("parse_objects_per_second %.0f\n", parse_rates[kRounds / 2]);
  return 0;
}
