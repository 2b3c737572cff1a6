// The simulator's resource registry: which resources it serves (built-in kinds plus the
// custom resources of Established CRDs) and their discovery documents.
// Thread-safe: readers and writers may call from any thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::kube::sim {

using Json = nlohmann::json;

struct ResourceType {
  std::string group;    // "" for core
  std::string version;  // "v1"
  std::string kind;     // "Deployment"
  std::string plural;   // "deployments"
  std::string singular;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool status_subresource = false;
  bool scale_subresource = false;
  std::string scale_spec_path = ".spec.replicas";      // CRD scale subresource paths
  std::string scale_status_path = ".status.replicas";
  std::string scale_selector_path;                      // e.g. ".status.selector"
  bool custom = false;          // served from a CRD
  bool sets_generation = true;  // metadata.generation is kept (workloads, CRs)
  Json printer_columns = Json::array();  // CRD additionalPrinterColumns

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  // Storage key shared by every version of the resource: "apps/deployments".
  std::string storage_key() const { return group + "/" + plural; }
};

class Registry {
 public:
  Registry();

  std::shared_ptr<const ResourceType> by_resource(const std::string& group, const std::string& version,
                                                  const std::string& plural) const;
  std::shared_ptr<const ResourceType> by_kind(const std::string& group, const std::string& version,
                                              const std::string& kind) const;
  // Any served version of a group/kind (first served).
  std::shared_ptr<const ResourceType> by_group_kind(const std::string& group, const std::string& kind) const;

  // Serves the versions of a CRD (apiextensions.k8s.io/v1 object); replaces earlier ones.
  void add_crd(const Json& crd);
  void remove_crd(const std::string& group, const std::string& plural);

  // Discovery documents.
  Json api_versions(const std::string& server_address) const;  // /api
  Json api_group_list() const;                                  // /apis
  std::optional<Json> api_group(const std::string& group) const;  // /apis/G
  std::optional<Json> resource_list(const std::string& group, const std::string& version) const;
  // OpenAPI v3: the index of group versions (/openapi/v3), and per group version a document
  // whose PATCH operations list the query parameters the server supports — what kubectl reads
  // to decide that the server validates fields itself. `path` is "api/v1" or "apis/apps/v1".
  Json openapi_v3_index() const;
  std::optional<Json> openapi_v3_document(const std::string& path) const;

 private:
  void add(ResourceType type);
  std::vector<std::string> versions_of(const std::string& group) const;

  mutable std::shared_mutex mutex_;
  std::vector<std::shared_ptr<const ResourceType>> types_;  // in registration order
};

}  // namespace ferry::kube::sim
