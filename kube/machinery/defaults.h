// Server-side defaulting as kube-apiserver does it for the built-in kinds the simulator serves
// (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod and pod templates,
// containers, Service, PVC, ...), plus quantity canonicalisation of resources fields.
// Pure functions; thread-safe.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace ferry::kube {

// Fills in defaults on `object` (a full object with apiVersion/kind) in place. `group` is the
// API group ("" for core). Never overwrites a value the object already has. Service clusterIP
// allocation is not done here (it needs state); the simulator does it.
void apply_defaults(std::string_view group, std::string_view kind, nlohmann::json& object);

}  // namespace ferry::kube
