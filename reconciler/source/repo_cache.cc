#include "reconciler/source/repo_cache.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "apis/types/application_status.h"
#include "reconciler/source/git_handle.h"
#include "reconciler/source/repo_path.h"

namespace ferry::reconciler {
namespace {

namespace fs = std::filesystem;

const char* const kRefspecs[] = {"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"};

// What the libgit2 callbacks need and what they learned, for one remote operation.
struct AuthContext {
  const RepoUrl* url = nullptr;
  const Credentials* credentials = nullptr;
  int attempts = 0;
  bool auth_failed = false;
  bool no_credentials = false;
  Status host_key;  // set when the SSH host key was refused
};

int credential_cb(git_credential** out, const char* /*url*/, const char* username_from_url,
                  unsigned int allowed, void* payload) {
  auto* ctx = static_cast<AuthContext*>(payload);
  const Credentials& c = *ctx->credentials;
  // libgit2 asks again after a rejected credential; one attempt is all a credential gets.
  if (ctx->attempts++ > 0) {
    ctx->auth_failed = true;
    return GIT_EAUTH;
  }
  std::string user = !c.username.empty() ? c.username
                     : username_from_url && *username_from_url ? username_from_url
                     : !ctx->url->user.empty()                  ? ctx->url->user
                                                                : "git";
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) && c.has_ssh_key()) {
    return git_credential_ssh_key_memory_new(out, user.c_str(), nullptr, c.ssh_private_key.c_str(),
                                             c.ssh_passphrase.empty() ? nullptr
                                                                      : c.ssh_passphrase.c_str());
  }
  if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && c.has_basic()) {
    return git_credential_userpass_plaintext_new(out, user.c_str(), c.password.c_str());
  }
  if (allowed & GIT_CREDENTIAL_USERNAME) {
    return git_credential_username_new(out, user.c_str());
  }
  ctx->no_credentials = true;
  ctx->auth_failed = true;
  return GIT_EAUTH;
}

const char* ssh_key_type_name(git_cert_ssh_raw_type_t type) {
  switch (type) {
    case GIT_CERT_SSH_RAW_TYPE_RSA: return "ssh-rsa";
    case GIT_CERT_SSH_RAW_TYPE_DSS: return "ssh-dss";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_256: return "ecdsa-sha2-nistp256";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_384: return "ecdsa-sha2-nistp384";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_521: return "ecdsa-sha2-nistp521";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ED25519: return "ssh-ed25519";
    default: return "";
  }
}

int port_of(const RepoUrl& url) {
  // fetch_url is scheme://[user@]host[:port]/path
  std::string_view rest = url.fetch_url;
  rest.remove_prefix(url.scheme.size() + 3);
  rest = rest.substr(0, rest.find('/'));
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos) rest.remove_prefix(at + 1);
  size_t close = rest.rfind(']');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close)) {
    return std::atoi(std::string(rest.substr(colon + 1)).c_str());
  }
  return 22;
}

int certificate_cb(git_cert* cert, int valid, const char* host, void* payload) {
  auto* ctx = static_cast<AuthContext*>(payload);
  if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return valid ? 0 : GIT_ECERTIFICATE;
  const Credentials& c = *ctx->credentials;
  if (c.insecure_ignore_host_key) return 0;
  auto* key = reinterpret_cast<git_cert_hostkey*>(cert);
  if (!(key->type & GIT_CERT_SSH_RAW)) {
    ctx->host_key = {Reason::kUnauthorized, "ssh server did not present a raw host key"};
    return GIT_ECERTIFICATE;
  }
  std::string file = c.known_hosts_file;
  if (file.empty()) {
    const char* home = std::getenv("HOME");
    file = std::string(home ? home : "") + "/.ssh/known_hosts";
  }
  auto text = read_file(file);
  if (!text.ok()) {
    ctx->host_key = {Reason::kUnauthorized, "known_hosts file " + file + " is not readable"};
    return GIT_ECERTIFICATE;
  }
  Status s = check_known_host(*text, host ? host : ctx->url->host, port_of(*ctx->url),
                              ssh_key_type_name(key->raw_type),
                              std::string_view(key->hostkey, key->hostkey_len));
  if (!s.ok()) {
    ctx->host_key = s;
    return GIT_ECERTIFICATE;
  }
  return 0;
}

// Turns a failed network call into Unauthorized / Unavailable with secrets scrubbed.
Status network_error(const AuthContext& ctx, const RepoUrl& url, std::string_view what) {
  if (!ctx.host_key.ok()) return ctx.host_key;
  if (ctx.auth_failed) {
    return {Reason::kUnauthorized,
            std::string("authentication failed for ") + url.key +
                (ctx.no_credentials ? ": the server requires credentials and none are configured"
                                    : ": the server rejected the configured credentials")};
  }
  const git_error* e = git_error_last();
  std::string detail = e && e->message ? e->message : "unknown error";
  std::string lower = detail;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (lower.find("401") != std::string::npos || lower.find("authentication") != std::string::npos ||
      lower.find("unauthorized") != std::string::npos) {
    return {Reason::kUnauthorized, "authentication failed for " + url.key + ": " +
                                       redact(detail, ctx.credentials->secrets())};
  }
  if (lower.find("not found") != std::string::npos || lower.find("does not appear to be") != std::string::npos ||
      lower.find("404") != std::string::npos) {
    return Status::NotFound(std::string(what) + " " + url.key + ": " +
                            redact(detail, ctx.credentials->secrets()));
  }
  return Status::Unavailable(std::string(what) + " " + url.key + ": " +
                             redact(detail, ctx.credentials->secrets()));
}

git_remote_callbacks make_callbacks(AuthContext* ctx) {
  git_remote_callbacks callbacks;
  git_remote_init_callbacks(&callbacks, GIT_REMOTE_CALLBACKS_VERSION);
  callbacks.credentials = credential_cb;
  callbacks.certificate_check = certificate_cb;
  callbacks.payload = ctx;
  return callbacks;
}

Result<git::Repository> open_or_init_mirror(const std::string& path) {
  git::ensure_initialized();
  git_repository* repo = nullptr;
  if (git_repository_open_bare(&repo, path.c_str()) == 0) return git::Repository(repo);
  std::error_code ec;
  fs::create_directories(path, ec);
  int rc = git_repository_init(&repo, path.c_str(), /*is_bare=*/1);
  if (rc != 0) return git::error_status(rc, "create mirror " + path);
  return git::Repository(repo);
}

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// The ref a symbolic ref such as HEAD points to ("refs/heads/main"), or "" for a missing or
// direct ref.
std::string symbolic_target(git_repository* repo, const char* name) {
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo, name) != 0) return "";
  git::Reference ref(raw);
  const char* target = git_reference_symbolic_target(raw);
  return target ? target : "";
}

Result<std::string> peel_to_commit(git_repository* repo, const git_oid& oid, const std::string& what) {
  git_object* obj = nullptr;
  if (git_object_lookup(&obj, repo, &oid, GIT_OBJECT_ANY) != 0) {
    return Status::NotFound("revision " + what + " points at an object missing from the mirror");
  }
  git::Object holder(obj);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) != 0) {
    return Status::Invalid("revision " + what + " does not name a commit");
  }
  git::Object peeled_holder(peeled);
  return git::oid_hex(*git_object_id(peeled));
}

Result<std::string> resolve_ref(git_repository* repo, const std::string& name, const std::string& what) {
  git_oid oid;
  int rc = git_reference_name_to_id(&oid, repo, name.c_str());
  if (rc != 0) return git::error_status(rc, "resolve " + name);
  return peel_to_commit(repo, oid, what);
}

}  // namespace

WorkTree::WorkTree(std::string dir, std::string commit) : dir_(std::move(dir)), commit_(std::move(commit)) {}

WorkTree::~WorkTree() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string WorkTree::path(std::string_view repo_path) const {
  if (repo_path.empty()) return root();
  return root() + "/" + std::string(repo_path);
}

RepoCache::RepoCache(std::string data_dir) : data_dir_(std::move(data_dir)) {
  git::ensure_initialized();
  std::error_code ec;
  fs::create_directories(data_dir_ + "/repos", ec);
  fs::create_directories(data_dir_ + "/work", ec);
  ::chmod((data_dir_ + "/work").c_str(), 0700);
}

Result<std::string> RepoCache::mirror_path(const std::string& url) const {
  auto parsed = parse_repo_url(url);
  if (!parsed.ok()) return parsed.status();
  return data_dir_ + "/repos/" + mirror_dir_name(*parsed);
}

std::shared_ptr<RepoCache::Entry> RepoCache::entry_for(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& entry = entries_[key];
  if (!entry) entry = std::make_shared<Entry>();
  return entry;
}

Result<RefreshResult> RepoCache::list_remote(const RepoRequest& request) {
  auto url = parse_repo_url(request.url);
  if (!url.ok()) return url.status();
  return do_refresh(*url, request, /*fetch=*/false);
}

Result<RefreshResult> RepoCache::refresh(const RepoRequest& request) {
  auto url = parse_repo_url(request.url);
  if (!url.ok()) return url.status();
  auto entry = entry_for(url->key);
  std::unique_lock<std::mutex> lock(entry->mu);
  if (entry->running) {
    auto shared = entry->inflight;
    lock.unlock();
    Result<RefreshResult> result = shared.get();
    if (result.ok()) result->shared = true;
    return result;
  }
  std::promise<Result<RefreshResult>> promise;
  entry->inflight = promise.get_future().share();
  entry->running = true;
  lock.unlock();
  Result<RefreshResult> result(Status::Internal("refresh did not run"));
  try {
    result = do_refresh(*url, request, /*fetch=*/true);
  } catch (const std::exception& e) {
    result = Status::Internal(std::string("refresh failed: ") + e.what());
  }
  lock.lock();
  entry->running = false;
  promise.set_value(result);
  return result;
}

Result<RefreshResult> RepoCache::do_refresh(const RepoUrl& url, const RepoRequest& request, bool fetch) {
  git::ensure_initialized();
  const std::string mirror = data_dir_ + "/repos/" + mirror_dir_name(url);
  git::Repository repo;
  if (fetch) {
    auto opened = open_or_init_mirror(mirror);
    if (!opened.ok()) return opened.status();
    repo = std::move(*opened);
  }
  AuthContext ctx;
  ctx.url = &url;
  ctx.credentials = &request.credentials;
  git_remote* raw_remote = nullptr;
  int rc = repo ? git_remote_create_anonymous(&raw_remote, repo.get(), url.fetch_url.c_str())
                : git_remote_create_detached(&raw_remote, url.fetch_url.c_str());
  if (rc != 0) return Status::Invalid(git::last_error("repository URL " + url.key));
  git::Remote remote(raw_remote);

  git_remote_callbacks callbacks = make_callbacks(&ctx);
  ++listings_;
  rc = git_remote_connect(remote.get(), GIT_DIRECTION_FETCH, &callbacks, nullptr, nullptr);
  if (rc != 0) return network_error(ctx, url, "cannot reach");
  const git_remote_head** heads = nullptr;
  size_t head_count = 0;
  rc = git_remote_ls(&heads, &head_count, remote.get());
  if (rc != 0) return network_error(ctx, url, "cannot list refs of");

  RefreshResult result;
  for (size_t i = 0; i < head_count; ++i) {
    std::string name = heads[i]->name;
    if (name.size() > 3 && name.compare(name.size() - 3, 3, "^{}") == 0) continue;
    if (name.rfind("refs/heads/", 0) != 0 && name.rfind("refs/tags/", 0) != 0) continue;
    result.refs.push_back({name, git::oid_hex(heads[i]->oid)});
  }
  git_buf default_branch = GIT_BUF_INIT;
  if (git_remote_default_branch(&default_branch, remote.get()) == 0) {
    result.default_branch.assign(default_branch.ptr, default_branch.size);
  }
  git_buf_dispose(&default_branch);
  if (!fetch) {
    git_remote_disconnect(remote.get());
    return result;
  }

  // Compare the listing with the mirror: fetch only when something differs.
  std::set<std::string> remote_names;
  bool differs = false;
  for (const auto& ref : result.refs) {
    remote_names.insert(ref.name);
    git_oid local;
    if (git_reference_name_to_id(&local, repo.get(), ref.name.c_str()) != 0 ||
        git::oid_hex(local) != ref.sha) {
      differs = true;
    }
  }
  if (differs) {
    git_fetch_options options;
    git_fetch_options_init(&options, GIT_FETCH_OPTIONS_VERSION);
    options.callbacks = callbacks;
    options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    options.prune = GIT_FETCH_NO_PRUNE;  // pruned below from the listing we already have
    options.update_fetchhead = 0;
    git_strarray specs{const_cast<char**>(kRefspecs), 2};
    ++fetches_;
    rc = git_remote_download(remote.get(), &specs, &options);
    if (rc != 0) return network_error(ctx, url, "cannot fetch");
    rc = git_remote_update_tips(remote.get(), &callbacks, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE, "ferry fetch");
    if (rc != 0) return git::error_status(rc, "update refs of mirror " + url.key);
    result.fetched = true;
  }
  git_remote_disconnect(remote.get());

  // Prune: refs the remote no longer has (deleted branches, removed tags).
  git_reference_iterator* it = nullptr;
  if (git_reference_iterator_glob_new(&it, repo.get(), "refs/*") == 0) {
    std::vector<std::string> stale;
    const char* name = nullptr;
    while (git_reference_next_name(&name, it) == 0) {
      std::string n = name;
      if ((n.rfind("refs/heads/", 0) == 0 || n.rfind("refs/tags/", 0) == 0) && !remote_names.count(n)) {
        stale.push_back(n);
      }
    }
    git_reference_iterator_free(it);
    for (const auto& n : stale) {
      git_reference* ref = nullptr;
      if (git_reference_lookup(&ref, repo.get(), n.c_str()) == 0) {
        git_reference_delete(ref);
        git_reference_free(ref);
      }
    }
  }
  // HEAD follows the remote's default branch; rewritten only when that moved, so a refresh of a
  // quiet repository writes nothing (no lock file, no rename).
  if (!result.default_branch.empty() && symbolic_target(repo.get(), "HEAD") != result.default_branch) {
    git_reference* head = nullptr;
    if (git_reference_symbolic_create(&head, repo.get(), "HEAD", result.default_branch.c_str(), 1,
                                      "ferry: remote HEAD") == 0) {
      git_reference_free(head);
    }
  }
  return result;
}

Result<std::string> RepoCache::resolve(const std::string& url, std::string_view revision_view) {
  auto mirror = mirror_path(url);
  if (!mirror.ok()) return mirror.status();
  auto repo = git::open(*mirror);
  if (!repo.ok()) return Status::NotFound("repository " + url + " has not been fetched");
  git_repository* r = repo->get();
  std::string revision(revision_view);
  while (!revision.empty() && std::isspace(static_cast<unsigned char>(revision.back()))) revision.pop_back();
  if (revision.empty() || revision == "HEAD") {
    auto head = resolve_ref(r, "HEAD", "HEAD");
    if (!head.ok()) return Status::NotFound("the remote's default branch (HEAD) is not known for " + url);
    return head;
  }
  if (revision.rfind("refs/", 0) == 0) {
    auto sha = resolve_ref(r, revision, revision);
    if (sha.ok() || !sha.status().is(Reason::kNotFound)) return sha;
  } else {
    for (const char* prefix : {"refs/heads/", "refs/tags/"}) {
      auto sha = resolve_ref(r, prefix + revision, revision);
      if (sha.ok() || !sha.status().is(Reason::kNotFound)) return sha;
    }
  }
  if (is_hex(revision) && revision.size() >= 4 && revision.size() <= GIT_OID_HEXSZ) {
    git_oid oid;
    if (git_oid_fromstrn(&oid, revision.c_str(), revision.size()) == 0) {
      git_object* obj = nullptr;
      int rc = git_object_lookup_prefix(&obj, r, &oid, revision.size(), GIT_OBJECT_ANY);
      if (rc == GIT_EAMBIGUOUS) return Status::Invalid("short SHA " + revision + " is ambiguous");
      if (rc == 0) {
        git::Object holder(obj);
        return peel_to_commit(r, *git_object_id(obj), revision);
      }
    }
  }
  return Status::NotFound("revision \"" + revision + "\" not found in " + url);
}

Result<std::string> RepoCache::resolve_fresh(const RepoRequest& request, std::string_view revision) {
  if (revision.size() == GIT_OID_HEXSZ && is_hex(revision)) {
    auto local = resolve(request.url, revision);
    if (local.ok()) return local;
  }
  auto refreshed = refresh(request);
  if (!refreshed.ok()) return refreshed.status();
  return resolve(request.url, revision);
}

Result<CommitInfo> RepoCache::commit_info(const std::string& url, std::string_view revision) {
  auto sha = resolve(url, revision);
  if (!sha.ok()) return sha.status();
  auto mirror = mirror_path(url);
  if (!mirror.ok()) return mirror.status();
  auto repo = git::open(*mirror);
  if (!repo.ok()) return repo.status();
  auto commit = git::lookup_commit(repo->get(), *sha);
  if (!commit.ok()) return commit.status();
  CommitInfo info;
  info.sha = *sha;
  if (const git_signature* author = git_commit_author(commit->get())) {
    info.author = std::string(author->name ? author->name : "") + " <" + (author->email ? author->email : "") + ">";
    info.date = apis::rfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(author->when.time)));
  }
  if (const char* message = git_commit_message(commit->get())) info.message = message;
  return info;
}

Result<bool> RepoCache::paths_changed(const std::string& url, const std::string& from_commit,
                                      const std::string& to_commit, const std::vector<std::string>& paths) {
  if (from_commit == to_commit) return false;
  auto mirror = mirror_path(url);
  if (!mirror.ok()) return mirror.status();
  auto repo = git::open(*mirror);
  if (!repo.ok()) return repo.status();
  auto from = git::lookup_commit(repo->get(), from_commit);
  if (!from.ok()) return from.status();
  auto to = git::lookup_commit(repo->get(), to_commit);
  if (!to.ok()) return to.status();
  git_tree* from_tree_raw = nullptr;
  git_tree* to_tree_raw = nullptr;
  if (git_commit_tree(&from_tree_raw, from->get()) != 0) return git::error_status(-1, "read tree");
  git::Tree from_tree(from_tree_raw);
  if (git_commit_tree(&to_tree_raw, to->get()) != 0) return git::error_status(-1, "read tree");
  git::Tree to_tree(to_tree_raw);
  for (const auto& raw_path : paths) {
    auto path = clean_app_path(raw_path);
    if (!path.ok()) return path.status();
    if (path->empty()) {
      if (!git_oid_equal(git_tree_id(from_tree.get()), git_tree_id(to_tree.get()))) return true;
      continue;
    }
    git_tree_entry* a = nullptr;
    git_tree_entry* b = nullptr;
    int ra = git_tree_entry_bypath(&a, from_tree.get(), path->c_str());
    int rb = git_tree_entry_bypath(&b, to_tree.get(), path->c_str());
    git::TreeEntry ea(ra == 0 ? a : nullptr), eb(rb == 0 ? b : nullptr);
    if (!ea && !eb) continue;
    if (!ea || !eb) return true;
    if (!git_oid_equal(git_tree_entry_id(ea.get()), git_tree_entry_id(eb.get())) ||
        git_tree_entry_filemode(ea.get()) != git_tree_entry_filemode(eb.get())) {
      return true;
    }
  }
  return false;
}

Result<std::string> RepoCache::path_kind(const std::string& url, const std::string& commit,
                                         const std::string& raw_path) {
  auto path = clean_app_path(raw_path);
  if (!path.ok()) return path.status();
  auto mirror = mirror_path(url);
  if (!mirror.ok()) return mirror.status();
  auto repo = git::open(*mirror);
  if (!repo.ok()) return repo.status();
  auto c = git::lookup_commit(repo->get(), commit);
  if (!c.ok()) return c.status();
  if (path->empty()) return std::string("tree");
  git_tree* tree_raw = nullptr;
  if (git_commit_tree(&tree_raw, c->get()) != 0) return git::error_status(-1, "read tree");
  git::Tree tree(tree_raw);
  git_tree_entry* e = nullptr;
  if (git_tree_entry_bypath(&e, tree.get(), path->c_str()) != 0) return std::string();
  git::TreeEntry entry(e);
  switch (git_tree_entry_filemode(e)) {
    case GIT_FILEMODE_TREE: return std::string("tree");
    case GIT_FILEMODE_LINK: return std::string("link");
    case GIT_FILEMODE_COMMIT: return std::string("commit");
    default: return std::string("blob");
  }
}

}  // namespace ferry::reconciler

namespace ferry::reconciler {

Result<std::vector<std::string>> RepoCache::list_dir(const std::string& url, const std::string& commit,
                                                     const std::string& raw_path) {
  auto path = clean_app_path(raw_path);
  if (!path.ok()) return path.status();
  auto mirror = mirror_path(url);
  if (!mirror.ok()) return mirror.status();
  auto repo = git::open(*mirror);
  if (!repo.ok()) return Status::NotFound("repository " + url + " has not been fetched");
  auto c = git::lookup_commit(repo->get(), commit);
  if (!c.ok()) return c.status();
  git_tree* root_raw = nullptr;
  if (git_commit_tree(&root_raw, c->get()) != 0) return git::error_status(-1, "read tree");
  git::Tree root(root_raw);
  git::Tree dir;
  std::string current = *path;
  for (int hops = 0; !current.empty(); ++hops) {
    git_tree_entry* e = nullptr;
    if (hops > 40 || git_tree_entry_bypath(&e, root.get(), current.c_str()) != 0) {
      return Status::NotFound("app path \"" + *path + "\" does not exist at " + commit);
    }
    git::TreeEntry entry(e);
    if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
      // Follow an in-repo symlink (the checkout refuses escaping ones with a named error).
      git_blob* blob = nullptr;
      if (git_blob_lookup(&blob, repo->get(), git_tree_entry_id(e)) != 0) return git::error_status(-1, "read link");
      git::Blob holder(blob);
      std::string target(static_cast<const char*>(git_blob_rawcontent(blob)), git_blob_rawsize(blob));
      size_t slash = current.rfind('/');
      auto joined = join_inside_repo(slash == std::string::npos ? "" : current.substr(0, slash), target);
      if (!joined.ok() || (!target.empty() && target.front() == '/')) {
        return refusal(kSymlinkEscape, "symlink \"" + current + "\" -> \"" + target + "\" resolves outside the repository",
                       current);
      }
      current = *joined;
      continue;
    }
    if (git_tree_entry_filemode(e) != GIT_FILEMODE_TREE) {
      return Status::NotFound("app path \"" + *path + "\" is not a directory at " + commit);
    }
    git_tree* t = nullptr;
    if (git_tree_lookup(&t, repo->get(), git_tree_entry_id(e)) != 0) return git::error_status(-1, "read tree");
    dir.reset(t);
    break;
  }
  git_tree* listed = dir ? dir.get() : root.get();
  std::vector<std::string> names;
  for (size_t i = 0, n = git_tree_entrycount(listed); i < n; ++i) {
    const git_tree_entry* e = git_tree_entry_byindex(listed, i);
    if (git_tree_entry_filemode(e) != GIT_FILEMODE_TREE) names.push_back(git_tree_entry_name(e));
  }
  return names;
}

}  // namespace ferry::reconciler
