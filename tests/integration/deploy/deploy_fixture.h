// Shared by the tests of the install artifacts (examples/deploy, charts/ferry): where they are,
// how to run kubectl, helm and ferry against a simulator, and reading kubectl's JSON. Not
// thread-safe; each test owns its simulator.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.h"
#include "tests/support/sim_fixture.h"

namespace ferry::testing {

using Json = nlohmann::json;

inline std::string deploy_dir() { return source_dir() + "/examples/deploy"; }
inline std::string chart_dir() { return source_dir() + "/charts/ferry"; }

inline std::string show(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\n--- stdout:\n" + r.out + "\n--- stderr:\n" + r.err;
}

// `kubectl get ARGS -o json` against the simulator, parsed; null when kubectl fails (the test
// then fails on the first field it reads, with kubectl's message in the log).
inline Json get_json(const SimProcess& sim, std::vector<std::string> args) {
  args.insert(args.begin(), "get");
  args.insert(args.end(), {"-o", "json"});
  CommandResult r = sim.kubectl(args);
  if (r.exit_code != 0) {
    ADD_FAILURE() << "kubectl get failed: " << show(r);
    return nullptr;
  }
  return Json::parse(r.out, nullptr, false);
}

// The Namespace of examples/deploy. A server-side dry run of namespaced objects needs their
// namespace to exist — on a real API server too — so tests create it before dry-running.
inline void apply_namespace(const SimProcess& sim) {
  CommandResult r = sim.kubectl({"apply", "-f", deploy_dir() + "/namespace.yaml"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
}

// The one container of a Deployment's pod template. Missing fields throw (a test failure).
inline Json only_container(const Json& deployment) {
  const Json& containers = deployment.at(Json::json_pointer("/spec/template/spec/containers"));
  EXPECT_EQ(containers.size(), 1u) << containers.dump(2);
  return containers.at(0);
}

// The mount path of the pod volume named `volume` in the one container; "" when none.
inline std::string mount_path(const Json& deployment, const std::string& volume) {
  for (const Json& m : only_container(deployment).value("volumeMounts", Json::array())) {
    if (m.value("name", "") == volume) return m.value("mountPath", "");
  }
  return "";
}

// The pod volume named `name`; null when none.
inline Json pod_volume(const Json& deployment, const std::string& name) {
  for (const Json& v : deployment.at(Json::json_pointer("/spec/template/spec")).value("volumes", Json::array())) {
    if (v.value("name", "") == name) return v;
  }
  return nullptr;
}

}  // namespace ferry::testing
