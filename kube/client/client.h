// kube::Client: verbs on unstructured Kubernetes objects (ferry::Json) over a Transport.
// apiVersion+kind are mapped to a resource path through discovery (cached per group-version,
// refreshed on a miss at most once per `discovery_refresh_interval`). Errors are typed from the
// server's Status body (reason, message, causes). Requests pass a client-side token-bucket rate
// limit and are retried with exponential backoff and jitter: 429 always (Retry-After honoured),
// 5xx/network errors only for idempotent verbs (get, list, apply, delete, update carrying a
// resourceVersion); create and patches retry only on 429 or a refused connection.
// A Client is thread-safe; the Transport it holds is shared.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "apis/types/status.h"
#include "kube/client/kubeconfig.h"
#include "kube/client/transport.h"

namespace ferry::kube {

using Json = nlohmann::json;

struct ClientOptions {
  double qps = 50;  // 0 turns the rate limit off
  int burst = 100;
  int max_retries = 8;
  std::chrono::milliseconds backoff_base = std::chrono::milliseconds(50);
  std::chrono::milliseconds backoff_max = std::chrono::seconds(5);
  std::chrono::milliseconds retry_after_max = std::chrono::seconds(30);
  std::chrono::milliseconds discovery_refresh_interval = std::chrono::milliseconds(250);
  std::string default_namespace = "default";  // for namespaced objects that name none
};

// One API resource from discovery.
struct ResourceInfo {
  std::string group, version, kind, plural;
  bool namespaced = false;
  bool has_status = false;
  std::vector<std::string> verbs;
};

// Names one object (or, with an empty name, a collection).
struct ObjectRef {
  std::string api_version;  // "v1", "apps/v1"
  std::string kind;
  std::string namespace_;  // ignored for cluster-scoped kinds
  std::string name;
  static ObjectRef of(const Json& object);
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int limit = 500;  // page size; pages are followed with continue until the end
};

struct ApplyOptions {
  std::string field_manager = "ferry";
  bool force = false;
  bool dry_run = false;
};

struct WriteOptions {
  std::string field_manager;  // optional
  bool dry_run = false;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;  // start after this version; empty: synthetic ADDED for what exists
  bool bookmarks = true;
  int timeout_seconds = 30;  // the server ends the watch after this long
  Cancellation* cancel = nullptr;  // optional: cancelling it ends the watch from another thread
};

// One watch event: ADDED, MODIFIED, DELETED or BOOKMARK, with the object.
struct WatchEvent {
  std::string type;
  Json object;
};

struct DeleteOptions {
  std::string propagation_policy;  // "Foreground", "Background", "Orphan" or empty
  std::string precondition_uid;
  std::string precondition_resource_version;
  bool dry_run = false;
};

class Client {
 public:
  // From a RestConfig: builds the HTTP transport; options.default_namespace is the config's.
  static Result<std::shared_ptr<Client>> connect(const RestConfig& config, ClientOptions options = {},
                                                 TransportOptions transport_options = {});
  Client(std::shared_ptr<Transport> transport, ClientOptions options = {});
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Discovery: the resource serving apiVersion+kind; NotFound when the server has none.
  Result<ResourceInfo> resource_for(const std::string& api_version, const std::string& kind);
  // Forgets all discovery results.
  void invalidate_discovery();

  Result<Json> get(const ObjectRef& ref);
  // All pages, as one `<Kind>List` with items and the last page's resourceVersion.
  Result<Json> list(const ObjectRef& collection, const ListOptions& options = {});
  // The same page by page: `on_page` gets each page's items (whole objects, movable from) as
  // they arrive, so a caller keeping them in another form never holds every parsed object at
  // once. Returns the list's resourceVersion.
  Result<std::string> list_pages(const ObjectRef& collection, const ListOptions& options,
                                 const std::function<void(Json& items)>& on_page);
  Result<Json> create(const Json& object, const WriteOptions& options = {});
  // Server-side apply of `object` (PATCH application/apply-patch+yaml).
  Result<Json> apply(const Json& object, const ApplyOptions& options = {});
  Result<Json> merge_patch(const ObjectRef& ref, const Json& patch, const WriteOptions& options = {});
  Result<Json> json_patch(const ObjectRef& ref, const Json& operations, const WriteOptions& options = {});
  Result<Json> update(const Json& object, const WriteOptions& options = {});
  Result<Json> update_status(const Json& object, const WriteOptions& options = {});
  Status remove(const ObjectRef& ref, const DeleteOptions& options = {});
  // Watches a collection (a name in `ref` narrows it to one object) and calls `on_event` for each
  // event until the server ends the watch or `on_event` returns false. Returns the last
  // resourceVersion seen, to resume from. An ERROR event becomes the Status (Gone when the
  // version is too old: list again). Not retried: the caller re-watches.
  Result<std::string> watch(const ObjectRef& ref, const WatchOptions& options,
                            const std::function<bool(const WatchEvent&)>& on_event);

  // Status from an error response: the Status body's reason/message/causes, else the HTTP code.
  static Status status_from_response(const Response& response, const std::string& what);

  // Requests sent so far by verb (the HTTP method in lower case, "watch" for watches) and HTTP
  // code (0 when no answer came), for ferry_kube_requests_total. Retries count one each.
  std::map<std::pair<std::string, int>, uint64_t> request_counts() const;

 private:
  enum class Retry { kIdempotent, kOnlyUnsent };
  Result<Response> send_with_retries(const Request& request, Retry retry);
  Result<Json> call(const Request& request, Retry retry, const std::string& what);
  Result<std::string> path_for(const ObjectRef& ref, bool collection, const std::string& subresource = "");
  Result<std::vector<ResourceInfo>> fetch_group_version(const std::string& api_version);
  void wait_for_token();
  void count_request(const std::string& verb, int code);

  std::shared_ptr<Transport> transport_;
  mutable std::mutex counts_mu_;
  std::map<std::pair<std::string, int>, uint64_t> counts_;  // (verb, HTTP code or 0); guarded by counts_mu_
  ClientOptions options_;

  std::mutex discovery_mu_;
  struct GroupVersion {
    std::vector<ResourceInfo> resources;
    bool found = false;
    std::chrono::steady_clock::time_point fetched;
  };
  std::map<std::string, GroupVersion> discovery_;  // by apiVersion; guarded by discovery_mu_

  std::mutex limiter_mu_;
  double tokens_ = 0;  // guarded by limiter_mu_
  std::chrono::steady_clock::time_point last_refill_;
};

}  // namespace ferry::kube
