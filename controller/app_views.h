// AppViews<T>: one value derived from each Application (an API answer's text, a webhook's
// source, a metrics line...), recomputed only when the app's resourceVersion changes. The watch
// keeps apps as compact text (kube/cache/informer.h), so reading all of them means parsing all
// of them; a surface that reads every app per request keeps its views here instead.
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controller/controller.h"

namespace ferry::controller {

template <class T>
class AppViews {
 public:
  // `make` derives the view from a whole Application; std::nullopt leaves the app out.
  AppViews(const Controller& controller, std::function<std::optional<T>(Json app)> make)
      : controller_(controller), make_(std::move(make)) {}

  // Every app's view, by app name; parses only the apps changed since the last call.
  std::vector<std::shared_ptr<const T>> get() {
    auto versions = controller_.application_versions();
    std::vector<std::shared_ptr<const T>> out;
    out.reserve(versions.size());
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, Entry> current;
    for (const auto& [name, resource_version] : versions) {
      auto known = views_.find(name);
      if (known != views_.end() && known->second.resource_version == resource_version) {
        if (known->second.view) out.push_back(known->second.view);
        current.emplace(name, std::move(known->second));
        continue;
      }
      auto app = controller_.application(name);
      if (!app || !app->is_object()) continue;  // deleted since the versions were read
      Entry entry;
      // The version read may be newer than the one listed: the next call reads it once more.
      entry.resource_version = app->value("/metadata/resourceVersion"_json_pointer, std::string());
      if (auto view = make_(std::move(*app))) entry.view = std::make_shared<const T>(std::move(*view));
      if (entry.view) out.push_back(entry.view);
      current.emplace(name, std::move(entry));
    }
    views_ = std::move(current);
    return out;
  }

 private:
  struct Entry {
    std::string resource_version;
    std::shared_ptr<const T> view;  // null: left out
  };
  const Controller& controller_;
  std::function<std::optional<T>(Json)> make_;
  std::mutex mu_;
  std::map<std::string, Entry> views_;  // by app name; guarded by mu_
};

}  // namespace ferry::controller
