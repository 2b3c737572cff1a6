// Helpers shared by the store's unit tests: opening a store on a temporary file and building
// typical records.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/store.h"

namespace ferry::store {

// Opens a store or records a test failure and returns null (callers ASSERT_TRUE the result).
inline std::unique_ptr<Store> open_or_fail(const std::string& path, const Options& options = {}) {
  auto r = Store::open(path, options);
  if (!r.ok()) {
    ADD_FAILURE() << "Store::open(" << path << "): " << r.status().to_string();
    return nullptr;
  }
  return std::move(r).value();
}

inline OperationStart sync_start(const std::string& app, const std::string& revision = "0123abcd") {
  OperationStart s;
  s.app = app;
  s.project = "default";
  s.revision = revision;
  s.source = {{"repoURL", "https://git.example.com/config.git"}, {"path", "apps/" + app}, {"targetRevision", "main"}};
  s.initiated_by = "alice";
  return s;
}

inline ResourceResult config_map_result(const std::string& name, const std::string& status = "Synced") {
  ResourceResult r;
  r.version = "v1";
  r.kind = "ConfigMap";
  r.ns = "default";
  r.name = name;
  r.status = status;
  r.message = "configmap/" + name + " serverside-applied";
  r.sync_phase = "Sync";
  return r;
}

inline Json config_map(const std::string& name, const std::string& value = "v") {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"data", {{"key", value}}}};
}

}  // namespace ferry::store
