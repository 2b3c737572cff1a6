// Fuzzes webhook deliveries: arbitrary bytes as the body, under each provider's headers, through
// detection, signature checks, payload parsing, matching and the HTTP handler. Whatever the
// input, nothing may crash, throw or hang; a parsed push must be well-formed; every answer must
// be JSON with one of the documented codes.
//
// The first input byte picks the provider headers and whether the body is signed correctly (so
// the parser, not only the 401 path, sees signed-mode traffic); the rest is the body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "webhook/dispatcher.h"
#include "webhook/handler.h"
#include "webhook/match.h"
#include "webhook/payload.h"
#include "webhook/signature.h"

namespace {

using namespace ferry;
using namespace ferry::webhook;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

struct Headers {
  const char* name;
  const char* event;
};

// Each provider's push headers; Gitea's arrive with the Gogs and GitHub ones, as Gitea sends them.
const std::vector<std::vector<Headers>>& provider_headers() {
  static const std::vector<std::vector<Headers>> all = {
      {{"x-github-event", "push"}},
      {{"x-gitlab-event", "Push Hook"}},
      {{"x-gitea-event", "push"}, {"x-gogs-event", "push"}, {"x-github-event", "push"}},
      {{"x-gogs-event", "push"}},
      {{"x-event-key", "repo:push"}, {"x-hook-uuid", "{f00}"}},
      {{"x-event-key", "repo:refs_changed"}},
  };
  return all;
}

class NullTarget : public DispatchTarget {
 public:
  std::vector<AppSource> apps() override { return {}; }
  void repo_pushed(const std::string&, const std::string&, const std::string&) override {}
  void refresh_app(const std::string&) override {}
};

const std::vector<AppSource>& apps() {
  static const std::vector<AppSource> all = {
      {"root", "https://github.com/org/repo", "HEAD", {""}},
      {"pinned", "git@github.com:org/repo.git", "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", {"apps"}},
      {"tag", "ssh://git@example.com:7999/proj/repo.git", "v1.2.0", watch_paths("apps/web", "../shared;/charts")},
  };
  return all;
}

void check_events(const Result<std::vector<PushEvent>>& events) {
  if (!events.ok()) {
    check(events.status().is(Reason::kBadRequest));
    check(!events.status().message().empty());
    return;
  }
  for (const PushEvent& event : *events) {
    check(!event.ref.empty());
    check(!event.repo_urls.empty());
    check(event.files_known || event.changed_files.empty());
    check(event.changed_files.size() <= kMaxChangedFiles);
    for (size_t i = 1; i < event.changed_files.size(); ++i) check(event.changed_files[i - 1] < event.changed_files[i]);
    bool readable = false;
    for (const std::string& url : event.repo_urls) readable = readable || repo_identity(url).has_value();
    check(readable);
    for (const AppSource& app : apps()) (void)push_matches(event, app);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& all_headers = provider_headers();
  uint8_t selector = data[0];
  size_t which = selector % all_headers.size();
  bool sign = (selector & 0x80) != 0;
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);

  static const char* kSecret = "fuzz-secret";

  http::Request request;
  request.method = "POST";
  request.path = request.target = "/api/webhook";
  request.body = body;
  for (const Headers& h : all_headers[which]) request.headers.emplace_back(h.name, h.event);
  if (selector & 0x40) request.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  std::string mac = hmac_sha256_hex(kSecret, body);
  if (sign) {
    request.headers.emplace_back("x-hub-signature-256", "sha256=" + mac);
    request.headers.emplace_back("x-gitlab-token", kSecret);
    request.headers.emplace_back("x-gitea-signature", mac);
    request.headers.emplace_back("x-gogs-signature", mac);
    request.headers.emplace_back("x-hub-signature", "sha256=" + mac);
  }

  auto delivery = detect_delivery(request);
  check(delivery.ok());
  auto parsed = parse_push(delivery->provider, json_text(request));
  check_events(parsed);

  WebhookSecrets secrets;
  secrets.github = secrets.gitlab = secrets.gogs = secrets.bitbucket = secrets.bitbucket_server = kSecret;
  Status verified = verify_delivery(delivery->provider, request, secrets);
  check(verified.ok() == sign);

  // A Dispatcher per input, never started (no thread): it only queues, so nothing carries over.
  NullTarget target;
  Dispatcher dispatcher(target);
  WebhookHandler handler([&secrets] { return secrets; }, dispatcher);
  http::Response response = handler.handle(request);
  check(nlohmann::json::accept(response.body));
  if (!sign) {
    check(response.status == 401);
  } else {
    // The handler answers exactly as the parser read the body.
    int expected = !parsed.ok() ? 400 : parsed->empty() ? 200 : 202;
    check(response.status == expected);
    check(dispatcher.counters().events_received == (parsed.ok() ? parsed->size() : 0));
  }
  return 0;
}
