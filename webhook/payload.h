// Reading a delivery: which Git host sent it (from its headers), what kind of event it is, and
// for pushes the PushEvents its JSON body describes. Each provider's payload shape is read by
// its own small function; everything else here is shared. Pure functions; thread-safe. JSON
// errors never escape: a body that is not what the provider documents is a BadRequest.
//
//   auto delivery = detect_delivery(request);           // GitHub, "push"
//   if (event_kind(*delivery) == EventKind::kPush) {
//     auto events = parse_push(delivery->provider, json_text(request));  // one per ref
//   }
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "apis/http/server.h"
#include "apis/types/status.h"
#include "webhook/push_event.h"

namespace ferry::webhook {

struct Delivery {
  Provider provider = Provider::kGitHub;
  std::string event;  // the provider's event name: "push", "Push Hook", "repo:refs_changed", ...
};

// The provider and event named by the request's headers. Gitea and Gogs also send GitHub's
// headers, so their own are looked at first; Bitbucket Cloud and Server share X-Event-Key and
// are told apart by the event names each uses (and Cloud's X-Hook-UUID). BadRequest when no
// known header is present.
Result<Delivery> detect_delivery(const http::Request& request);

enum class EventKind {
  kPush,  // a ref moved: parse it and dispatch
  kPing,  // the host checking the hook works: answer, do nothing
  kOther, // issues, pull requests, ...: acknowledged and ignored
};
EventKind event_kind(const Delivery& delivery);

// The JSON text of a delivery. GitHub and Gitea can be set to post
// application/x-www-form-urlencoded bodies carrying the JSON in a `payload` field; everything
// else is the body itself. Signatures are over the raw body, never over this.
std::string json_text(const http::Request& request);

// A push payload's events, one per ref it names (Bitbucket may list several refs; the others
// exactly one). BadRequest when the text is not JSON, nests deeper than any real payload, or
// lacks the repository or ref. Changed-file lists longer than kMaxChangedFiles count as unknown.
Result<std::vector<PushEvent>> parse_push(Provider provider, std::string_view json);

inline constexpr size_t kMaxChangedFiles = 10000;
inline constexpr int kMaxJsonDepth = 64;  // real payloads nest about 6 levels

}  // namespace ferry::webhook
