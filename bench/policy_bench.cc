// ferry_policy_bench: lint cost against render cost for bench/scenarios/90-lint.sh (issue 10).
//   ferry_policy_bench --data-dir D --repo URL --path P [--rounds N] [--policy PRESET]
// Renders the app uncached N times in this process (mirror ref check, private checkout, parse:
// what the controller pays on a new commit) and runs the policy gates over the objects N×20
// times; prints "objects <n> findings <n> render_ms <median> lint_ms <median>".
#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "reconciler/policy/policy.h"
#include "reconciler/render/app_renderer.h"
#include "reconciler/source/repo_cache.h"

using namespace ferry;
using namespace ferry::reconciler;
using Clock = std::chrono::steady_clock;

namespace {

std::string flag(int argc, char** argv, const char* name, const std::string& fallback = "") {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

double ms_since(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int fail(const Status& s) {
  std::cerr << "ferry_policy_bench: " << s.to_string() << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string data_dir = flag(argc, argv, "--data-dir"), url = flag(argc, argv, "--repo");
  if (data_dir.empty() || url.empty()) {
    std::cerr << "usage: ferry_policy_bench --data-dir D --repo URL --path P [--rounds N] [--policy PRESET]\n";
    return 2;
  }
  const int rounds = std::max(1, std::stoi(flag(argc, argv, "--rounds", "10")));
  auto config = policy::parse_policy_text(flag(argc, argv, "--policy", "strict"));
  if (!config.ok()) return fail(config.status());
  RenderSpec spec;
  spec.path = flag(argc, argv, "--path", ".");

  RepoCache repos(data_dir);
  auto commit = repos.resolve_fresh({url, {}}, "HEAD");
  if (!commit.ok()) return fail(commit.status());
  std::vector<double> render_ms;
  std::shared_ptr<const RenderOutput> output;
  for (int i = 0; i < rounds; ++i) {
    RenderCache cache;  // a fresh cache and renderer: every round renders
    AppRenderer renderer(repos, cache, ToolSettings::from_environment());
    auto start = Clock::now();
    auto r = renderer.render({url, {}}, "HEAD", spec);
    render_ms.push_back(ms_since(start));
    if (!r.ok()) return fail(r.status());
    output = r->output;
  }
  std::vector<double> lint_ms;
  size_t findings = 0;
  for (int i = 0; i < rounds * 20; ++i) {
    auto start = Clock::now();
    policy::Evaluation e = policy::evaluate(output->objects, *config);
    lint_ms.push_back(ms_since(start));
    findings = e.findings.size();
  }
  std::cout << "objects " << output->objects.size() << " findings " << findings << " render_ms " << median(render_ms)
            << " lint_ms " << median(lint_ms) << "\n";
  return 0;
}
