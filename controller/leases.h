// ShardLeases: which Applications this replica may reconcile when several replicas run
// (DESIGN.md §8, issue 9), held as coordination.k8s.io/v1 Leases — what Kubernetes offers for
// leader election — rather than anything home-made.
//
// Apps are spread over `shards` shards by a stable hash of their name; each shard is one Lease
// (`<prefix>-shard-<i>`, or `<prefix>-leader` when shards == 1, the leader-election case). Each
// replica also renews a membership Lease (`<prefix>-replica-<id>`), so every replica sees who is
// alive. With several shards, each shard belongs to the live replica that ranks highest for it
// among those not yet holding their even share (rendezvous hashing with a cap: shards spread
// evenly and a replica joining or leaving moves few of them); a
// replica hands a shard over only once no operation of that shard is running. With one shard
// (leader election) the holder keeps it until it stops or dies.
//
// Safety, as client-go's leader election: a Lease is expired when its record has not changed
// for leaseDurationSeconds as seen by this replica's own monotonic clock (no clock comparison
// between machines), and a holder that cannot renew within `renew_deadline` (< lease_duration)
// gives the shard up (on_lost) before anyone else may take it — so no app is ever synced by two
// replicas at once. stop() releases the Leases (holder cleared) so a successor takes over at once.
// Thread-safe; owns one thread between start() and stop().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kube/client/client.h"

namespace ferry::controller {

using Json = nlohmann::json;

struct LeaseOptions {
  std::string namespace_ = "ferry";  // where the Leases live (the Applications' namespace)
  std::string prefix = "ferry-controller";
  std::string identity;  // this replica; unique among the running replicas
  int shards = 1;        // 1 = leader election
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
};

// The shard of an app (its name in the Applications' namespace) among `shards`: FNV-1a, so
// every replica and every release agrees.
int shard_of(const std::string& app_name, int shards);

// A replica identity from the pod name (POD_NAME, else the host name) and a random suffix, so a
// restarted pod is a new holder.
std::string default_identity();

class ShardLeases {
 public:
  struct Callbacks {
    std::function<void(int shard)> acquired;  // this replica now reconciles the shard's apps
    std::function<bool(int shard)> busy;      // an operation of the shard is still running
    std::function<void()> lost;               // a held shard could not be renewed in time
  };

  ShardLeases(std::shared_ptr<kube::Client> client, LeaseOptions options);
  ~ShardLeases();  // stops
  ShardLeases(const ShardLeases&) = delete;
  ShardLeases& operator=(const ShardLeases&) = delete;

  // Checks the options (Invalid naming the bad one) and starts the loop; the first round runs
  // before start() returns, so a free shard is held at once.
  Status start(Callbacks callbacks);
  // Stops the loop and releases the held Leases. Call it once the controller has stopped.
  void stop();

  bool owns_app(const std::string& app_name) const;
  bool owns_shard(int shard) const;
  std::set<int> held() const;
  int shards() const { return options_.shards; }
  const std::string& identity() const { return options_.identity; }
  // ferry_leader / ferry_shard_held / ferry_shards_held / ferry_replicas / ferry_lease_transitions_total.
  std::string metrics_text() const;

 private:
  struct Seen {  // a Lease as this replica last saw it
    Json object;
    std::string version;  // resourceVersion: changes on every renewal
    std::chrono::steady_clock::time_point changed;  // when `version` last changed, here
  };

  void loop();
  void round();
  bool expired(const Seen& seen, std::chrono::steady_clock::time_point now) const;
  std::string holder(const Seen& seen) const;
  std::string shard_lease(int shard) const;
  std::string member_lease() const;
  Json lease(const std::string& name, const std::string& holder, int transitions, bool acquiring) const;
  // Creates or takes over (`seen` not null) the Lease for this replica. Returns the Lease written.
  Result<Json> claim(const std::string& name, const Seen* seen, bool keep_acquire_time);
  Status release(const std::string& name, const Seen& seen);
  std::set<std::string> live_members(std::chrono::steady_clock::time_point now) const;
  // The replica each shard belongs to, by index.
  std::vector<std::string> assignment(const std::set<std::string>& members) const;

  std::shared_ptr<kube::Client> client_;
  LeaseOptions options_;
  Callbacks callbacks_;

  mutable std::mutex mu_;
  std::map<std::string, Seen> seen_;  // Leases by name; guarded by mu_
  std::set<int> held_;                // guarded by mu_
  std::set<int> draining_;            // held, handed over once idle; guarded by mu_
  std::map<int, std::chrono::steady_clock::time_point> renewed_;  // last renewal; guarded by mu_
  size_t live_replicas_ = 0;                                     // guarded by mu_
  std::atomic<uint64_t> transitions_{0};

  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace ferry::controller
