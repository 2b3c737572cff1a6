// ferry_source_bench: in-process measurements for bench/scenarios/30-*.sh.
//   fetch      --data-dir D --repo URL          refresh the mirror once; prints "fetched <0|1> <ms>"
//   ls-remote  --repo URL [--rounds N]           median ms of a remote ref listing
//   cache-hit  --data-dir D --repo URL --path P [--rounds N]
//                                                renders once, then times cache hits; prints
//                                                "objects <n> miss_us <us> hit_us <median us>"
//   render-loop --data-dir D --repo URL --path P [--release-name N] [--rounds N]
//                                                median ms of uncached renders in one process
//   yaml2json  FILE                              parses a YAML stream and emits JSON lines;
//                                                prints "bytes <n> seconds <s> mbps <MB/s>"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "apis/types/yaml_codec.h"
#include "reconciler/render/app_renderer.h"
#include "reconciler/source/repo_cache.h"

using namespace ferry;
using namespace ferry::reconciler;
using Clock = std::chrono::steady_clock;

namespace {

std::string flag(int argc, char** argv, const char* name, const std::string& fallback = "") {
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int fail(const Status& s) {
  std::cerr << "ferry_source_bench: " << s.to_string() << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: ferry_source_bench fetch|ls-remote|cache-hit|yaml2json ...\n";
    return 2;
  }
  std::string mode = argv[1];
  if (mode == "fetch") {
    RepoCache cache(flag(argc, argv, "--data-dir"));
    auto start = Clock::now();
    auto r = cache.refresh({flag(argc, argv, "--repo"), {}});
    double ms = ms_since(start);
    if (!r.ok()) return fail(r.status());
    std::printf("fetched %d %.3f\n", r->fetched ? 1 : 0, ms);
    return 0;
  }
  if (mode == "ls-remote") {
    RepoCache cache("/tmp/ferry-bench-unused");
    int rounds = std::stoi(flag(argc, argv, "--rounds", "10"));
    std::vector<double> times;
    for (int i = 0; i < rounds; ++i) {
      auto start = Clock::now();
      auto r = cache.list_remote({flag(argc, argv, "--repo"), {}});
      times.push_back(ms_since(start));
      if (!r.ok()) return fail(r.status());
    }
    std::printf("ls_remote_ms %.3f\n", median(times));
    return 0;
  }
  if (mode == "cache-hit") {
    RepoCache repos(flag(argc, argv, "--data-dir"));
    RenderCache cache;
    AppRenderer renderer(repos, cache, ToolSettings::from_environment());
    RepoRequest req{flag(argc, argv, "--repo"), {}};
    RenderSpec spec;
    spec.path = flag(argc, argv, "--path");
    spec.directory.recurse = true;
    auto commit = repos.resolve_fresh(req, "HEAD");
    if (!commit.ok()) return fail(commit.status());
    auto start = Clock::now();
    auto first = renderer.render_commit(req.url, *commit, spec);
    double miss_us = ms_since(start) * 1000;
    if (!first.ok()) return fail(first.status());
    int rounds = std::stoi(flag(argc, argv, "--rounds", "2000"));
    std::vector<double> times;
    for (int i = 0; i < rounds; ++i) {
      auto t = Clock::now();
      auto hit = renderer.render_commit(req.url, *commit, spec);
      times.push_back(ms_since(t) * 1000);
      if (!hit.ok() || !hit->cache_hit) return fail(Status::Internal("expected a cache hit"));
    }
    std::printf("objects %zu miss_us %.1f hit_us %.2f\n", first->output->objects.size(), miss_us, median(times));
    return 0;
  }
  if (mode == "render-loop") {
    // Full renders (no cache) of one app in a long-lived process, as the controller does them.
    RepoCache repos(flag(argc, argv, "--data-dir"));
    RepoRequest req{flag(argc, argv, "--repo"), {}};
    RenderSpec spec;
    spec.path = flag(argc, argv, "--path");
    spec.helm.release_name = flag(argc, argv, "--release-name");
    auto commit = repos.resolve_fresh(req, "HEAD");
    if (!commit.ok()) return fail(commit.status());
    int rounds = std::stoi(flag(argc, argv, "--rounds", "10"));
    std::vector<double> times;
    size_t objects = 0;
    for (int i = 0; i < rounds; ++i) {
      RenderCache cache;
      AppRenderer renderer(repos, cache, ToolSettings::from_environment());
      auto t = Clock::now();
      auto r = renderer.render(req, "HEAD", spec);  // ref check + checkout + tool + parse
      times.push_back(ms_since(t));
      if (!r.ok()) return fail(r.status());
      objects = r->output->objects.size();
    }
    std::printf("objects %zu render_ms %.2f\n", objects, median(times));
    return 0;
  }
  if (mode == "yaml2json") {
    std::ifstream in(argv[2], std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::string data = text.str();
    auto start = Clock::now();
    auto objects = yaml::parse_objects(data, argv[2]);
    if (!objects.ok()) return fail(objects.status());
    size_t out_bytes = 0;
    for (const auto& o : *objects) out_bytes += o.dump().size();
    double seconds = ms_since(start) / 1000;
    std::printf("bytes %zu objects %zu json_bytes %zu seconds %.3f mbps %.2f\n", data.size(), objects->size(),
                out_bytes, seconds, data.size() / 1e6 / seconds);
    return 0;
  }
  std::cerr << "unknown mode " << mode << "\n";
  return 2;
}
