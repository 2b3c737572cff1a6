#include "reconciler/sync/tracking.h"

#include <openssl/sha.h>

#include <cstdio>

namespace ferry::reconciler {

std::string app_label_value(const std::string& app) {
  if (app.size() <= 63) return app;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(app.data()), app.size(), digest);
  std::string out = "h-";
  char hex[3];
  for (int i = 0; i < 12; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", digest[i]);
    out += hex;
  }
  return out;
}

std::string tracking_id(const std::string& app, const ObjectKey& key) {
  return app + ":" + key.group + "/" + key.kind + ":" + key.namespace_ + "/" + key.name;
}

std::optional<TrackingId> parse_tracking_id(const std::string& text) {
  // Split from the right: the object part has exactly one ':' before it and names hold none.
  auto last = text.rfind(':');
  if (last == std::string::npos || last == 0) return std::nullopt;
  auto middle = text.rfind(':', last - 1);
  if (middle == std::string::npos) return std::nullopt;
  std::string app = text.substr(0, middle);
  std::string group_kind = text.substr(middle + 1, last - middle - 1);
  std::string ns_name = text.substr(last + 1);
  auto gk = group_kind.find('/');
  auto nn = ns_name.find('/');
  if (app.empty() || gk == std::string::npos || nn == std::string::npos) return std::nullopt;
  TrackingId id{app, {group_kind.substr(0, gk), group_kind.substr(gk + 1), ns_name.substr(0, nn), ns_name.substr(nn + 1)}};
  if (id.key.kind.empty() || id.key.name.empty()) return std::nullopt;
  return id;
}

std::optional<std::string> tracked_app(const Json& object) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return std::nullopt;
  auto annotations = meta->find("annotations");
  if (annotations == meta->end() || !annotations->is_object()) return std::nullopt;
  auto value = annotations->find(kTrackingAnnotation);
  if (value == annotations->end() || !value->is_string()) return std::nullopt;
  auto id = parse_tracking_id(value->get<std::string>());
  if (!id) return std::nullopt;
  return id->app;
}

Json with_tracking(Json object, const std::string& app, const std::string& default_namespace, bool namespaced) {
  Json& meta = object["metadata"];
  if (!meta.is_object()) meta = Json::object();
  if (namespaced) {
    if (!meta.contains("namespace") || !meta["namespace"].is_string() || meta["namespace"].get<std::string>().empty()) {
      meta["namespace"] = default_namespace;
    }
  } else {
    meta.erase("namespace");
  }
  ObjectKey key = ObjectKey::of(object);
  if (!meta["annotations"].is_object()) meta["annotations"] = Json::object();
  meta["annotations"][kTrackingAnnotation] = tracking_id(app, key);
  if (!meta["labels"].is_object()) meta["labels"] = Json::object();
  meta["labels"][kAppLabel] = app_label_value(app);
  return object;
}

}  // namespace ferry::reconciler
