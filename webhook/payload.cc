#include "webhook/payload.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "reconciler/source/repo_url.h"

namespace ferry::webhook {
namespace {

using Json = nlohmann::json;

// GitHub lists at most 20 commits in some deliveries and says nothing when it cut the list, so
// a list this long may be incomplete; GitLab cuts at 20 too but says so (total_commits_count).
constexpr size_t kListedCommitsCap = 20;

// --- tolerant field access: a field of the wrong type reads as absent --------------------------

const Json* field(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

const Json* object_field(const Json& object, const char* key) {
  const Json* value = field(object, key);
  return value != nullptr && value->is_object() ? value : nullptr;
}

const Json* array_field(const Json& object, const char* key) {
  const Json* value = field(object, key);
  return value != nullptr && value->is_array() ? value : nullptr;
}

std::string string_field(const Json& object, const char* key) {
  const Json* value = field(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

bool bool_field(const Json& object, const char* key) {
  const Json* value = field(object, key);
  return value != nullptr && value->is_boolean() && value->get<bool>();
}

std::optional<uint64_t> count_field(const Json& object, const char* key) {
  const Json* value = field(object, key);
  if (value == nullptr || !value->is_number_integer()) return std::nullopt;
  if (value->is_number_unsigned()) return value->get<uint64_t>();
  int64_t n = value->get<int64_t>();
  return n < 0 ? std::nullopt : std::optional<uint64_t>(static_cast<uint64_t>(n));
}

void add_url(std::vector<std::string>& urls, const Json* object, std::initializer_list<const char*> keys) {
  if (object == nullptr) return;
  for (const char* key : keys) {
    std::string url = string_field(*object, key);
    if (!url.empty() && std::find(urls.begin(), urls.end(), url) == urls.end()) urls.push_back(std::move(url));
  }
}

// --- changed files ---------------------------------------------------------------------------

struct Files {
  std::set<std::string> paths;
  bool known = true;
};

// Unions commits[].added/modified/removed into `files`. A commit without any of the three lists
// (GitHub Actions' copy of the payload strips them) makes the whole list unknown.
void add_commit_files(const Json* commits, Files& files) {
  if (commits == nullptr) return;
  for (const Json& commit : *commits) {
    bool listed = false;
    for (const char* key : {"added", "modified", "removed"}) {
      const Json* paths = array_field(commit, key);
      if (paths == nullptr) continue;
      listed = true;
      for (const Json& path : *paths) {
        if (!path.is_string()) {
          files.known = false;
          return;
        }
        files.paths.insert(path.get<std::string>());
      }
    }
    if (!listed || files.paths.size() > kMaxChangedFiles) {
      files.known = false;
      return;
    }
  }
}

void set_files(PushEvent& event, Files files) {
  event.files_known = files.known;
  if (files.known) event.changed_files.assign(files.paths.begin(), files.paths.end());
}

Status missing(std::string_view what) { return Status::BadRequest("push payload has no " + std::string(what)); }

// --- one reader per payload shape ------------------------------------------------------------

// GitHub, and Gitea/Gogs which copied its push payload (plus `total_commits`).
Result<std::vector<PushEvent>> parse_github_like(Provider provider, const Json& doc) {
  PushEvent event;
  event.provider = provider;
  event.ref = string_field(doc, "ref");
  if (event.ref.empty()) return missing("\"ref\" string");
  const Json* repository = object_field(doc, "repository");
  if (repository == nullptr) return missing("\"repository\" object");
  add_url(event.repo_urls, repository, {"html_url", "clone_url", "ssh_url", "git_url"});
  event.default_branch = string_field(*repository, "default_branch");
  if (event.default_branch.empty()) event.default_branch = string_field(*repository, "master_branch");
  event.before = string_field(doc, "before");
  event.after = string_field(doc, "after");
  event.deleted = bool_field(doc, "deleted") || is_zero_sha(event.after);
  bool created = bool_field(doc, "created") || is_zero_sha(event.before);

  Files files;
  const Json* commits = array_field(doc, "commits");
  add_commit_files(commits, files);
  size_t listed = commits == nullptr ? 0 : commits->size();
  std::optional<uint64_t> total = count_field(doc, "total_commits");  // Gitea
  if (!total) total = count_field(doc, "size");                       // GitHub's event API shape
  if ((total && *total > listed) || (provider == Provider::kGitHub && listed >= kListedCommitsCap)) {
    files.known = false;
  }
  // A new, deleted or rewritten ref changes files no commit list can name; and a ref moved
  // without new commits (reset to an older one) lists none.
  if (created || event.deleted || bool_field(doc, "forced") || (listed == 0 && event.before != event.after)) {
    files.known = false;
  }
  set_files(event, std::move(files));
  return std::vector<PushEvent>{std::move(event)};
}

// GitLab "Push Hook" and "Tag Push Hook".
Result<std::vector<PushEvent>> parse_gitlab(const Json& doc) {
  PushEvent event;
  event.provider = Provider::kGitLab;
  event.ref = string_field(doc, "ref");
  if (event.ref.empty()) return missing("\"ref\" string");
  const Json* project = object_field(doc, "project");
  const Json* repository = object_field(doc, "repository");
  if (project == nullptr && repository == nullptr) return missing("\"project\" object");
  add_url(event.repo_urls, project, {"web_url", "git_http_url", "git_ssh_url", "http_url", "ssh_url"});
  add_url(event.repo_urls, repository, {"homepage", "git_http_url", "git_ssh_url", "url"});
  if (project != nullptr) event.default_branch = string_field(*project, "default_branch");
  event.before = string_field(doc, "before");
  event.after = string_field(doc, "after");
  event.deleted = is_zero_sha(event.after);

  Files files;
  const Json* commits = array_field(doc, "commits");
  add_commit_files(commits, files);
  size_t listed = commits == nullptr ? 0 : commits->size();
  std::optional<uint64_t> total = count_field(doc, "total_commits_count");
  if (total ? *total > listed : listed >= kListedCommitsCap) files.known = false;
  if (is_zero_sha(event.before) || event.deleted || (listed == 0 && event.before != event.after)) {
    files.known = false;
  }
  set_files(event, std::move(files));
  return std::vector<PushEvent>{std::move(event)};
}

// Bitbucket Cloud "repo:push": push.changes[] with new/old {type: branch|tag, name, target.hash}.
// Its commits carry no file lists, so files are never known.
Result<std::vector<PushEvent>> parse_bitbucket(const Json& doc) {
  const Json* repository = object_field(doc, "repository");
  if (repository == nullptr) return missing("\"repository\" object");
  std::vector<std::string> urls;
  if (const Json* links = object_field(*repository, "links")) add_url(urls, object_field(*links, "html"), {"href"});
  const Json* push = object_field(doc, "push");
  const Json* changes = push == nullptr ? nullptr : array_field(*push, "changes");
  if (changes == nullptr) return missing("\"push.changes\" array");

  std::vector<PushEvent> events;
  for (const Json& change : *changes) {
    const Json* after = object_field(change, "new");
    const Json* before = object_field(change, "old");
    const Json* named = after != nullptr ? after : before;  // a deleted ref has only "old"
    if (named == nullptr) continue;
    std::string type = string_field(*named, "type");
    std::string name = string_field(*named, "name");
    if (name.empty() || (type != "branch" && type != "tag")) continue;  // e.g. Mercurial bookmarks
    PushEvent event;
    event.provider = Provider::kBitbucket;
    event.repo_urls = urls;
    event.ref = (type == "branch" ? "refs/heads/" : "refs/tags/") + name;
    if (after != nullptr) {
      if (const Json* target = object_field(*after, "target")) event.after = string_field(*target, "hash");
    }
    if (before != nullptr) {
      if (const Json* target = object_field(*before, "target")) event.before = string_field(*target, "hash");
    }
    event.deleted = after == nullptr || bool_field(change, "closed");
    event.files_known = false;
    events.push_back(std::move(event));
  }
  return events;
}

// Bitbucket Server / Data Center "repo:refs_changed": changes[] with ref.id, fromHash, toHash,
// type ADD|UPDATE|DELETE; repository.links.clone[] holds the ssh and http clone URLs.
Result<std::vector<PushEvent>> parse_bitbucket_server(const Json& doc) {
  const Json* repository = object_field(doc, "repository");
  if (repository == nullptr) return missing("\"repository\" object");
  std::vector<std::string> urls;
  const Json* links = object_field(*repository, "links");
  if (const Json* clone = links == nullptr ? nullptr : array_field(*links, "clone")) {
    for (const Json& link : *clone) add_url(urls, &link, {"href"});
  }
  const Json* changes = array_field(doc, "changes");
  if (changes == nullptr) return missing("\"changes\" array");

  std::vector<PushEvent> events;
  for (const Json& change : *changes) {
    PushEvent event;
    event.provider = Provider::kBitbucketServer;
    if (const Json* ref = object_field(change, "ref")) event.ref = string_field(*ref, "id");
    if (event.ref.empty()) event.ref = string_field(change, "refId");
    if (event.ref.empty()) continue;
    event.repo_urls = urls;
    event.before = string_field(change, "fromHash");
    event.after = string_field(change, "toHash");
    event.deleted = string_field(change, "type") == "DELETE" || is_zero_sha(event.after);
    event.files_known = false;
    events.push_back(std::move(event));
  }
  return events;
}

// Deep nesting costs memory and time in any parser and no payload needs it; checked before
// parsing. Brackets inside strings do not count.
bool nests_deeper_than(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit) return true;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return false;
}

// "[json.exception.parse_error.101] parse error at line 1, ..." without the library's tag, and
// short: the message goes back to the sender.
std::string json_error(const char* what) {
  std::string_view message(what);
  if (size_t tag_end = message.find("] "); message.starts_with("[json.exception") && tag_end != message.npos) {
    message.remove_prefix(tag_end + 2);
  }
  return std::string(message.substr(0, 200));
}

}  // namespace

Result<Delivery> detect_delivery(const http::Request& request) {
  // Order matters: Gitea sends X-Gitea-Event, X-Gogs-Event and X-GitHub-Event together.
  if (const std::string* event = request.header("x-gitea-event")) return Delivery{Provider::kGitea, *event};
  if (const std::string* event = request.header("x-gogs-event")) return Delivery{Provider::kGogs, *event};
  if (const std::string* event = request.header("x-gitlab-event")) return Delivery{Provider::kGitLab, *event};
  if (const std::string* event = request.header("x-github-event")) return Delivery{Provider::kGitHub, *event};
  if (const std::string* key = request.header("x-event-key")) {
    // Only Cloud sends X-Hook-UUID; otherwise the event names tell the two apart (Cloud:
    // repo:push, pullrequest:*, issue:*; Server: repo:refs_changed, pr:*, diagnostics:ping).
    std::string_view k = *key;
    bool cloud = request.header("x-hook-uuid") != nullptr || k == "repo:push" || k == "repo:fork" ||
                 k == "repo:updated" || k.starts_with("repo:commit_") || k.starts_with("pullrequest:") ||
                 k.starts_with("issue:");
    return Delivery{cloud ? Provider::kBitbucket : Provider::kBitbucketServer, *key};
  }
  return Status::BadRequest(
      "no Git host event header: expected X-GitHub-Event, X-Gitlab-Event, X-Gitea-Event, X-Gogs-Event or "
      "X-Event-Key");
}

EventKind event_kind(const Delivery& delivery) {
  const std::string& e = delivery.event;
  switch (delivery.provider) {
    case Provider::kGitHub:
    case Provider::kGitea:
    case Provider::kGogs:
      if (e == "push") return EventKind::kPush;
      if (e == "ping") return EventKind::kPing;
      return EventKind::kOther;
    case Provider::kGitLab:
      return e == "Push Hook" || e == "Tag Push Hook" ? EventKind::kPush : EventKind::kOther;
    case Provider::kBitbucket:
      return e == "repo:push" ? EventKind::kPush : EventKind::kOther;
    case Provider::kBitbucketServer:
      if (e == "repo:refs_changed") return EventKind::kPush;
      if (e == "diagnostics:ping") return EventKind::kPing;
      return EventKind::kOther;
  }
  return EventKind::kOther;
}

std::string json_text(const http::Request& request) {
  const std::string* type = request.header("content-type");
  if (type == nullptr || !type->starts_with("application/x-www-form-urlencoded")) return request.body;
  std::string_view form = request.body;
  while (!form.empty()) {
    size_t amp = form.find('&');
    std::string_view pair = form.substr(0, amp);
    if (pair.starts_with("payload=")) return http::percent_decode(pair.substr(8), true);
    if (amp == std::string_view::npos) break;
    form.remove_prefix(amp + 1);
  }
  return {};
}

Result<std::vector<PushEvent>> parse_push(Provider provider, std::string_view text) {
  if (nests_deeper_than(text, kMaxJsonDepth)) {
    return Status::BadRequest("payload nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const Json::exception& e) {
    return Status::BadRequest("payload is not JSON: " + json_error(e.what()));
  }
  if (!doc.is_object()) return Status::BadRequest("payload is not a JSON object");

  Result<std::vector<PushEvent>> events = Status::Internal("unparsed");
  try {  // the readers check types before reading, but nothing thrown may leave this module
    switch (provider) {
      case Provider::kGitHub:
      case Provider::kGitea:
      case Provider::kGogs: events = parse_github_like(provider, doc); break;
      case Provider::kGitLab: events = parse_gitlab(doc); break;
      case Provider::kBitbucket: events = parse_bitbucket(doc); break;
      case Provider::kBitbucketServer: events = parse_bitbucket_server(doc); break;
    }
  } catch (const Json::exception& e) {
    return Status::BadRequest("push payload is malformed: " + json_error(e.what()));
  }
  if (!events.ok()) return events;
  for (const PushEvent& event : *events) {
    // Without a URL Ferry can read, the event could match no app: the sender is misconfigured.
    bool readable = std::any_of(event.repo_urls.begin(), event.repo_urls.end(),
                                [](const std::string& url) { return reconciler::parse_repo_url(url).ok(); });
    if (!readable) return missing("repository URL Ferry can read");
  }
  return events;
}

}  // namespace ferry::webhook
