// RepoCache::checkout: writes parts of a commit's tree into a private work dir, refusing
// anything that would leave the repository or blow the size limits.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "reconciler/source/git_handle.h"
#include "reconciler/source/repo_cache.h"
#include "reconciler/source/repo_path.h"

namespace ferry::reconciler {

namespace {
constexpr int kMaxSymlinkHops = 40;
constexpr int kMaxDepth = 128;

std::string dirname_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

bool bad_entry_name(const char* name) {
  std::string_view n(name);
  if (n.empty() || n == "." || n == ".." || n.find('/') != std::string_view::npos ||
      n.find('\\') != std::string_view::npos) {
    return true;
  }
  if (n.size() == 4) {
    std::string lower;
    for (char c : n) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == ".git") return true;
  }
  return false;
}
}  // namespace

// Writes tree entries to disk for one checkout; holds the counters the limits apply to.
class TreeWriter {
 public:
  TreeWriter(git_repository* repo, git_tree* root, WorkTree& out, const CheckoutLimits& limits)
      : repo_(repo), root_(root), out_(out), limits_(limits) {
    git_odb* odb = nullptr;
    if (git_repository_odb(&odb, repo_) == 0) odb_.reset(odb);
  }

  // Writes repo path `path` (tree, blob or link) at the same place under the work dir.
  Status write_path(const std::string& path) {
    if (path.empty()) return write_tree(root_, "", 0);
    auto target = resolve(path, 0);
    if (!target.ok()) return target.status();
    if (!target->found) return Status::NotFound("path \"" + path + "\" does not exist at commit " + out_.commit());
    Status s = make_parents(path);
    if (!s.ok()) return s;
    return write_entry(target->oid, target->mode, path, 0);
  }

 private:
  struct Resolved {
    bool found = false;
    git_oid oid{};
    git_filemode_t mode = GIT_FILEMODE_UNREADABLE;
    std::string path;  // canonical, links followed
  };

  // Finds `path` in the commit, following symlinks in every component; refuses links that
  // leave the repository.
  Result<Resolved> resolve(const std::string& path, int hops) {
    Resolved current;
    current.oid = *git_tree_id(root_);
    current.mode = GIT_FILEMODE_TREE;
    current.found = true;
    std::string done;  // canonical path resolved so far
    size_t start = 0;
    while (start < path.size()) {
      size_t end = path.find('/', start);
      if (end == std::string::npos) end = path.size();
      std::string part = path.substr(start, end - start);
      start = end + 1;
      if (part.empty() || part == ".") continue;
      if (current.mode != GIT_FILEMODE_TREE) return Resolved{};
      git_tree* tree = nullptr;
      if (git_tree_lookup(&tree, repo_, &current.oid) != 0) return Status::Internal(git::last_error("read tree"));
      git::Tree holder(tree);
      const git_tree_entry* e = git_tree_entry_byname(tree, part.c_str());
      if (!e) return Resolved{};
      std::string here = done.empty() ? part : done + "/" + part;
      if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
        if (++hops > kMaxSymlinkHops) return Status::Invalid("too many levels of symbolic links at \"" + here + "\"");
        auto link_target = read_link(*git_tree_entry_id(e), here);
        if (!link_target.ok()) return link_target.status();
        std::string rest = start < path.size() ? path.substr(start) : "";
        std::string joined = *link_target + (rest.empty() ? "" : "/" + rest);
        return resolve(joined, hops);
      }
      current.oid = *git_tree_entry_id(e);
      current.mode = git_tree_entry_filemode(e);
      done = here;
    }
    current.path = done;
    return current;
  }

  // The repo path a link at `link_path` points to; refused when it leaves the repository.
  Result<std::string> read_link(const git_oid& oid, const std::string& link_path) {
    git_blob* blob = nullptr;
    if (git_blob_lookup(&blob, repo_, &oid) != 0) return Status::Internal(git::last_error("read symlink"));
    git::Blob holder(blob);
    std::string target(static_cast<const char*>(git_blob_rawcontent(blob)),
                       static_cast<size_t>(git_blob_rawsize(blob)));
    auto joined = join_inside_repo(dirname_of(link_path), target);
    if (!joined.ok() || (!target.empty() && target.front() == '/')) {
      return refusal(kSymlinkEscape,
                     "symlink \"" + link_path + "\" -> \"" + target + "\" resolves outside the repository",
                     link_path);
    }
    return *joined;
  }

  Status make_parents(const std::string& path) {
    std::string dir = dirname_of(path);
    std::error_code ec;
    std::filesystem::create_directories(out_.path(dir), ec);
    if (ec) return Status::Internal("create " + out_.path(dir) + ": " + ec.message());
    return Status::Ok();
  }

  Status write_tree(git_tree* tree, const std::string& path, int depth) {
    if (depth > kMaxDepth) return refusal(kTooManyFiles, "directory nesting deeper than 128 at \"" + path + "\"", path);
    if (::mkdir(out_.path(path).c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::Internal("mkdir " + out_.path(path) + ": " + std::strerror(errno));
    }
    size_t n = git_tree_entrycount(tree);
    for (size_t i = 0; i < n; ++i) {
      const git_tree_entry* e = git_tree_entry_byindex(tree, i);
      const char* name = git_tree_entry_name(e);
      if (bad_entry_name(name)) {
        return refusal(kPathTraversal, "tree entry \"" + std::string(name) + "\" under \"" + path + "\" is not a safe file name",
                       path);
      }
      std::string child = path.empty() ? name : path + "/" + name;
      Status s = write_entry(*git_tree_entry_id(e), git_tree_entry_filemode(e), child, depth + 1);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  Status write_entry(const git_oid& oid, git_filemode_t mode, const std::string& path, int depth) {
    switch (mode) {
      case GIT_FILEMODE_TREE: {
        git_tree* sub = nullptr;
        if (git_tree_lookup(&sub, repo_, &oid) != 0) return Status::Internal(git::last_error("read tree " + path));
        git::Tree holder(sub);
        return write_tree(sub, path, depth);
      }
      case GIT_FILEMODE_BLOB:
      case GIT_FILEMODE_BLOB_EXECUTABLE:
        return write_blob(oid, path, mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0700 : 0600);
      case GIT_FILEMODE_LINK: {
        if (++expanded_links_ > 10000) {
          return refusal(kTooManyFiles, "more than 10000 symlinks expanded (a link cycle?)", path);
        }
        auto target = read_link(oid, path);
        if (!target.ok()) return target.status();
        auto resolved = resolve(*target, 1);
        if (!resolved.ok()) return resolved.status();
        if (!resolved->found) {
          out_.warnings_.push_back("symlink \"" + path + "\" points at missing \"" + *target + "\"; skipped");
          return Status::Ok();
        }
        out_.link_targets_.push_back(resolved->path);
        if (resolved->mode == GIT_FILEMODE_TREE && path_is_under(path, resolved->path)) {
          return refusal(kSymlinkEscape, "symlink \"" + path + "\" points at its own parent \"" + resolved->path + "\"",
                         path);
        }
        return write_entry(resolved->oid, resolved->mode, path, depth + 1);
      }
      case GIT_FILEMODE_COMMIT:
        out_.warnings_.push_back("submodule \"" + path + "\" is not checked out");
        return Status::Ok();
      default:
        return Status::Invalid("tree entry \"" + path + "\" has an unknown mode");
    }
  }

  Status write_blob(const git_oid& oid, const std::string& path, mode_t mode) {
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    if (!odb_ || git_odb_read_header(&size, &type, odb_.get(), &oid) != 0) {
      return Status::Internal(git::last_error("read header of " + path));
    }
    if (size > limits_.max_file_bytes) {
      return refusal(kFileTooLarge,
                     "file \"" + path + "\" is " + std::to_string(size) + " bytes, over the limit of " +
                         std::to_string(limits_.max_file_bytes),
                     path);
    }
    if (out_.files_ + 1 > limits_.max_files) {
      return refusal(kTooManyFiles, "more than " + std::to_string(limits_.max_files) + " files to check out", path);
    }
    if (out_.bytes_ + size > limits_.max_total_bytes) {
      return refusal(kTreeTooLarge, "files to check out exceed " + std::to_string(limits_.max_total_bytes) + " bytes",
                     path);
    }
    git_blob* blob = nullptr;
    if (git_blob_lookup(&blob, repo_, &oid) != 0) return Status::Internal(git::last_error("read " + path));
    git::Blob holder(blob);
    const char* data = static_cast<const char*>(git_blob_rawcontent(blob));
    size_t len = static_cast<size_t>(git_blob_rawsize(blob));
    std::string file = out_.path(path);
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) return Status::Internal("create " + file + ": " + std::strerror(errno));
    size_t written = 0;
    while (written < len) {
      ssize_t n = ::write(fd, data + written, len - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fd);
        return Status::Internal("write " + file + ": " + std::strerror(errno));
      }
      written += static_cast<size_t>(n);
    }
    ::close(fd);
    out_.files_ += 1;
    out_.bytes_ += len;
    return Status::Ok();
  }

  git_repository* repo_;
  git_tree* root_;
  WorkTree& out_;
  const CheckoutLimits& limits_;
  git::Odb odb_;
  int expanded_links_ = 0;
};

Result<std::unique_ptr<WorkTree>> RepoCache::checkout(const std::string& url, const std::string& commit,
                                                      const std::vector<std::string>& paths,
                                                      const CheckoutLimits& limits) {
  std::vector<std::string> clean;
  for (const auto& p : paths) {
    auto c = clean_app_path(p);
    if (!c.ok()) return c.status();
    clean.push_back(*c);
  }
  auto mirror = mirror_path(url);
  if (!mirror.ok()) return mirror.status();
  auto repo = git::open(*mirror);
  if (!repo.ok()) return Status::NotFound("repository " + url + " has not been fetched");
  auto c = git::lookup_commit(repo->get(), commit);
  if (!c.ok()) return c.status();
  git_tree* tree_raw = nullptr;
  if (git_commit_tree(&tree_raw, c->get()) != 0) return Status::Internal(git::last_error("read tree"));
  git::Tree tree(tree_raw);

  std::string pattern = data_dir_ + "/work/co-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) return Status::Internal("create work dir under " + data_dir_ + "/work: " + std::strerror(errno));
  auto work = std::make_unique<WorkTree>(std::string(buf.data()), git::oid_hex(*git_commit_id(c->get())));
  ::mkdir(work->root().c_str(), 0700);
  ::mkdir(work->scratch().c_str(), 0700);

  TreeWriter writer(repo->get(), tree.get(), *work, limits);
  for (const auto& p : clean) {
    Status s = writer.write_path(p);
    if (!s.ok()) return s;
  }
  return work;
}

}  // namespace ferry::reconciler
