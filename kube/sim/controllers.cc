// The simulator's stand-ins for kube-controller-manager: workloads become ready (or fail, when
// an image name contains "fail") after --ready-delay-ms, Deployments own a ReplicaSet, the
// garbage collector follows ownerReferences and the foreground/orphan finalizers, namespaces
// empty before they go, CRDs start serving their resources, and watches get bookmarks.
#include <openssl/sha.h>

#include "kube/machinery/managed_fields.h"
#include "kube/sim/sim_internal.h"

namespace ferry::kube::sim {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kGcRetry = std::chrono::milliseconds(50);

const Json& meta_of(const Json& object) {
  static const Json kEmpty = Json::object();
  auto it = object.find("metadata");
  return it == object.end() ? kEmpty : *it;
}

bool image_fails(const Json& pod_spec) {
  for (const char* list : {"containers", "initContainers"}) {
    for (const auto& c : pod_spec.value(list, Json::array())) {
      if (c.value("image", "").find("fail") != std::string::npos) return true;
    }
  }
  return false;
}

// The member `key` of `object` by reference (no copy), or an empty object.
const Json& child(const Json& object, const char* key) {
  static const Json kEmpty = Json::object();
  if (!object.is_object()) return kEmpty;
  auto it = object.find(key);
  return it == object.end() ? kEmpty : *it;
}

const Json& pod_spec_of(const Json& object, const std::string& kind) {
  const Json& spec = child(object, "spec");
  if (kind == "Pod") return spec;
  if (kind == "CronJob") return child(Json(), "");
  return child(child(spec, "template"), "spec");
}

Json condition(const std::string& type, const std::string& status, const std::string& reason,
               const std::string& message) {
  std::string now = now_rfc3339();
  return {{"type", type}, {"status", status}, {"reason", reason}, {"message", message},
          {"lastUpdateTime", now}, {"lastTransitionTime", now}};
}

std::string template_hash(const Json& pod_template) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  std::string text = pod_template.dump();
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static const char* kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string hash;
  for (int i = 0; i < 10; ++i) hash.push_back(kAlphabet[digest[i] % 27]);
  return hash;
}

// The status a workload controller would report once its pods are (or are not) ready.
Json workload_status(const std::string& kind, const Json& object, bool failing) {
  const Json& spec = object.value("spec", Json::object());
  int64_t generation = meta_of(object).value("generation", 1);
  int64_t replicas = spec.value("replicas", 1);
  int64_t ready = failing ? 0 : replicas;
  if (kind == "Deployment") {
    Json status = {{"observedGeneration", generation}, {"replicas", replicas}, {"updatedReplicas", replicas}};
    if (ready > 0) {
      status["readyReplicas"] = ready;
      status["availableReplicas"] = ready;
    } else if (replicas > 0) {
      status["unavailableReplicas"] = replicas;
    }
    std::string name = meta_of(object).value("name", "");
    status["conditions"] =
        failing ? Json::array({condition("Available", "False", "MinimumReplicasUnavailable",
                                         "Deployment does not have minimum availability."),
                               condition("Progressing", "False", "ProgressDeadlineExceeded",
                                         "ReplicaSet \"" + name + "\" has timed out progressing.")})
                : Json::array({condition("Available", "True", "MinimumReplicasAvailable",
                                         "Deployment has minimum availability."),
                               condition("Progressing", "True", "NewReplicaSetAvailable",
                                         "ReplicaSet \"" + name + "\" has successfully progressed.")});
    return status;
  }
  if (kind == "StatefulSet") {
    Json status = {{"observedGeneration", generation}, {"replicas", replicas}, {"currentReplicas", replicas},
                   {"updatedReplicas", replicas}, {"availableReplicas", ready}, {"collisionCount", 0}};
    if (ready > 0) status["readyReplicas"] = ready;
    std::string revision = meta_of(object).value("name", "") + "-" + template_hash(spec.value("template", Json()));
    status["currentRevision"] = revision;
    status["updateRevision"] = revision;
    return status;
  }
  if (kind == "ReplicaSet") {
    Json status = {{"observedGeneration", generation}, {"replicas", replicas}, {"fullyLabeledReplicas", replicas}};
    if (ready > 0) {
      status["readyReplicas"] = ready;
      status["availableReplicas"] = ready;
    }
    return status;
  }
  if (kind == "DaemonSet") {
    return {{"observedGeneration", generation}, {"currentNumberScheduled", 1}, {"desiredNumberScheduled", 1},
            {"numberMisscheduled", 0},          {"numberReady", failing ? 0 : 1},  {"numberAvailable", failing ? 0 : 1},
            {"updatedNumberScheduled", 1}}; 
  }
  if (kind == "Job") {
    int64_t completions = spec.value("completions", 1);
    std::string now = now_rfc3339();
    if (failing) {
      int64_t failed = spec.value("backoffLimit", 6) + 1;
      return {{"startTime", now}, {"failed", failed}, {"ready", 0}, {"terminating", 0},
              {"conditions", {condition("FailureTarget", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
                              condition("Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit")}}};
    }
    return {{"startTime", now}, {"completionTime", now}, {"succeeded", completions}, {"ready", 0}, {"terminating", 0},
            {"conditions", {condition("SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods"),
                            condition("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods")}}};
  }
  if (kind == "Pod") {
    if (failing) {
      Json statuses = Json::array();
      for (const auto& c : spec.value("containers", Json::array())) {
        statuses.push_back({{"name", c.value("name", "")}, {"image", c.value("image", "")}, {"ready", false},
                            {"restartCount", 0}, {"started", false},
                            {"state", {{"waiting", {{"reason", "ImagePullBackOff"},
                                                    {"message", "Back-off pulling image \"" + c.value("image", "") + "\""}}}}}});
      }
      return {{"phase", "Pending"}, {"containerStatuses", statuses},
              {"conditions", {condition("Ready", "False", "ContainersNotReady", "containers with unready status")}}};
    }
    Json statuses = Json::array();
    for (const auto& c : spec.value("containers", Json::array())) {
      statuses.push_back({{"name", c.value("name", "")}, {"image", c.value("image", "")}, {"ready", true},
                          {"restartCount", 0}, {"started", true},
                          {"state", {{"running", {{"startedAt", now_rfc3339()}}}}}});
    }
    return {{"phase", "Running"}, {"podIP", "10.244.0.10"}, {"hostIP", "172.18.0.2"}, {"startTime", now_rfc3339()},
            {"containerStatuses", statuses},
            {"conditions", {condition("Ready", "True", "", ""), condition("ContainersReady", "True", "", "")}}};
  }
  return Json::object();
}

}  // namespace

void ApiServer::Impl::bootstrap_namespaces() {
  auto type = registry.by_resource("", "v1", "namespaces");
  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    ObjectKey key{"/namespaces", "", name};
    store.mutate(key, [&](const ObjectPtr& current, uint64_t version) -> Result<ObjectPtr> {
      if (current) return current;
      auto prepared = prepare_create(*type, {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}},
                                     version);
      return std::make_shared<const Json>(std::move(*prepared));
    });
  }
}

void ApiServer::Impl::start_controllers() {
  controller_thread = std::thread([this] { controller_loop(); });
}

void ApiServer::Impl::stop_controllers() {
  {
    std::lock_guard lock(work_mutex);
    stopping = true;
  }
  work_cv.notify_all();
  if (controller_thread.joinable()) controller_thread.join();
}

void ApiServer::Impl::schedule(const ObjectKey& key, std::chrono::milliseconds delay) {
  {
    std::lock_guard lock(work_mutex);
    timed_work.emplace(Clock::now() + delay, key);
  }
  work_cv.notify_all();
}

void ApiServer::Impl::enqueue_gc(const ObjectKey& key) {
  {
    std::lock_guard lock(work_mutex);
    gc_work.insert(key);
  }
  work_cv.notify_all();
}

void ApiServer::Impl::after_write(const ResourceType& type, const ObjectKey& key, const ObjectPtr& before,
                                  const ObjectPtr& after) {
  if (type.kind == "CustomResourceDefinition" && type.group == "apiextensions.k8s.io") {
    if (after && !meta_of(*after).contains("deletionTimestamp")) registry.add_crd(*after);
    if (!after && before) {
      const Json& spec = before->value("spec", Json::object());
      std::string group = spec.value("group", "");
      std::string plural = spec.value("names", Json::object()).value("plural", "");
      registry.remove_crd(group, plural);
      // The custom resources go with their definition.
      ObjectStore::ListOptions all;
      for (const auto& object : store.list(group + "/" + plural, all).items) {
        const Json& m = meta_of(*object);
        store.mutate({group + "/" + plural, m.value("namespace", ""), m.value("name", "")},
                     [](const ObjectPtr&, uint64_t) -> Result<ObjectPtr> { return ObjectPtr(); });
      }
    }
  }
  if (after && meta_of(*after).contains("deletionTimestamp")) {
    enqueue_gc(key);
    return;
  }
  if (!after && before) {
    // Dependents of a deleted owner are collected in the background.
    enqueue_gc({"uid", "", meta_of(*before).value("uid", "")});
    return;
  }
  if (!after) return;
  static const std::set<std::string> kReadyKinds = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
                                                    "Pod", "PersistentVolumeClaim", "Service", "Ingress"};
  if (type.custom || !kReadyKinds.count(type.kind)) return;
  bool created = !before;
  bool generation_changed = before && meta_of(*before).value("generation", 0) != meta_of(*after).value("generation", 0);
  if (created || generation_changed) schedule(key, std::chrono::milliseconds(options.ready_delay_ms));
}

void ApiServer::Impl::controller_loop() {
  auto next_bookmark = Clock::now() + std::chrono::seconds(1);
  std::unique_lock lock(work_mutex);
  while (!stopping) {
    auto wake = next_bookmark;
    if (!timed_work.empty()) wake = std::min(wake, timed_work.begin()->first);
    if (!gc_work.empty()) wake = Clock::now();
    work_cv.wait_until(lock, wake);
    if (stopping) break;
    std::vector<ObjectKey> due;
    while (!timed_work.empty() && timed_work.begin()->first <= Clock::now()) {
      due.push_back(timed_work.begin()->second);
      timed_work.erase(timed_work.begin());
    }
    std::vector<ObjectKey> gc(gc_work.begin(), gc_work.end());
    gc_work.clear();
    bool bookmark_due = Clock::now() >= next_bookmark;
    lock.unlock();
    // A bug in one object's handling must not take the whole simulator down.
    auto guarded = [](const ObjectKey& key, auto&& work) {
      try {
        work();
      } catch (const std::exception& e) {
        fprintf(stderr, "ferry sim: controller error on %s %s/%s: %s\n", key.storage.c_str(), key.ns.c_str(),
                key.name.c_str(), e.what());
      }
    };
    for (const auto& key : due) {
      if (key.storage.starts_with("gc:")) guarded(key, [&] { collect_garbage({key.storage.substr(3), key.ns, key.name}); });
      else guarded(key, [&] { reconcile_workload(key); });
    }
    for (const auto& key : gc) guarded(key, [&] { collect_garbage(key); });
    if (bookmark_due) {
      store.bookmark();
      next_bookmark = Clock::now() + std::chrono::seconds(1);
    }
    lock.lock();
  }
}

void ApiServer::Impl::reconcile_workload(const ObjectKey& key) {
  ObjectPtr object = store.get(key);
  if (!object || meta_of(*object).contains("deletionTimestamp")) return;
  std::string kind = object->value("kind", "");
  auto type = registry.by_group_kind(key.storage.substr(0, key.storage.find('/')), kind);
  if (!type) return;
  bool failing = image_fails(pod_spec_of(*object, kind));
  store.mutate(key, [&](const ObjectPtr& current, uint64_t version) -> Result<ObjectPtr> {
    if (!current) return current;
    Json updated = *current;
    if (kind == "PersistentVolumeClaim") {
      updated["spec"]["volumeName"] = "pvc-" + meta_of(*current).value("uid", "");
      updated["status"] = {{"phase", "Bound"}, {"accessModes", current->value("spec", Json::object()).value("accessModes", Json::array())},
                           {"capacity", current->value("spec", Json::object()).value("resources", Json::object()).value("requests", Json::object())}};
    } else if (kind == "Service") {
      if (current->value("spec", Json::object()).value("type", "") != "LoadBalancer") return current;
      updated["status"] = {{"loadBalancer", {{"ingress", {{{"ip", "172.18.255.200"}, {"ipMode", "VIP"}}}}}}};
    } else if (kind == "Ingress") {
      updated["status"] = {{"loadBalancer", {{"ingress", {{{"ip", "172.18.255.201"}}}}}}};
    } else {
      Json status = workload_status(kind, *current, failing);
      if (kind == "Job" && current->value("status", Json::object()).contains("startTime")) {
        status["startTime"] = (*current)["status"]["startTime"];
      }
      updated["status"] = status;
    }
    if (updated == *current) return current;
    ApplyRequest request{type->group, type->kind, type->api_version(), "kube-controller-manager", "status", false, now_rfc3339()};
    record_update(*current, updated, request);
    updated["metadata"]["resourceVersion"] = std::to_string(version);
    return std::make_shared<const Json>(std::move(updated));
  });
  if (kind != "Deployment") return;
  // A Deployment owns one ReplicaSet per pod template, as the deployment controller does.
  const Json& spec = object->value("spec", Json::object());
  Json pod_template = spec.value("template", Json::object());
  std::string hash = template_hash(pod_template);
  pod_template["metadata"]["labels"]["pod-template-hash"] = hash;
  Json selector = spec.value("selector", Json::object());
  selector["matchLabels"]["pod-template-hash"] = hash;
  const Json& meta = meta_of(*object);
  std::string rs_name = meta.value("name", "") + "-" + hash;
  auto rs_type = registry.by_resource("apps", "v1", "replicasets");
  ObjectKey rs_key{"apps/replicasets", key.ns, rs_name};
  Json owner = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", meta.value("name", "")},
                {"uid", meta.value("uid", "")}, {"controller", true}, {"blockOwnerDeletion", true}};
  ObjectPtr before = store.get(rs_key);
  auto rs = store.mutate(rs_key, [&](const ObjectPtr& current, uint64_t version) -> Result<ObjectPtr> {
    int64_t replicas = spec.value("replicas", 1);
    if (current) {
      if (current->value("spec", Json::object()).value("replicas", -1) == replicas) return current;
      Json updated = *current;
      updated["spec"]["replicas"] = replicas;
      updated["metadata"]["generation"] = meta_of(*current).value("generation", 1) + 1;
      updated["metadata"]["resourceVersion"] = std::to_string(version);
      return std::make_shared<const Json>(std::move(updated));
    }
    Json labels = pod_template["metadata"]["labels"];
    Json replica_set = {{"apiVersion", "apps/v1"},
                        {"kind", "ReplicaSet"},
                        {"metadata", {{"name", rs_name}, {"namespace", key.ns}, {"labels", labels},
                                      {"ownerReferences", {owner}}}},
                        {"spec", {{"replicas", replicas}, {"selector", selector}, {"template", pod_template}}}};
    auto prepared = prepare_create(*rs_type, std::move(replica_set), version);
    if (!prepared.ok()) return prepared.status();
    ApplyRequest request{"apps", "ReplicaSet", "apps/v1", "kube-controller-manager", "", false, now_rfc3339()};
    record_update(Json(), *prepared, request);
    return std::make_shared<const Json>(std::move(*prepared));
  });
  if (rs.ok() && *rs != before) after_write(*rs_type, rs_key, before, *rs);
}

void ApiServer::Impl::collect_garbage(const ObjectKey& key) {
  if (key.storage == "uid") {
    // An owner is gone: delete dependents none of whose owners remain.
    for (const auto& dependent : store.dependents_of(key.name)) {
      ObjectPtr object = store.get(dependent);
      if (!object) continue;
      bool owner_left = false;
      for (const auto& ref : meta_of(*object).value("ownerReferences", Json::array())) {
        if (store.uid_exists(ref.value("uid", ""))) owner_left = true;
      }
      if (owner_left) continue;
      auto type = registry.by_group_kind(dependent.storage.substr(0, dependent.storage.find('/')), object->value("kind", ""));
      if (delete_object(dependent, "Background", Json(), false).ok() && type) {
        after_write(*type, dependent, object, store.get(dependent));
      }
    }
    return;
  }
  ObjectPtr object = store.get(key);
  if (!object || !meta_of(*object).contains("deletionTimestamp")) return;
  const Json& meta = meta_of(*object);
  std::string uid = meta.value("uid", "");
  Json finalizers = meta.value("finalizers", Json::array());
  auto has = [&](const std::string& f) { return std::find(finalizers.begin(), finalizers.end(), f) != finalizers.end(); };
  auto retry = [&] { schedule({"gc:" + key.storage, key.ns, key.name}, kGcRetry); };
  std::string finished;  // the finalizer whose work is done
  if (key.storage == "/namespaces") {
    auto contents = store.keys_in_namespace(key.name);
    for (const auto& k : contents) {
      ObjectPtr child = store.get(k);
      if (!child) continue;
      auto type = registry.by_group_kind(k.storage.substr(0, k.storage.find('/')), child->value("kind", ""));
      if (delete_object(k, "Background", Json(), false).ok() && type) after_write(*type, k, child, store.get(k));
    }
    if (!store.keys_in_namespace(key.name).empty()) return retry();
    Json spec_finalizers = object->value("spec", Json::object()).value("finalizers", Json::array());
    if (!spec_finalizers.empty() || !finalizers.empty()) {
      store.mutate(key, [&](const ObjectPtr& current, uint64_t version) -> Result<ObjectPtr> {
        if (!current) return current;
        Json updated = *current;
        updated["spec"]["finalizers"] = Json::array();
        updated["metadata"]["resourceVersion"] = std::to_string(version);
        return std::make_shared<const Json>(std::move(updated));
      });
      if (!finalizers.empty()) return;  // someone else's finalizer still holds it
    }
  } else if (has("foregroundDeletion")) {
    auto dependents = store.dependents_of(uid);
    for (const auto& d : dependents) {
      ObjectPtr child = store.get(d);
      if (!child || meta_of(*child).contains("deletionTimestamp")) continue;
      auto type = registry.by_group_kind(d.storage.substr(0, d.storage.find('/')), child->value("kind", ""));
      if (delete_object(d, "Foreground", Json(), false).ok() && type) after_write(*type, d, child, store.get(d));
    }
    if (!store.dependents_of(uid).empty()) return retry();
    finished = "foregroundDeletion";
  } else if (has("orphan")) {
    for (const auto& d : store.dependents_of(uid)) {
      store.mutate(d, [&](const ObjectPtr& current, uint64_t version) -> Result<ObjectPtr> {
        if (!current) return current;
        Json updated = *current;
        Json refs = Json::array();
        for (const auto& ref : meta_of(*current).value("ownerReferences", Json::array())) {
          if (ref.value("uid", "") != uid) refs.push_back(ref);
        }
        if (refs.empty()) updated["metadata"].erase("ownerReferences");
        else updated["metadata"]["ownerReferences"] = refs;
        updated["metadata"]["resourceVersion"] = std::to_string(version);
        return std::make_shared<const Json>(std::move(updated));
      });
    }
    finished = "orphan";
  }
  // Remove the finished finalizer; delete the object once no finalizer is left.
  ObjectPtr before = store.get(key);
  store.mutate(key, [&](const ObjectPtr& current, uint64_t version) -> Result<ObjectPtr> {
    if (!current) return current;
    Json left = Json::array();
    for (const auto& f : meta_of(*current).value("finalizers", Json::array())) {
      if (f != finished) left.push_back(f);
    }
    bool spec_held = key.storage == "/namespaces" &&
                     !current->value("spec", Json::object()).value("finalizers", Json::array()).empty();
    if (left.empty() && !spec_held) return ObjectPtr();
    if (left.size() == meta_of(*current).value("finalizers", Json::array()).size()) return current;
    Json updated = *current;
    updated["metadata"]["finalizers"] = left;
    updated["metadata"]["resourceVersion"] = std::to_string(version);
    return std::make_shared<const Json>(std::move(updated));
  });
  if (before && !store.get(key)) {
    enqueue_gc({"uid", "", uid});
  }
}

}  // namespace ferry::kube::sim
