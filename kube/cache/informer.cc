#include "kube/machinery/group_version.h"
#include "kube/cache/informer.h"

#include <random>

namespace ferry::kube {
namespace {

const Json& metadata_of(const Json& object) {
  static const Json kEmpty = Json::object();
  auto it = object.find("metadata");
  return it != object.end() && it->is_object() ? *it : kEmpty;
}

std::string string_at(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

ObjectKey ObjectKey::of(const Json& object) {
  const Json& meta = metadata_of(object);
  return {group_of(string_at(object, "apiVersion")), string_at(object, "kind"), string_at(meta, "namespace"),
          string_at(meta, "name")};
}

std::string ObjectKey::to_string() const {
  return (group.empty() ? "core" : group) + "/" + kind + "/" + (namespace_.empty() ? "" : namespace_ + "/") + name;
}

Informer::Informer(std::shared_ptr<Client> client, ResourceInfo resource, InformerOptions options)
    : client_(std::move(client)), resource_(std::move(resource)), options_(std::move(options)) {}

Informer::~Informer() { stop(); }

void Informer::add_callback(ChangeCallback callback) { callbacks_.push_back(std::move(callback)); }

void Informer::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void Informer::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  cancel_.cancel();
  if (thread_.joinable()) thread_.join();
}

bool Informer::synced() const {
  std::lock_guard<std::mutex> lock(mu_);
  return synced_;
}

bool Informer::wait_synced(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return synced_ || stopping_; }) && synced_;
}

std::optional<Json> Informer::get(const std::string& namespace_, const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(namespace_ + "/" + name);
  if (it == objects_.end()) return std::nullopt;
  return Json::parse(it->second.json);
}

std::vector<Json> Informer::list(const std::string& namespace_) const {
  std::vector<Json> out;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = namespace_.empty() ? objects_.begin() : objects_.lower_bound(namespace_ + "/");
  for (; it != objects_.end(); ++it) {
    if (!namespace_.empty() && it->first.compare(0, namespace_.size() + 1, namespace_ + "/") != 0) break;
    out.push_back(Json::parse(it->second.json));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Informer::versions(const std::string& namespace_) const {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string prefix = namespace_ + "/";
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it) {
    out.emplace_back(it->first.substr(prefix.size()), it->second.resource_version);
  }
  return out;
}

std::vector<Json> Informer::with_label(const std::string& value) const {
  std::vector<Json> out;
  std::lock_guard<std::mutex> lock(mu_);
  auto found = by_label_.find(value);
  if (found == by_label_.end()) return out;
  for (const auto& key : found->second) out.push_back(Json::parse(objects_.at(key).json));
  return out;
}

std::vector<std::string> Informer::names_with_label(const std::string& value) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = by_label_.find(value);
  if (found == by_label_.end()) return {};
  return {found->second.begin(), found->second.end()};
}

size_t Informer::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return objects_.size();
}

size_t Informer::stored_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stored_bytes_;
}

std::string Informer::resource_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

Status Informer::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

void Informer::set_error(Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  error_ = std::move(status);
}

std::string Informer::key_of(const Json& object) const {
  const Json& meta = metadata_of(object);
  return (resource_.namespaced ? string_at(meta, "namespace") : "") + "/" + string_at(meta, "name");
}

ObjectKey Informer::object_key(const std::string& key) const {
  auto slash = key.find('/');
  return {resource_.group, resource_.kind, key.substr(0, slash), key.substr(slash + 1)};
}

void Informer::index_add(const std::string& label, const std::string& key) {
  if (!label.empty()) by_label_[label].insert(key);
}

void Informer::index_remove(const std::string& label, const std::string& key) {
  if (label.empty()) return;
  auto it = by_label_.find(label);
  if (it == by_label_.end()) return;
  it->second.erase(key);
  if (it->second.empty()) by_label_.erase(it);
}

void Informer::notify(ChangeType type, const std::string& key, const Json& object) {
  if (callbacks_.empty()) return;
  Change change{type, object_key(key), object};
  for (const auto& callback : callbacks_) callback(change);
}

bool Informer::sleep_for(std::chrono::milliseconds delay) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, delay, [this] { return stopping_; });
}

void Informer::run() {
  std::mt19937 random(std::random_device{}());
  auto backoff = options_.backoff_base;
  bool need_list = true;
  int failures = 0;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    if (need_list) {
      if (!relist()) {
        if (!sleep_for(backoff)) return;
        backoff = std::min(backoff * 2, options_.backoff_max);
        continue;
      }
      need_list = false;
      failures = 0;
      backoff = options_.backoff_base;
    }
    Status watched = watch_once();
    if (cancel_.cancelled()) return;
    if (watched.ok()) {
      failures = 0;
      backoff = options_.backoff_base;
      continue;  // the server ended the watch on time: resume from the last version
    }
    set_error(watched);
    if (watched.is(Reason::kGone)) {
      need_list = true;  // our version fell out of the server's history
      continue;
    }
    if (++failures >= options_.failures_before_relist) need_list = true;
    // Jitter keeps many informers from retrying in lockstep after an API server restart.
    auto jittered = backoff / 2 + std::chrono::milliseconds(std::uniform_int_distribution<long>(
                                      0, std::max<long>(1, static_cast<long>(backoff.count() / 2)))(random));
    if (!sleep_for(jittered)) return;
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

bool Informer::relist() {
  std::string api_version = (resource_.group.empty() ? "" : resource_.group + "/") + resource_.version;
  ObjectRef collection{api_version, resource_.kind, options_.namespace_, ""};
  ListOptions list_options;
  list_options.label_selector = options_.label_selector;
  list_options.limit = options_.page_size;
  // Only the versions: copying the stored objects would double the cache for a moment.
  std::map<std::string, std::string> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, entry] : objects_) old.emplace(key, entry.resource_version);
  }
  struct Pending {
    ChangeType type;
    std::string key;
    std::string deleted_json;  // for kDeleted: the last known object; others are read after the swap
  };
  std::vector<Pending> changes;  // reported after the swap, so readers already see them
  std::map<std::string, Entry> fresh;
  size_t bytes = 0;
  // Page by page: each object becomes compact text at once, so a relist never holds every
  // parsed object (a parsed document costs ~10x its text).
  auto listed = client_->list_pages(collection, list_options, [&](Json& items) {
    for (auto& item : items) {
      item["apiVersion"] = api_version;
      item["kind"] = resource_.kind;
      std::string key = key_of(item);
      const Json& meta = metadata_of(item);
      Entry entry{item.dump(), "", string_at(meta, "resourceVersion")};
      auto labels = meta.find("labels");
      if (labels != meta.end() && labels->is_object()) entry.label = string_at(*labels, options_.index_label.c_str());
      auto before = old.find(key);
      std::optional<ChangeType> change = ChangeType::kAdded;
      if (before != old.end()) {
        change = before->second == entry.resource_version ? std::nullopt : std::optional(ChangeType::kModified);
        old.erase(before);
      }
      if (change && !callbacks_.empty()) changes.push_back({*change, key, ""});
      bytes += entry.json.size() + key.size();
      fresh.emplace(std::move(key), std::move(entry));
    }
  });
  if (!listed.ok()) {
    set_error(listed.status());
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    objects_.swap(fresh);  // `fresh` now holds the previous objects: the deleted ones' last state
    if (!callbacks_.empty()) {
      for (const auto& [key, version] : old) {
        auto last = fresh.find(key);
        changes.push_back({ChangeType::kDeleted, key, last == fresh.end() ? "" : std::move(last->second.json)});
      }
    }
    by_label_.clear();
    for (const auto& [key, entry] : objects_) index_add(entry.label, key);
    stored_bytes_ = bytes;
    version_ = *listed;
    synced_ = true;
    error_ = Status::Ok();
  }
  cv_.notify_all();
  ++lists_;
  for (const auto& change : changes) {
    if (change.type == ChangeType::kDeleted) {
      notify(change.type, change.key, Json::parse(change.deleted_json));
      continue;
    }
    std::string text;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = objects_.find(change.key);
      if (it == objects_.end()) continue;
      text = it->second.json;
    }
    notify(change.type, change.key, Json::parse(text));
  }
  return true;
}

Status Informer::watch_once() {
  std::string api_version = (resource_.group.empty() ? "" : resource_.group + "/") + resource_.version;
  ObjectRef collection{api_version, resource_.kind, options_.namespace_, ""};
  WatchOptions watch_options;
  watch_options.label_selector = options_.label_selector;
  watch_options.resource_version = resource_version();
  watch_options.bookmarks = true;
  static thread_local std::mt19937 random(std::random_device{}());
  int base = std::max(1, options_.watch_timeout_seconds);
  watch_options.timeout_seconds = base + std::uniform_int_distribution<int>(0, base)(random);
  watch_options.cancel = &cancel_;
  auto watched = client_->watch(collection, watch_options, [&](const WatchEvent& event) {
    if (event.type == "ADDED" || event.type == "MODIFIED") {
      Json object = event.object;
      object["apiVersion"] = api_version;
      object["kind"] = resource_.kind;
      upsert(object);
    } else if (event.type == "DELETED") {
      erase(event.object);
    } else if (event.type == "BOOKMARK") {
      std::string version = string_at(metadata_of(event.object), "resourceVersion");
      std::lock_guard<std::mutex> lock(mu_);
      if (!version.empty()) version_ = version;
    }
    return !cancel_.cancelled();
  });
  return watched.ok() ? Status::Ok() : watched.status();
}

void Informer::upsert(const Json& object) {
  std::string key = key_of(object);
  const Json& meta = metadata_of(object);
  Entry entry{object.dump(), "", string_at(meta, "resourceVersion")};
  auto labels = meta.find("labels");
  if (labels != meta.end() && labels->is_object()) entry.label = string_at(*labels, options_.index_label.c_str());
  ChangeType type = ChangeType::kAdded;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(key);
    if (it != objects_.end()) {
      type = ChangeType::kModified;
      index_remove(it->second.label, key);
      stored_bytes_ -= it->second.json.size() + key.size();
      it->second = std::move(entry);
    } else {
      it = objects_.emplace(key, std::move(entry)).first;
    }
    index_add(it->second.label, key);
    stored_bytes_ += it->second.json.size() + key.size();
    if (!it->second.resource_version.empty()) version_ = it->second.resource_version;
  }
  notify(type, key, object);
}

void Informer::erase(const Json& object) {
  std::string key = key_of(object);
  std::optional<Json> last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string version = string_at(metadata_of(object), "resourceVersion");
    if (!version.empty()) version_ = version;
    auto it = objects_.find(key);
    if (it == objects_.end()) return;
    if (!callbacks_.empty()) last = Json::parse(it->second.json);
    index_remove(it->second.label, key);
    stored_bytes_ -= it->second.json.size() + key.size();
    objects_.erase(it);
  }
  if (last) notify(ChangeType::kDeleted, key, *last);
}

}  // namespace ferry::kube
