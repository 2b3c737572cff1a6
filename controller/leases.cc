#include "controller/leases.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <sstream>
#include <vector>

#include "apis/types/log.h"

namespace ferry::controller {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kLeaseApiVersion = "coordination.k8s.io/v1";
constexpr const char* kGroupLabel = "ferry.dev/lease-group";

// FNV-1a then SplitMix64's finaliser: short names spread evenly over the shards.
uint64_t stable_hash(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

// A Lease's MicroTime: RFC 3339 with microseconds, UTC.
std::string micro_time_now() {
  auto now = std::chrono::system_clock::now();
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];  // room for any int the compiler cannot rule out
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<long long>(micros));
  return text;
}

// Lower-case letters, digits and '-' only: the identity becomes part of a Lease name.
std::string dns_label_text(const std::string& text) {
  std::string out;
  for (char c : text) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += (std::isalnum(static_cast<unsigned char>(l)) ? l : '-');
  }
  while (!out.empty() && out.front() == '-') out.erase(out.begin());
  if (out.size() > 180) out.resize(180);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

}  // namespace

int shard_of(const std::string& app_name, int shards) {
  if (shards <= 1) return 0;
  return static_cast<int>(stable_hash(app_name) % static_cast<uint64_t>(shards));
}

std::string default_identity() {
  std::string base;
  if (const char* pod = std::getenv("POD_NAME"); pod && *pod) base = pod;
  if (base.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0) base = host;
  }
  if (base.empty()) base = "ferry";
  std::random_device random;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
  return dns_label_text(base) + "-" + suffix;
}

ShardLeases::ShardLeases(std::shared_ptr<kube::Client> client, LeaseOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

ShardLeases::~ShardLeases() { stop(); }

std::string ShardLeases::shard_lease(int shard) const {
  return options_.shards == 1 ? options_.prefix + "-leader" : options_.prefix + "-shard-" + std::to_string(shard);
}

std::string ShardLeases::member_lease() const { return options_.prefix + "-replica-" + options_.identity; }

Status ShardLeases::start(Callbacks callbacks) {
  if (options_.identity.empty() || options_.identity != dns_label_text(options_.identity)) {
    return Status::Invalid("replica identity \"" + options_.identity +
                           "\" must be lower-case letters, digits and '-' (it names a Lease)");
  }
  if (options_.shards < 1 || options_.shards > 1000) return Status::Invalid("--shards must be between 1 and 1000");
  if (options_.retry_period <= std::chrono::milliseconds(0) || options_.renew_deadline <= options_.retry_period ||
      options_.lease_duration <= options_.renew_deadline) {
    return Status::Invalid("lease timings must satisfy 0 < retry period < renew deadline < lease duration");
  }
  if (options_.lease_duration < std::chrono::seconds(1)) return Status::Invalid("the lease duration is at least 1s");
  callbacks_ = std::move(callbacks);
  round();
  thread_ = std::thread([this] { loop(); });
  return Status::Ok();
}

void ShardLeases::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || !thread_.joinable()) {
      stopping_ = true;
      return;
    }
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  // Hand everything back at once: a successor need not wait for the Leases to expire.
  std::set<int> held;
  std::map<std::string, Seen> seen;
  {
    std::lock_guard<std::mutex> lock(mu_);
    held = held_;
    seen = seen_;
    held_.clear();
    draining_.clear();
  }
  for (int shard : held) {
    auto it = seen.find(shard_lease(shard));
    if (it != seen.end()) (void)release(it->first, it->second);
  }
  kube::DeleteOptions del;
  if (auto it = seen.find(member_lease()); it != seen.end()) del.precondition_resource_version = it->second.version;
  (void)client_->remove({kLeaseApiVersion, "Lease", options_.namespace_, member_lease()}, del);
  log::info("released leases", {{"replica", options_.identity}, {"shards", std::to_string(held.size())}});
}

void ShardLeases::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.retry_period, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    round();
    lock.lock();
  }
}

std::string ShardLeases::holder(const Seen& seen) const {
  return seen.object.value("/spec/holderIdentity"_json_pointer, std::string());
}

bool ShardLeases::expired(const Seen& seen, Clock::time_point now) const {
  if (holder(seen).empty()) return true;
  long seconds = seen.object.value("/spec/leaseDurationSeconds"_json_pointer, 0L);
  if (seconds <= 0) seconds = std::chrono::duration_cast<std::chrono::seconds>(options_.lease_duration).count();
  return now - seen.changed > std::chrono::seconds(seconds);
}

Json ShardLeases::lease(const std::string& name, const std::string& holder_identity, int transitions,
                        bool acquiring) const {
  long seconds = static_cast<long>(std::ceil(options_.lease_duration.count() / 1000.0));
  Json spec = {{"holderIdentity", holder_identity},
               {"leaseDurationSeconds", seconds},
               {"renewTime", micro_time_now()},
               {"leaseTransitions", transitions}};
  if (acquiring) spec["acquireTime"] = micro_time_now();
  return {{"apiVersion", kLeaseApiVersion},
          {"kind", "Lease"},
          {"metadata", {{"name", name}, {"namespace", options_.namespace_}, {"labels", {{kGroupLabel, options_.prefix}}}}},
          {"spec", spec}};
}

Result<Json> ShardLeases::claim(const std::string& name, const Seen* seen, bool keep_acquire_time) {
  if (!seen) return client_->create(lease(name, options_.identity, 0, true));
  bool taking_over = holder(*seen) != options_.identity;
  int transitions = seen->object.value("/spec/leaseTransitions"_json_pointer, 0) + (taking_over ? 1 : 0);
  Json object = lease(name, options_.identity, transitions, taking_over || !keep_acquire_time);
  if (!taking_over && keep_acquire_time && seen->object.contains("spec") && seen->object["spec"].contains("acquireTime")) {
    object["spec"]["acquireTime"] = seen->object["spec"]["acquireTime"];
  }
  object["metadata"]["resourceVersion"] = seen->version;  // a Conflict when someone wrote it first
  return client_->update(object);
}

Status ShardLeases::release(const std::string& name, const Seen& seen) {
  Json object = lease(name, "", seen.object.value("/spec/leaseTransitions"_json_pointer, 0), false);
  object["spec"].erase("holderIdentity");
  object["metadata"]["resourceVersion"] = seen.version;
  auto written = client_->update(object);
  return written.ok() ? Status::Ok() : written.status();
}

std::set<std::string> ShardLeases::live_members(Clock::time_point now) const {
  std::set<std::string> members{options_.identity};
  std::string prefix = options_.prefix + "-replica-";
  for (const auto& [name, seen] : seen_) {
    if (name.rfind(prefix, 0) == 0 && !expired(seen, now)) members.insert(holder(seen));
  }
  return members;
}

std::vector<std::string> ShardLeases::assignment(const std::set<std::string>& members) const {
  // Rendezvous hashing with a cap of ceil(shards / members) each: every replica computes the same
  // answer from the same members, shards spread evenly, and a replica joining or leaving moves
  // few of them.
  size_t cap = (static_cast<size_t>(options_.shards) + members.size() - 1) / members.size();
  std::map<std::string, size_t> load;
  std::vector<std::string> owners(options_.shards);
  for (int shard = 0; shard < options_.shards; ++shard) {
    std::vector<std::pair<uint64_t, std::string>> ranked;
    for (const auto& member : members) ranked.emplace_back(stable_hash(member + "/" + std::to_string(shard)), member);
    std::sort(ranked.rbegin(), ranked.rend());
    for (const auto& [rank, member] : ranked) {
      if (load[member] < cap) {
        owners[shard] = member;
        ++load[member];
        break;
      }
    }
  }
  return owners;
}

void ShardLeases::round() {
  auto now = Clock::now();
  kube::ListOptions list_options;
  list_options.label_selector = std::string(kGroupLabel) + "=" + options_.prefix;
  auto listed = client_->list({kLeaseApiVersion, "Lease", options_.namespace_, ""}, list_options);
  std::unique_lock<std::mutex> lock(mu_);  // released around every call out, below
  if (listed.ok()) {
    std::map<std::string, Seen> fresh;
    for (const auto& item : listed->value("items", Json::array())) {
      std::string name = item["metadata"].value("name", "");
      std::string version = item["metadata"].value("resourceVersion", "");
      auto it = seen_.find(name);
      Seen s{item, version, (it != seen_.end() && it->second.version == version) ? it->second.changed : now};
      fresh[name] = std::move(s);
    }
    seen_ = std::move(fresh);
  } else {
    log::warn("listing leases failed", {{"error", listed.status().to_string()}});
  }
  // Writes a Lease we hold back into seen_, so the next round's precondition is current.
  auto remember = [&](const Json& written) {
    seen_[written["metadata"].value("name", "")] =
        Seen{written, written["metadata"].value("resourceVersion", ""), Clock::now()};
  };

  // Membership: every replica sees who is alive.
  {
    auto it = seen_.find(member_lease());
    std::optional<Seen> mine;
    if (it != seen_.end()) mine = it->second;
    lock.unlock();
    auto written = claim(member_lease(), mine ? &*mine : nullptr, true);
    lock.lock();
    if (written.ok()) remember(*written);
  }

  // Renew what we hold; give up what we cannot renew before anyone may take it.
  bool lost = false;
  for (int shard : std::set<int>(held_)) {
    std::string name = shard_lease(shard);
    auto it = seen_.find(name);
    if (it != seen_.end() && holder(it->second) != options_.identity) {
      log::error("shard lease taken by another replica", {{"lease", name}, {"holder", holder(it->second)}});
      held_.erase(shard);
      draining_.erase(shard);
      lost = true;
      continue;
    }
    std::optional<Seen> current;
    if (it != seen_.end()) current = it->second;
    lock.unlock();
    auto written = claim(name, current ? &*current : nullptr, true);
    lock.lock();
    if (written.ok()) {
      remember(*written);
      renewed_[shard] = Clock::now();
    } else if (Clock::now() - renewed_[shard] > options_.renew_deadline) {
      log::error("could not renew a shard lease in time; giving it up",
                 {{"lease", name}, {"error", written.status().to_string()}});
      held_.erase(shard);
      draining_.erase(shard);
      lost = true;
    }
  }

  auto members = live_members(Clock::now());
  live_replicas_ = members.size();
  std::vector<std::string> owners = assignment(members);
  std::vector<int> acquired;
  for (int shard = 0; shard < options_.shards && !stopping_; ++shard) {
    std::string name = shard_lease(shard);
    bool wanted = options_.shards == 1 || owners[shard] == options_.identity;
    bool holding = held_.count(shard) > 0;
    if (holding && wanted) {
      draining_.erase(shard);
    } else if (holding) {
      // Rebalance: stop starting work for the shard, and hand it over once nothing runs.
      if (draining_.insert(shard).second) log::info("handing over a shard", {{"lease", name}});
      lock.unlock();
      bool busy = callbacks_.busy && callbacks_.busy(shard);
      lock.lock();
      auto it = seen_.find(name);
      if (busy || it == seen_.end()) continue;
      Seen current = it->second;
      lock.unlock();
      Status released = release(name, current);
      lock.lock();
      if (released.ok()) {
        held_.erase(shard);
        draining_.erase(shard);
      }
    } else if (wanted) {
      auto it = seen_.find(name);
      std::optional<Seen> current;
      if (it != seen_.end()) {
        if (!expired(it->second, Clock::now())) continue;
        current = it->second;
      }
      lock.unlock();
      auto written = claim(name, current ? &*current : nullptr, false);
      lock.lock();
      if (!written.ok()) continue;  // someone else was first (Conflict, AlreadyExists)
      remember(*written);
      held_.insert(shard);
      renewed_[shard] = Clock::now();
      ++transitions_;
      acquired.push_back(shard);
      log::info("acquired shard lease", {{"lease", name},
                                         {"replica", options_.identity},
                                         {"previous_holder", current ? holder(*current) : std::string()}});
    }
  }
  lock.unlock();
  for (int shard : acquired) {
    if (callbacks_.acquired) callbacks_.acquired(shard);
  }
  if (lost && callbacks_.lost) callbacks_.lost();
}

bool ShardLeases::owns_shard(int shard) const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_.count(shard) > 0 && draining_.count(shard) == 0;
}

bool ShardLeases::owns_app(const std::string& app_name) const { return owns_shard(shard_of(app_name, options_.shards)); }

std::set<int> ShardLeases::held() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_;
}

std::string ShardLeases::metrics_text() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream out;
  auto help = [&out](const char* name, const char* type, const char* text) {
    out << "# HELP " << name << " " << text << "\n# TYPE " << name << " " << type << "\n";
  };
  if (options_.shards == 1) {
    help("ferry_leader", "gauge", "1 when this replica holds the leader Lease and reconciles.");
    out << "ferry_leader " << (held_.count(0) ? 1 : 0) << "\n";
  }
  help("ferry_shard_held", "gauge", "1 for each shard whose Lease this replica holds.");
  for (int shard = 0; shard < options_.shards; ++shard) {
    out << "ferry_shard_held{shard=\"" << shard << "\"} " << (held_.count(shard) ? 1 : 0) << "\n";
  }
  help("ferry_shards_held", "gauge", "Shards this replica holds.");
  out << "ferry_shards_held " << held_.size() << "\n";
  help("ferry_shards", "gauge", "Shards the Applications are spread over.");
  out << "ferry_shards " << options_.shards << "\n";
  help("ferry_replicas", "gauge", "Replicas this one sees alive (membership Leases).");
  out << "ferry_replicas " << live_replicas_ << "\n";
  help("ferry_lease_transitions_total", "counter", "Shard Leases this replica acquired.");
  out << "ferry_lease_transitions_total " << transitions_.load() << "\n";
  return out.str();
}

}  // namespace ferry::controller
