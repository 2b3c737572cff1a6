// ferry_sync_bench: one sync of a rendered app through the engine (compare against live state,
// plan, server-side apply, health gates between waves) for bench/scenarios/50-sync.sh (issue #5).
//   ferry_sync_bench --kubeconfig K --dir DIR --app NAME
// Prints "sync_seconds S" (and where it went: compare_seconds, write_seconds, and health_seconds: the
// health gate after the last wave's writes, if any, and the results),
// "objects N", "phase P" and "requests VERB CODE N" per kind of request sent.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "apis/types/yaml_codec.h"
#include "kube/client/kubeconfig.h"
#include "reconciler/sync/compare.h"
#include "reconciler/sync/runner.h"

using namespace ferry;

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i + 1 < argc; i += 2) flags[argv[i]] = argv[i + 1];
  auto config = kube::load_kubeconfig({flags["--kubeconfig"]});
  if (!config.ok()) {
    std::cerr << config.status().to_string() << "\n";
    return 1;
  }
  kube::ClientOptions options;
  options.qps = 0;
  auto client = kube::Client::connect(*config, options);
  if (!client.ok()) return 1;
  std::vector<reconciler::Json> rendered;
  for (const auto& entry : std::filesystem::directory_iterator(flags["--dir"])) {
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    auto objects = yaml::parse_objects(text.str(), entry.path().string());
    if (!objects.ok()) {
      std::cerr << objects.status().to_string() << "\n";
      return 1;
    }
    for (auto& o : *objects) rendered.push_back(std::move(o));
  }
  auto start = std::chrono::steady_clock::now();
  auto live = reconciler::client_live_view(*client);
  reconciler::CompareRequest request;
  request.app = flags["--app"];
  request.destination_namespace = "default";
  request.rendered = rendered;
  request.diff.views_when_synced = false;
  auto compared = reconciler::compare(request, *live);
  auto compared_at = std::chrono::steady_clock::now();
  if (!compared.ok()) {
    std::cerr << compared.status().to_string() << "\n";
    return 1;
  }
  reconciler::PlanRequest plan_request;
  plan_request.app = request.app;
  plan_request.desired = compared->desired;
  plan_request.live = compared->live;
  for (const auto& r : compared->resources) plan_request.states[r.key] = r.state;
  auto plan = reconciler::make_plan(plan_request);
  if (!plan.ok()) return 1;
  reconciler::RunOptions run_options;
  run_options.poll_interval = std::chrono::milliseconds(50);
  // When the last wave's writes end, what is left is its health gate (when more work follows) and
  // the results.
  auto written_at = start;
  run_options.on_wave_written = [&] { written_at = std::chrono::steady_clock::now(); };
  auto result = reconciler::SyncRunner(*client).run(*plan, run_options);
  auto end = std::chrono::steady_clock::now();
  auto seconds = [](auto from, auto to) { return std::chrono::duration<double>(to - from).count(); };
  std::cout << "sync_seconds " << seconds(start, end) << "\ncompare_seconds " << seconds(start, compared_at)
            << "\nwrite_seconds " << seconds(compared_at, written_at) << "\nhealth_seconds "
            << seconds(written_at, end) << "\nobjects " << rendered.size() << "\nphase "
            << reconciler::operation_phase_name(result.phase) << "\n";
  for (const auto& [verb_code, n] : (*client)->request_counts()) {
    std::cout << "requests " << verb_code.first << " " << verb_code.second << " " << n << "\n";
  }
  return result.phase == reconciler::OperationPhase::kSucceeded ? 0 : 1;
}
