// Tracking: how Ferry marks what an app owns (DESIGN.md §3). The annotation
// `ferry.dev/tracking-id: <app>:<group>/<kind>:<namespace>/<name>` is the truth of ownership; the
// label `ferry.dev/app` only lets watches select managed objects, and holds a short hash when the
// app name is not a valid label value. Pure functions; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "kube/cache/informer.h"

namespace ferry::reconciler {

using Json = nlohmann::json;
using kube::ObjectKey;

inline constexpr const char* kTrackingAnnotation = "ferry.dev/tracking-id";
inline constexpr const char* kAppLabel = "ferry.dev/app";

// The `ferry.dev/app` label value for an app: the name itself when it is a valid label value
// (<= 63 characters), else "h-" and 24 hex digits of its SHA-256.
std::string app_label_value(const std::string& app);

// "guestbook:apps/Deployment:default/web"; core group is empty ("guestbook:/Service:default/web").
std::string tracking_id(const std::string& app, const ObjectKey& key);

struct TrackingId {
  std::string app;
  ObjectKey key;
};
std::optional<TrackingId> parse_tracking_id(const std::string& text);

// The app named by an object's tracking annotation, or nullopt when it has none.
std::optional<std::string> tracked_app(const Json& object);

// Desired object with what Ferry injects: the namespace (for namespaced kinds that name none)
// and the tracking annotation and label. Chart labels are never touched.
Json with_tracking(Json object, const std::string& app, const std::string& default_namespace, bool namespaced);

}  // namespace ferry::reconciler
