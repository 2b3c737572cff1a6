#include "tests/support/git_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "apis/http/server.h"

namespace ferry::testing {
namespace {

namespace fs = std::filesystem;

const std::map<std::string, std::string> kGitEnv = {
    {"GIT_AUTHOR_NAME", "Ferry Test"},     {"GIT_AUTHOR_EMAIL", "test@ferry.dev"},
    {"GIT_COMMITTER_NAME", "Ferry Test"},  {"GIT_COMMITTER_EMAIL", "test@ferry.dev"},
    {"GIT_CONFIG_NOSYSTEM", "1"},          {"GIT_TERMINAL_PROMPT", "0"},
};

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string must(const std::vector<std::string>& argv) {
  CommandResult r = run_command(argv, kGitEnv);
  if (r.exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    ADD_FAILURE() << "command failed: " << cmd << "\n" << r.out << r.err;
  }
  return trim(r.out);
}

bool can_connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

bool executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

}  // namespace

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

std::string find_tool(const char* env_var, const std::string& name) {
  if (const char* v = std::getenv(env_var); v && executable(v)) return v;
  for (const std::string& dir : {std::string("/opt/ferry/tools/"), std::string("/opt/ferry-tools/")}) {
    if (executable(dir + name)) return dir + name;
  }
  const char* path = std::getenv("PATH");
  std::istringstream in(path ? path : "");
  std::string dir;
  while (std::getline(in, dir, ':')) {
    if (executable(dir + "/" + name)) return dir + "/" + name;
  }
  return "";
}

UpstreamRepo::UpstreamRepo(const std::string& root, const std::string& name, const std::string& branch)
    : bare_(root + "/srv/" + name + ".git"), work_(root + "/work/" + name), branch_(branch) {
  fs::create_directories(root + "/srv");
  fs::create_directories(root + "/work");
  must({"git", "init", "-q", "--bare", "-b", branch_, bare_});
  must({"git", "init", "-q", "-b", branch_, work_});
  git({"remote", "add", "origin", bare_});
}

std::string UpstreamRepo::git(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git", "-C", work_};
  argv.insert(argv.end(), args.begin(), args.end());
  return must(argv);
}

std::string UpstreamRepo::commit(const std::map<std::string, std::string>& files, const std::string& message) {
  for (const auto& [path, content] : files) {
    fs::path p = fs::path(work_) / path;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
  }
  git({"add", "-A"});
  git({"commit", "-q", "--allow-empty", "-m", message});
  push(branch_);
  return head();
}

std::string UpstreamRepo::remove(const std::string& path, const std::string& message) {
  git({"rm", "-q", "-r", path});
  git({"commit", "-q", "-m", message});
  push(branch_);
  return head();
}

std::string UpstreamRepo::symlink(const std::string& path, const std::string& target, const std::string& message) {
  fs::path p = fs::path(work_) / path;
  fs::create_directories(p.parent_path());
  fs::create_symlink(target, p);
  git({"add", "-A"});
  git({"commit", "-q", "-m", message});
  push(branch_);
  return head();
}

void UpstreamRepo::push(const std::string& refspec, bool force) {
  if (force) git({"push", "-q", "--force", "origin", refspec});
  else git({"push", "-q", "origin", refspec});
}

void UpstreamRepo::create_branch(const std::string& name) {
  git({"branch", name});
  push(name);
}

void UpstreamRepo::checkout(const std::string& name) {
  git({"checkout", "-q", name});
  branch_ = name;
}

void UpstreamRepo::delete_branch(const std::string& name) {
  git({"push", "-q", "origin", "--delete", name});
  git({"branch", "-q", "-D", name});
}

void UpstreamRepo::tag(const std::string& name, const std::string& rev, bool annotated) {
  if (annotated) git({"tag", "-f", "-a", "-m", "tag " + name, name, rev});
  else git({"tag", "-f", name, rev});
  push("refs/tags/" + name, /*force=*/true);
}

std::string UpstreamRepo::rewrite_last_commit(const std::map<std::string, std::string>& files) {
  git({"reset", "-q", "--hard", "HEAD~1"});
  for (const auto& [path, content] : files) {
    fs::path p = fs::path(work_) / path;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
  }
  git({"add", "-A"});
  git({"commit", "-q", "-m", "rewritten"});
  push(branch_, /*force=*/true);
  return head();
}

bool GitDaemon::start(int port) {
  port_ = port ? port : free_loopback_port();
  child_ = std::make_unique<ChildProcess>();
  if (!child_->start({"git", "daemon", "--reuseaddr", "--export-all", "--informative-errors", "--listen=127.0.0.1",
                      "--port=" + std::to_string(port_), "--base-path=" + base_, base_})) {
    return false;
  }
  for (int i = 0; i < 500; ++i) {
    if (can_connect(port_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void GitDaemon::stop() {
  if (!child_) return;
  // `git daemon` runs git-daemon as a child of the `git` wrapper: kill the whole group.
  if (child_->pid() > 0) ::kill(-child_->pid(), SIGKILL);
  child_->kill(9);
  child_->wait();
  // git daemon forks a child per connection; give the listening socket time to close.
  for (int i = 0; i < 200 && can_connect(port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  child_.reset();
}

GitHttpServer::GitHttpServer(std::string base_path, std::string username, std::string password)
    : base_(std::move(base_path)), user_(std::move(username)), password_(std::move(password)) {}

GitHttpServer::~GitHttpServer() { stop(); }

int GitHttpServer::port() const { return port_; }

std::string GitHttpServer::url(const std::string& name) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/" + name + ".git";
}

bool GitHttpServer::start(int port) {
  http::ServerOptions options;
  options.port = port;
  options.threads = 4;
  options.max_body_bytes = 64u << 20;
  std::string expected_auth;
  if (!user_.empty()) {
    std::string raw = user_ + ":" + password_;
    // base64 by hand: tests/support does not link the reconciler.
    static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string b64;
    int val = 0, bits = -6;
    for (unsigned char c : raw) {
      val = (val << 8) + c;
      bits += 8;
      while (bits >= 0) {
        b64.push_back(kAlphabet[(val >> bits) & 0x3F]);
        bits -= 6;
      }
    }
    if (bits > -6) b64.push_back(kAlphabet[((val << 8) >> (bits + 8)) & 0x3F]);
    while (b64.size() % 4) b64.push_back('=');
    expected_auth = "Basic " + b64;
  }
  server_ = std::make_unique<http::Server>(options, [this, expected_auth](http::Request& req) {
    ++requests_;
    if (int ms = delay_ms_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    http::Response resp;
    if (!expected_auth.empty()) {
      const std::string* auth = req.header("authorization");
      if (!auth || *auth != expected_auth) {
        ++unauthorized_;
        resp.status = 401;
        resp.content_type = "text/plain";
        resp.headers.push_back({"WWW-Authenticate", "Basic realm=\"ferry-test\""});
        resp.body = "unauthorized\n";
        return resp;
      }
    }
    if (req.method == "POST" && req.path.ends_with("/git-upload-pack")) ++upload_posts_;
    std::map<std::string, std::string> env = {
        {"GIT_PROJECT_ROOT", base_},
        {"GIT_HTTP_EXPORT_ALL", "1"},
        {"PATH_INFO", req.path},
        {"REQUEST_METHOD", req.method},
        {"QUERY_STRING", req.query},
        {"CONTENT_LENGTH", std::to_string(req.body.size())},
        {"REMOTE_ADDR", req.remote_address},
        {"REMOTE_USER", user_},
        {"SERVER_PROTOCOL", "HTTP/1.1"},
        {"GATEWAY_INTERFACE", "CGI/1.1"},
    };
    if (const std::string* ct = req.header("content-type")) env["CONTENT_TYPE"] = *ct;
    if (const std::string* gp = req.header("git-protocol")) env["GIT_PROTOCOL"] = *gp;
    if (const std::string* ce = req.header("content-encoding")) env["HTTP_CONTENT_ENCODING"] = *ce;
    CommandResult cgi = run_command({"git", "http-backend"}, env, req.body, std::chrono::seconds(60));
    if (cgi.exit_code != 0 && cgi.out.empty()) {
      resp.status = 500;
      resp.content_type = "text/plain";
      resp.body = cgi.err;
      return resp;
    }
    // CGI response: headers, a blank line, the body.
    size_t split = cgi.out.find("\r\n\r\n");
    size_t skip = 4;
    if (split == std::string::npos) {
      split = cgi.out.find("\n\n");
      skip = 2;
    }
    std::string head = split == std::string::npos ? cgi.out : cgi.out.substr(0, split);
    resp.body = split == std::string::npos ? "" : cgi.out.substr(split + skip);
    resp.content_type = "application/octet-stream";
    std::istringstream lines(head);
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon), value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      std::string lower = name;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "status") resp.status = std::atoi(value.c_str());
      else if (lower == "content-type") resp.content_type = value;
      else if (lower != "content-length") resp.headers.push_back({name, value});
    }
    return resp;
  });
  std::string err = server_->start();
  if (!err.empty()) {
    ADD_FAILURE() << "git http server: " << err;
    return false;
  }
  port_ = server_->port();
  return true;
}

void GitHttpServer::stop() {
  if (server_) server_->stop();
  server_.reset();
}

}  // namespace ferry::testing
