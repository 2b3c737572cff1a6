// Test fixtures for the diff: desired objects as a renderer produces them, and live objects as
// the API server returns them after Ferry's server-side apply (managedFields, defaults, status,
// server metadata), plus edits by other field managers (kubectl edit/patch) recorded the way
// kube-apiserver records an Update.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kube/machinery/defaults.h"
#include "kube/machinery/managed_fields.h"
#include "reconciler/diff/diff.h"

namespace ferry::reconciler {

// Readable GoogleTest output for changed paths: {"/spec/replicas" by "kubectl-edit"}.
inline void PrintTo(const ChangedPath& c, std::ostream* out) {
  *out << "{\"" << c.path << "\" by \"" << c.live_manager << "\"}";
}

}  // namespace ferry::reconciler

namespace ferry::reconciler::testing {

using nlohmann::json;

inline std::string group_from(const json& object) {
  std::string api_version = object.value("apiVersion", "");
  size_t slash = api_version.find('/');
  return slash == std::string::npos ? std::string() : api_version.substr(0, slash);
}

inline kube::ApplyRequest request_for(const json& object, std::string_view manager, std::string_view now) {
  kube::ApplyRequest r;
  r.group = group_from(object);
  r.kind = object.value("kind", "");
  r.api_version = object.value("apiVersion", "");
  r.manager = manager;
  r.force = true;
  r.now = now;
  return r;
}

// What the server stores after `manager` applies `applied` (server-side apply, force) onto `live`
// (null: create): merged, defaulted, with server metadata and a status.
inline json server_apply(const json& live, const json& applied, std::string_view manager = "ferry",
                         std::string_view now = "2026-11-23T09:00:00Z") {
  auto merged = kube::server_side_apply(live, applied, request_for(applied, manager, now));
  EXPECT_TRUE(merged.ok()) << merged.status().to_string();
  if (!merged.ok()) return json();
  json out = *merged;
  kube::apply_defaults(group_from(out), out.value("kind", ""), out);
  json& meta = out["metadata"];
  meta["uid"] = "6f1c6a2e-0000-4000-8000-000000000001";
  meta["resourceVersion"] = live.is_null() ? "1" : std::to_string(std::stoi(live["metadata"].value("resourceVersion", "1")) + 1);
  meta["generation"] = live.is_null() ? 1 : live["metadata"].value("generation", 1) + 1;
  meta["creationTimestamp"] = "2026-11-23T09:00:00Z";
  if (out.value("kind", "") == "Deployment") {
    out["status"] = {{"observedGeneration", meta["generation"]},
                     {"replicas", out["spec"].value("replicas", 1)},
                     {"updatedReplicas", out["spec"].value("replicas", 1)},
                     {"readyReplicas", out["spec"].value("replicas", 1)},
                     {"availableReplicas", out["spec"].value("replicas", 1)},
                     {"conditions", json::array({{{"type", "Available"}, {"status", "True"}}})}};
  }
  return out;
}

// `live` after `manager` changed it with an Update (kubectl edit, kubectl patch, a controller).
inline json server_update(const json& live, const std::function<void(json&)>& change, std::string_view manager,
                          std::string_view now = "2026-11-23T09:05:00Z") {
  json updated = live;
  change(updated);
  kube::ApplyRequest r = request_for(live, manager, now);
  r.force = false;
  kube::record_update(live, updated, r);
  return updated;
}

// A Deployment as a chart renders it: only what the author wrote, plus Ferry's tracking.
inline json web_deployment(int replicas = 3) {
  return json::parse(R"({
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
      "name": "web",
      "namespace": "default",
      "labels": {"app": "web", "ferry.dev/app": "guestbook"},
      "annotations": {"ferry.dev/tracking-id": "guestbook:apps/Deployment:default/web"}
    },
    "spec": {
      "replicas": )" + std::to_string(replicas) + R"(,
      "selector": {"matchLabels": {"app": "web"}},
      "template": {
        "metadata": {"labels": {"app": "web"}},
        "spec": {
          "containers": [{
            "name": "web",
            "image": "nginx:1.27",
            "args": ["--port", "8080"],
            "ports": [{"containerPort": 8080, "name": "http"}],
            "env": [{"name": "MODE", "value": "prod"}, {"name": "LEVEL", "value": "info"}],
            "resources": {"limits": {"cpu": "1000m", "memory": "1Gi"}, "requests": {"cpu": 0.5, "memory": "512Mi"}}
          }]
        }
      }
    }
  })");
}

inline json web_service() {
  return json::parse(R"({
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}
  })");
}

// The paths of a diff, for compact assertions.
inline std::vector<std::string> paths(const ResourceDiff& diff) {
  std::vector<std::string> out;
  for (const ChangedPath& c : diff.changed) out.push_back(c.path);
  return out;
}

// Everything a diff lets out of the process, as one text to grep.
inline std::string all_output(const ResourceDiff& diff) {
  std::string out = diff.unified + "\n" + diff.desired_view.dump() + "\n" + diff.live_view.dump();
  for (const ChangedPath& c : diff.changed) out += "\n" + c.path + " " + c.live_manager;
  return out;
}

}  // namespace ferry::reconciler::testing
