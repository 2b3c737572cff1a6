// Git fixtures for source tests: an upstream repository with a working clone to commit from,
// and real servers for it on loopback — `git daemon` (git://) and smart HTTP (`git
// http-backend` as CGI behind Ferry's HTTP server, optionally with basic auth). file:// needs
// no server. Not thread-safe per object; servers answer requests on their own threads.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "tests/support/process.h"

namespace ferry::http {
class Server;
}

namespace ferry::testing {

// A bare repository under <root>/srv/<name>.git and a clone under <root>/work/<name> to edit.
class UpstreamRepo {
 public:
  UpstreamRepo(const std::string& root, const std::string& name, const std::string& branch = "main");
  const std::string& bare_path() const { return bare_; }
  const std::string& work_path() const { return work_; }
  std::string file_url() const { return "file://" + bare_; }

  // Writes files in the clone (creating folders), commits everything and pushes the current
  // branch. Returns the new commit's SHA.
  std::string commit(const std::map<std::string, std::string>& files, const std::string& message = "change");
  std::string remove(const std::string& path, const std::string& message = "remove");
  std::string symlink(const std::string& path, const std::string& target, const std::string& message = "link");
  // git in the clone; returns stdout, fails the current test on a non-zero exit.
  std::string git(const std::vector<std::string>& args);
  std::string head() { return git({"rev-parse", "HEAD"}); }
  void push(const std::string& refspec, bool force = false);
  // Branch and tag plumbing on the upstream.
  void create_branch(const std::string& name);  // at the clone's HEAD, pushed
  void checkout(const std::string& name);
  void delete_branch(const std::string& name);
  void tag(const std::string& name, const std::string& rev = "HEAD", bool annotated = false);  // force-pushed
  // Replaces the branch's last commit with a different one and force-pushes; returns the new SHA.
  std::string rewrite_last_commit(const std::map<std::string, std::string>& files);

 private:
  std::string bare_, work_, branch_;
};

// `git daemon` serving <base>/*.git on 127.0.0.1.
class GitDaemon {
 public:
  explicit GitDaemon(std::string base_path) : base_(std::move(base_path)) {}
  ~GitDaemon() { stop(); }
  bool start(int port = 0);  // 0: pick a free port
  void stop();
  int port() const { return port_; }
  std::string url(const std::string& name) const { return "git://127.0.0.1:" + std::to_string(port_) + "/" + name + ".git"; }

 private:
  std::string base_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> child_;
};

// Smart HTTP: `git http-backend` run as CGI for each request.
class GitHttpServer {
 public:
  // With a username, every request needs basic auth with that user and password.
  GitHttpServer(std::string base_path, std::string username = "", std::string password = "");
  ~GitHttpServer();
  bool start(int port = 0);
  void stop();
  int port() const;
  std::string url(const std::string& name) const;
  // Requests seen: all, and POSTs to git-upload-pack (i.e. actual fetches).
  int requests() const { return requests_.load(); }
  int upload_pack_posts() const { return upload_posts_.load(); }
  int unauthorized() const { return unauthorized_.load(); }
  // Holds every answer back this long (to make concurrent clients overlap).
  void set_delay_ms(int ms) { delay_ms_ = ms; }

 private:
  std::string base_, user_, password_;
  std::unique_ptr<http::Server> server_;
  int port_ = 0;
  std::atomic<int> requests_{0}, upload_posts_{0}, unauthorized_{0}, delay_ms_{0};
};

// Finds a free TCP port on 127.0.0.1.
int free_loopback_port();

// A tool binary: the env var if it names an executable, else /opt/ferry/tools/<name>, else
// /opt/ferry-tools/<name>, else the PATH; "" when none exists.
std::string find_tool(const char* env_var, const std::string& name);

}  // namespace ferry::testing
