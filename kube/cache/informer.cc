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
  const StoredObject* object = objects_.find(namespace_ + "/" + name);
  if (!object) return std::nullopt;
  return Json::parse(object->json());
}

std::vector<Json> Informer::list(const std::string& namespace_) const {
  std::vector<Json> out;
  const std::string prefix = namespace_.empty() ? "" : namespace_ + "/";
  std::lock_guard<std::mutex> lock(mu_);
  objects_.for_each_with_prefix(prefix, [&](const StoredObject& object) { out.push_back(Json::parse(object.json())); });
  return out;
}

std::vector<std::pair<std::string, std::string>> Informer::versions(const std::string& namespace_) const {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string prefix = namespace_ + "/";
  std::lock_guard<std::mutex> lock(mu_);
  objects_.for_each_with_prefix(prefix, [&](const StoredObject& object) {
    out.emplace_back(object.key().substr(prefix.size()), object.version());
  });
  return out;
}

std::vector<Json> Informer::with_label(const std::string& value) const {
  std::vector<Json> out;
  std::lock_guard<std::mutex> lock(mu_);
  objects_.for_each_with_label(value, [&](const StoredObject& object) { out.push_back(Json::parse(object.json())); });
  return out;
}

std::vector<std::string> Informer::names_with_label(const std::string& value) const {
  std::vector<std::string> out;
  std::lock_guard<std::mutex> lock(mu_);
  objects_.for_each_with_label(value, [&](const StoredObject& object) { out.emplace_back(object.key()); });
  return out;
}

size_t Informer::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return objects_.size();
}

size_t Informer::stored_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return objects_.bytes();
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

ObjectKey Informer::object_key(std::string_view key) const {
  auto slash = key.find('/');
  return {resource_.group, resource_.kind, std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

StoredObject::Ptr Informer::store_form(const Json& object) const {
  const Json& meta = metadata_of(object);
  std::string label;
  auto labels = meta.find("labels");
  if (labels != meta.end() && labels->is_object()) label = string_at(*labels, options_.index_label.c_str());
  return StoredObject::make(key_of(object), label, string_at(meta, "resourceVersion"), object.dump());
}

void Informer::notify(ChangeType type, std::string_view key, const Json& object) {
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
  ObjectStore fresh;
  // Page by page: each object becomes compact text at once, so a relist never holds every
  // parsed object (a parsed document costs ~10x its text).
  auto listed = client_->list_pages(collection, list_options, [&](Json& items) {
    for (auto& item : items) {
      item["apiVersion"] = api_version;
      item["kind"] = resource_.kind;
      fresh.put(store_form(item));
    }
  });
  if (!listed.ok()) {
    set_error(listed.status());
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    objects_.swap(fresh);  // `fresh` now holds the previous objects, to tell what changed
    version_ = *listed;
    synced_ = true;
    error_ = Status::Ok();
  }
  cv_.notify_all();
  ++lists_;
  notify_relisted(fresh);
  return true;
}

void Informer::notify_relisted(const ObjectStore& before) {
  if (callbacks_.empty()) return;
  // Reported after the swap, so readers already see the changes. Only this thread writes
  // objects_, so it reads without the lock while callbacks run.
  objects_.for_each_with_prefix("", [&](const StoredObject& object) {
    const StoredObject* old = before.find(object.key());
    if (old && old->version() == object.version()) return;
    notify(old ? ChangeType::kModified : ChangeType::kAdded, object.key(), Json::parse(object.json()));
  });
  before.for_each_with_prefix("", [&](const StoredObject& old) {
    if (!objects_.find(old.key())) notify(ChangeType::kDeleted, old.key(), Json::parse(old.json()));
  });
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
  StoredObject::Ptr stored = store_form(object);
  std::string_view key = stored->key();  // stays valid: only this thread replaces or erases it
  StoredObject::Ptr replaced;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stored->version().empty()) version_ = stored->version();
    replaced = objects_.put(std::move(stored));
  }
  notify(replaced ? ChangeType::kModified : ChangeType::kAdded, key, object);
}

void Informer::erase(const Json& object) {
  std::string key = key_of(object);
  StoredObject::Ptr removed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string version = string_at(metadata_of(object), "resourceVersion");
    if (!version.empty()) version_ = version;
    removed = objects_.erase(key);
  }
  if (removed && !callbacks_.empty()) notify(ChangeType::kDeleted, key, Json::parse(removed->json()));
}

}  // namespace ferry::kube
