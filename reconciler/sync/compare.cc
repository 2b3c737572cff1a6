#include "kube/machinery/group_version.h"
#include "reconciler/sync/compare.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "reconciler/sync/annotations.h"
#include "reconciler/sync/plan.h"

namespace ferry::reconciler {
namespace {

class ClientLiveView : public LiveView {
 public:
  explicit ClientLiveView(std::shared_ptr<kube::Client> client) : client_(std::move(client)) {}

  Result<bool> namespaced(const std::string& api_version, const std::string& kind) override {
    auto resource = client_->resource_for(api_version, kind);
    if (!resource.ok()) return resource.status();
    return resource->namespaced;
  }

  Result<std::optional<Json>> get(const std::string& api_version, const ObjectKey& key) override {
    auto got = client_->get({api_version, key.kind, key.namespace_, key.name});
    if (got.ok()) return std::optional<Json>(std::move(*got));
    if (got.status().is(Reason::kNotFound)) return std::optional<Json>();
    return got.status();
  }

  Result<std::vector<Json>> list(const std::string& api_version, const std::string& kind,
                                 const std::string& namespace_) override {
    auto listed = client_->list({api_version, kind, namespace_, ""});
    if (!listed.ok()) return listed.status();
    std::vector<Json> out;
    for (auto& item : (*listed)["items"]) {
      item["apiVersion"] = api_version;
      item["kind"] = kind;
      out.push_back(std::move(item));
    }
    return out;
  }

  Result<std::vector<Json>> labelled(const std::string& app,
                                     const std::vector<std::pair<std::string, std::string>>& kinds) override {
    std::vector<Json> out;
    kube::ListOptions options;
    options.label_selector = std::string(kAppLabel) + "=" + app_label_value(app);
    for (const auto& [api_version, kind] : kinds) {
      auto listed = client_->list({api_version, kind, "", ""}, options);
      if (!listed.ok()) {
        if (listed.status().is(Reason::kNotFound)) continue;  // the kind is gone (a deleted CRD)
        return listed.status();
      }
      for (auto& item : (*listed)["items"]) {
        item["apiVersion"] = api_version;
        item["kind"] = kind;
        out.push_back(std::move(item));
      }
    }
    return out;
  }

 private:
  std::shared_ptr<kube::Client> client_;
};

class CacheLiveView : public LiveView {
 public:
  CacheLiveView(std::shared_ptr<kube::Client> client, std::shared_ptr<kube::ClusterCache> cache)
      : client_(std::move(client)), cache_(std::move(cache)) {}

  Result<bool> namespaced(const std::string& api_version, const std::string& kind) override {
    auto resource = client_->resource_for(api_version, kind);
    if (!resource.ok()) return resource.status();
    return resource->namespaced;
  }

  Result<std::optional<Json>> get(const std::string& api_version, const ObjectKey& key) override {
    Status watching = ensure_watched(api_version, key.kind);
    if (!watching.ok()) return watching;
    return cache_->get(key);
  }

  Result<std::vector<Json>> list(const std::string& api_version, const std::string& kind,
                                 const std::string& namespace_) override {
    Status watching = ensure_watched(api_version, kind);
    if (!watching.ok()) return watching;
    return cache_->list(kube::group_of(api_version), kind, namespace_);
  }

  Result<std::vector<Json>> labelled(const std::string& app,
                                     const std::vector<std::pair<std::string, std::string>>& kinds) override {
    std::set<std::pair<std::string, std::string>> wanted;
    for (const auto& [api_version, kind] : kinds) {
      Status watching = ensure_watched(api_version, kind);
      if (watching.is(Reason::kNotFound)) continue;
      if (!watching.ok()) return watching;
      wanted.insert({kube::group_of(api_version), kind});
    }
    std::vector<Json> out;
    for (auto& object : cache_->with_label(app_label_value(app))) {
      ObjectKey key = ObjectKey::of(object);
      if (wanted.count({key.group, key.kind})) out.push_back(std::move(object));
    }
    return out;
  }

 private:
  Status ensure_watched(const std::string& api_version, const std::string& kind) {
    if (cache_->watching(kube::group_of(api_version), kind)) return Status::Ok();
    Status started = cache_->watch_kind(api_version, kind);
    if (!started.ok()) return started;
    if (!cache_->wait_synced(std::chrono::minutes(2))) {
      return Status(Reason::kTimeout, "the cache of " + kind + " did not sync");
    }
    return Status::Ok();
  }

  std::shared_ptr<kube::Client> client_;
  std::shared_ptr<kube::ClusterCache> cache_;
};

// A CRD rendered in the same app tells whether its kind is namespaced before the cluster knows it.
std::optional<bool> scope_from_rendered_crd(const std::vector<Json>& rendered, const std::string& group,
                                            const std::string& kind) {
  for (const auto& object : rendered) {
    if (object.value("kind", "") != "CustomResourceDefinition") continue;
    const Json spec = object.value("spec", Json::object());
    if (spec.value("group", "") != group || spec.value("names", Json::object()).value("kind", "") != kind) continue;
    return spec.value("scope", "Namespaced") == "Namespaced";
  }
  return std::nullopt;
}

// Client-side by default. With a predictor, the server's prediction of the applied object stands
// in for the desired one; a missing object needs none, and a refused dry run falls back with a
// warning (the sync will meet the same refusal and report it).
ResourceDiff diff_desired(const Json& desired, const std::optional<Json>& live, const CompareRequest& request,
                          std::vector<std::string>& warnings) {
  if (request.server_side && live) {
    auto predicted = request.server_side->predict(desired, *live);
    if (predicted.ok()) return diff_resource(&*predicted, &*live, request.diff);
    warnings.push_back("server-side diff of " + ObjectKey::of(desired).to_string() + " failed (" +
                       predicted.status().message() + "); compared client-side");
  }
  return diff_resource(&desired, live ? &*live : nullptr, request.diff);
}

}  // namespace

std::unique_ptr<LiveView> client_live_view(std::shared_ptr<kube::Client> client) {
  return std::make_unique<ClientLiveView>(std::move(client));
}

std::unique_ptr<LiveView> cache_live_view(std::shared_ptr<kube::Client> client, std::shared_ptr<kube::ClusterCache> cache) {
  return std::make_unique<CacheLiveView>(std::move(client), std::move(cache));
}

Result<Comparison> compare(const CompareRequest& request, LiveView& live) {
  Comparison out;
  std::set<std::pair<std::string, std::string>> kinds(request.previous_kinds.begin(), request.previous_kinds.end());
  std::map<ObjectKey, size_t> seen;
  std::vector<std::pair<Json*, bool>> to_compare;  // desired object, is a hook
  for (const auto& rendered : request.rendered) {
    std::string api_version = rendered.value("apiVersion", ""), kind = rendered.value("kind", "");
    auto namespaced = live.namespaced(api_version, kind);
    bool is_namespaced = true;
    if (namespaced.ok()) {
      is_namespaced = *namespaced;
    } else if (auto scope = scope_from_rendered_crd(request.rendered, kube::group_of(api_version), kind)) {
      is_namespaced = *scope;  // served once its CRD, in this same app, is applied
    } else if (namespaced.status().is(Reason::kNotFound)) {
      out.warnings.push_back("the cluster serves no " + kind + " in " + api_version + " (is its CRD installed?)");
    } else {
      return namespaced.status();
    }
    Json desired = with_tracking(rendered, request.app, request.destination_namespace, is_namespaced);
    ObjectKey key = ObjectKey::of(desired);
    if (seen.count(key)) {
      out.warnings.push_back("RepeatedResourceWarning: " + key.to_string() + " is rendered more than once; the last wins");
      out.desired[seen[key]] = std::move(desired);
      continue;
    }
    seen[key] = out.desired.size();
    out.desired.push_back(std::move(desired));
    if (namespaced.ok()) kinds.insert({api_version, kind});
  }
  out.kinds.assign(kinds.begin(), kinds.end());

  auto labelled = live.labelled(request.app, out.kinds);
  if (!labelled.ok()) return labelled.status();
  std::map<ObjectKey, Json> live_by_key;
  for (auto& object : *labelled) {
    auto owner = tracked_app(object);
    if (!owner || *owner != request.app) continue;  // the label can collide; the annotation cannot
    ObjectKey key = ObjectKey::of(object);
    live_by_key.emplace(key, std::move(object));
  }

  // Desired objects not found among the labelled ones may exist unlabelled (created by hand,
  // or owned by another app). Many of one kind are looked up with one LIST instead of a GET each.
  constexpr size_t kListThreshold = 16;
  std::map<std::tuple<std::string, std::string, std::string>, size_t> unlabelled_counts;
  for (const auto& desired : out.desired) {
    ObjectKey key = ObjectKey::of(desired);
    if (!live_by_key.count(key)) ++unlabelled_counts[{desired.value("apiVersion", ""), key.kind, key.namespace_}];
  }
  std::map<ObjectKey, Json> unlabelled;
  std::set<std::tuple<std::string, std::string, std::string>> listed_groups;
  for (const auto& [group, count] : unlabelled_counts) {
    if (count < kListThreshold) continue;
    auto listed = live.list(std::get<0>(group), std::get<1>(group), std::get<2>(group));
    if (!listed.ok()) continue;  // fall back to one GET per object
    listed_groups.insert(group);
    for (auto& object : *listed) unlabelled.emplace(ObjectKey::of(object), std::move(object));
  }

  std::vector<Health> healths;
  for (const auto& desired : out.desired) {
    auto annotations = read_sync_annotations(desired);
    if (!annotations.ok()) return annotations.status();
    if (annotations->is_hook || annotations->skip) continue;  // hooks are not compared resources
    ResourceStatus status;
    status.key = ObjectKey::of(desired);
    status.api_version = desired.value("apiVersion", "");
    std::optional<Json> found;
    if (auto it = live_by_key.find(status.key); it != live_by_key.end()) {
      found = it->second;
    } else {
      if (listed_groups.count({status.api_version, status.key.kind, status.key.namespace_})) {
        if (auto it = unlabelled.find(status.key); it != unlabelled.end()) found = it->second;
      } else {
        auto fetched = live.get(status.api_version, status.key);
        if (!fetched.ok() && !fetched.status().is(Reason::kNotFound)) return fetched.status();
        if (fetched.ok()) found = std::move(*fetched);
      }
      if (found) {
        auto owner = tracked_app(*found);
        if (owner && *owner != request.app) {
          out.warnings.push_back("SharedResourceWarning: " + status.key.to_string() + " is managed by app " + *owner);
        }
      }
    }
    status.diff = diff_desired(desired, found, request, out.warnings);
    status.state = status.diff.state;
    status.health = health_of(found ? &*found : nullptr);
    healths.push_back(status.health);
    out.resources.push_back(std::move(status));
  }
  for (auto& [key, object] : live_by_key) {
    if (seen.count(key)) continue;
    auto annotations = read_sync_annotations(object);
    if (annotations.ok() && annotations->is_hook) continue;  // a finished hook, kept by its policy
    ResourceStatus status;
    status.key = key;
    status.api_version = object.value("apiVersion", "");
    status.diff = diff_resource(nullptr, &object, request.diff);
    status.state = SyncState::kRequiresPruning;
    status.health = health_of(&object);
    out.resources.push_back(std::move(status));
  }
  for (auto& [key, object] : live_by_key) out.live.push_back(std::move(object));

  std::sort(out.resources.begin(), out.resources.end(), [](const ResourceStatus& a, const ResourceStatus& b) {
    return std::make_tuple(kind_rank(a.key.group, a.key.kind), a.key.namespace_, a.key.name, a.key.kind) <
           std::make_tuple(kind_rank(b.key.group, b.key.kind), b.key.namespace_, b.key.name, b.key.kind);
  });
  out.sync = SyncState::kSynced;
  for (const auto& r : out.resources) {
    if (r.state != SyncState::kSynced) out.sync = SyncState::kOutOfSync;
  }
  out.health = app_health(healths);
  return out;
}

}  // namespace ferry::reconciler
