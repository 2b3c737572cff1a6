// Internals of the simulator shared by its implementation files (api_server.cc: routing,
// discovery, faults, stats; resource_verbs.cc: the verbs; controllers.cc: workloads, garbage
// collection, namespaces, bookmarks). Not for use outside kube/sim.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "apis/http/server.h"
#include "apis/types/status.h"
#include "kube/sim/api_server.h"
#include "kube/sim/object_store.h"
#include "kube/sim/registry.h"
#include "kube/sim/tls.h"

namespace ferry::kube::sim {

// The parsed URL of a resource request.
struct ResourcePath {
  std::string group, version, ns, plural, name, subresource;
  bool legacy_watch = false;  // /api/v1/watch/...
};

// What the caller asked for, beyond the path.
struct RequestContext {
  http::Request* http = nullptr;
  std::shared_ptr<const ResourceType> type;
  ResourcePath path;
  std::string verb;     // get, list, watch, create, update, patch, delete, deletecollection
  bool dry_run = false;
  bool wants_table = false;
  std::string field_manager;  // explicit or derived from the User-Agent
};

struct FaultConfig {
  double error_rate = 0;
  int error_status = 500;
  double throttle_rate = 0;
  int retry_after_seconds = 1;
  int latency_ms = 0;
  std::set<std::string> verbs;  // empty: every verb
};

// JSON for a Kubernetes Status error; `kind` is the resource plural (or Kind for Invalid).
Json status_json(const Status& status, const std::string& name = "", const std::string& group = "",
                 const std::string& kind = "");
http::Response json_response(int code, const Json& body);
http::Response error_response(const Status& status, const std::string& name = "", const std::string& group = "",
                              const std::string& kind = "");
std::string now_rfc3339();
std::string new_uid();

struct ApiServer::Impl {
  SimOptions options;
  Registry registry;
  ObjectStore store;
  std::unique_ptr<http::Server> server;
  TlsMaterial tls;
  std::string token;

  // Fault injection and statistics.
  std::mutex faults_mutex;
  FaultConfig faults;
  std::mt19937_64 fault_random{42};
  std::mutex stats_mutex;
  std::map<std::string, std::map<std::string, uint64_t>> requests;  // verb -> resource -> n
  std::atomic<uint64_t> requests_total{0}, bytes_in{0}, bytes_out{0};

  // Background work (controllers.cc).
  std::thread controller_thread;
  std::mutex work_mutex;
  std::condition_variable work_cv;
  bool stopping = false;
  std::multimap<std::chrono::steady_clock::time_point, ObjectKey> timed_work;
  std::set<ObjectKey> gc_work;
  std::atomic<uint32_t> service_ip_counter{10};

  explicit Impl(SimOptions o) : options(std::move(o)), store(options.watch_history) {}

  // api_server.cc
  http::Response handle(http::Request& request);
  http::Response handle_sim(http::Request& request);
  std::optional<http::Response> inject_fault(const std::string& verb);
  void count(const std::string& verb, const std::string& resource);

  // resource_verbs.cc
  http::Response dispatch(RequestContext& ctx);
  http::Response get(RequestContext& ctx);
  http::Response list(RequestContext& ctx);
  http::Response watch(RequestContext& ctx);
  http::Response create(RequestContext& ctx);
  http::Response update(RequestContext& ctx);
  http::Response patch(RequestContext& ctx);
  http::Response remove(RequestContext& ctx);
  http::Response remove_collection(RequestContext& ctx);
  http::Response scale(RequestContext& ctx);
  // Deletes one object with the given propagation policy; used by delete, GC and namespaces.
  Result<ObjectPtr> delete_object(const ObjectKey& key, const std::string& propagation, const Json& preconditions,
                                  bool dry_run);
  // Finishes the creation of a new object (metadata, defaults, allocation); pure apart from ids.
  Result<Json> prepare_create(const ResourceType& type, Json object, uint64_t version) ;
  Status check_namespace_open(const ResourceType& type, const std::string& ns);
  Json present(const ResourceType& type, const Json& object) const;  // apiVersion for the asked version

  // controllers.cc
  void start_controllers();
  void stop_controllers();
  void schedule(const ObjectKey& key, std::chrono::milliseconds delay);
  void enqueue_gc(const ObjectKey& key);
  void after_write(const ResourceType& type, const ObjectKey& key, const ObjectPtr& before, const ObjectPtr& after);
  void controller_loop();
  void reconcile_workload(const ObjectKey& key);
  void collect_garbage(const ObjectKey& key);
  void bootstrap_namespaces();
};

}  // namespace ferry::kube::sim
