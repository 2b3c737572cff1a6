// Server-side diff (sync option or compare option ServerSideDiff=true, as in Argo CD): the API
// server predicts the object a sync would leave — a dry-run server-side apply of the desired
// object with Ferry's field manager — and that prediction is compared with the live object. It
// sees what a client-side comparison cannot: mutating admission webhooks, defaults of custom
// resources, fields other managers own. Predictions are cached by (desired object, live
// resourceVersion), so an app whose objects did not change costs no requests.
// Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "kube/client/client.h"

namespace ferry::reconciler {

using Json = nlohmann::json;

class ServerSidePredictor {
 public:
  explicit ServerSidePredictor(std::shared_ptr<kube::Client> client, std::string field_manager = "ferry",
                               size_t capacity = 20000);

  // The object a forced apply of `desired` would leave, given `live` (which must exist). An error
  // when the API server refuses the dry run (it names why).
  Result<Json> predict(const Json& desired, const Json& live);

  // Dry runs sent so far (cache misses).
  uint64_t requests() const;

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const Json>>;  // key, prediction

  std::shared_ptr<kube::Client> client_;
  const std::string field_manager_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> recent_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_key_;
  uint64_t requests_ = 0;
};

}  // namespace ferry::reconciler
