// The CustomResourceDefinitions (apiextensions.k8s.io/v1) of Ferry's two kinds:
// applications.ferry.dev (Application, short names app/apps) and appprojects.ferry.dev
// (AppProject). Ferry registers them at start when they are missing; the same documents are
// checked in as examples/deploy/crds/*.yaml (tests/unit/apis/crd_test.cc keeps the files equal
// to these functions; FERRY_UPDATE_CRDS=1 makes it rewrite them).
//
// The schemas are structural: spec fields are typed with Argo CD's names, and the parts Argo CD
// leaves free-form (helm.valuesObject, kustomize, plugin, directory.jsonnet, the operation, the
// status) carry x-kubernetes-preserve-unknown-fields. Spec values are not constrained beyond
// their types: Ferry's own validation (application.h) reports bad values as an InvalidSpecError
// condition, with clearer messages than an API server rejection.
// Pure functions; any thread.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::apis {

nlohmann::json application_crd();
nlohmann::json project_crd();
// Both, Application first.
std::vector<nlohmann::json> crds();

}  // namespace ferry::apis
