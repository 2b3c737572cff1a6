// Server-side printing: the meta.k8s.io/v1 Table answers `kubectl get` asks for
// (Accept: application/json;as=Table), with the columns kubectl users know per kind and a
// CRD's additionalPrinterColumns. Pure functions; thread-safe.
#pragma once

#include <vector>

#include "kube/sim/object_store.h"
#include "kube/sim/registry.h"

namespace ferry::kube::sim {

// `include_object`: "None", "Metadata" (default) or "Object", as the includeObject parameter.
Json to_table(const ResourceType& type, const std::vector<ObjectPtr>& objects, const std::string& include_object,
              const std::string& resource_version);

}  // namespace ferry::kube::sim
