// Comparison: desired state (rendered objects) against live state for one app — the "refresh"
// half of GitOps. It injects tracking (tracking.h), finds the live objects this app owns, diffs
// each resource (reconciler/diff), takes its health (reconciler/health) and sums both up for the
// app: OutOfSync when any resource is, health the worst of them. Live state comes through a
// LiveView, so the controller can answer from its watch cache (no API requests for an unchanged
// app) and a CLI from direct reads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kube/cache/cluster_cache.h"
#include "kube/client/client.h"
#include "reconciler/diff/diff.h"
#include "reconciler/health/health.h"
#include "reconciler/sync/server_side_diff.h"
#include "reconciler/sync/tracking.h"

namespace ferry::reconciler {

// Where live objects come from. Implementations must be thread-safe.
class LiveView {
 public:
  virtual ~LiveView() = default;
  // Whether apiVersion+kind is namespaced; NotFound when the cluster serves no such kind.
  virtual Result<bool> namespaced(const std::string& api_version, const std::string& kind) = 0;
  // The live object, nullopt when absent.
  virtual Result<std::optional<Json>> get(const std::string& api_version, const ObjectKey& key) = 0;
  // Every live object of a kind in a namespace ("" = all, or cluster-scoped), for looking many
  // objects up at once.
  virtual Result<std::vector<Json>> list(const std::string& api_version, const std::string& kind,
                                         const std::string& namespace_) = 0;
  // Live objects labelled for this app (ferry.dev/app), of the given kinds (apiVersion, kind).
  virtual Result<std::vector<Json>> labelled(const std::string& app,
                                             const std::vector<std::pair<std::string, std::string>>& kinds) = 0;
};

// Reads through the Client: a GET per object and a labelled LIST per kind.
std::unique_ptr<LiveView> client_live_view(std::shared_ptr<kube::Client> client);
// Reads from a ClusterCache (starting to watch a kind on first use) — no requests once warm.
std::unique_ptr<LiveView> cache_live_view(std::shared_ptr<kube::Client> client, std::shared_ptr<kube::ClusterCache> cache);

struct CompareRequest {
  std::string app;                    // the tracking name
  std::string destination_namespace;  // for namespaced objects that name none
  std::vector<Json> rendered;
  // Kinds the app managed before (from its last status), so objects of a kind no longer
  // rendered are still found for pruning.
  std::vector<std::pair<std::string, std::string>> previous_kinds;
  DiffOptions diff;
  // Set: ServerSideDiff=true — a live object is compared with the server's prediction of the
  // applied object instead of the desired one (server_side_diff.h).
  ServerSidePredictor* server_side = nullptr;
};

struct ResourceStatus {
  ObjectKey key;
  std::string api_version;
  SyncState state = SyncState::kSynced;
  Health health;
  bool hook = false;
  ResourceDiff diff;
};

struct Comparison {
  std::vector<Json> desired;  // tracked, ready to apply (hooks included)
  std::vector<Json> live;     // live objects tracked to this app
  std::vector<ResourceStatus> resources;  // sorted by kind order, namespace, name
  SyncState sync = SyncState::kSynced;    // Synced or OutOfSync
  Health health;
  std::vector<std::string> warnings;      // e.g. a desired object owned by another app
  // The kinds involved, for the next CompareRequest::previous_kinds.
  std::vector<std::pair<std::string, std::string>> kinds;
};

Result<Comparison> compare(const CompareRequest& request, LiveView& live);

}  // namespace ferry::reconciler
