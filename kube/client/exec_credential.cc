#include "kube/client/exec_credential.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <vector>

extern char** environ;

namespace ferry::kube {
namespace {

using Json = nlohmann::json;

// "2026-11-23T10:00:00Z" (fractions and offsets other than Z are accepted too).
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  time_t t = timegm(&tm);
  size_t i = static_cast<size_t>(consumed);
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  }
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    int hh = 0, mm = 0;
    if (std::sscanf(text.c_str() + i + 1, "%2d:%2d", &hh, &mm) != 2) return std::nullopt;
    long offset = hh * 3600L + mm * 60L;
    t -= text[i] == '+' ? offset : -offset;
  } else if (i >= text.size() || (text[i] != 'Z' && text[i] != 'z')) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(t);
}

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

}  // namespace

Result<ExecCredential> parse_exec_credential(const std::string& output, const std::string& api_version) {
  Json doc = Json::parse(output, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Status::Invalid("exec plugin: output is not a JSON object");
  if (doc.value("kind", "") != "ExecCredential")
    return Status::Invalid("exec plugin: output kind is not ExecCredential");
  if (!api_version.empty() && doc.value("apiVersion", "") != api_version) {
    return Status::Invalid("exec plugin: output apiVersion \"" + doc.value("apiVersion", "") + "\" does not match \"" +
                           api_version + "\"");
  }
  if (!doc.contains("status") || !doc["status"].is_object())
    return Status::Invalid("exec plugin: output has no status");
  const Json& s = doc["status"];
  ExecCredential cred;
  auto get = [&](const char* key) { return s.contains(key) && s[key].is_string() ? s[key].get<std::string>() : ""; };
  cred.token = get("token");
  cred.client_cert_pem = get("clientCertificateData");
  cred.client_key_pem = get("clientKeyData");
  if (cred.client_cert_pem.empty() != cred.client_key_pem.empty()) {
    return Status::Invalid("exec plugin: clientCertificateData and clientKeyData must be given together");
  }
  if (cred.token.empty() && cred.client_cert_pem.empty()) {
    return Status::Invalid("exec plugin: status has neither token nor clientCertificateData");
  }
  std::string expiry = get("expirationTimestamp");
  if (!expiry.empty()) {
    cred.expiry = parse_rfc3339(expiry);
    if (!cred.expiry) return Status::Invalid("exec plugin: expirationTimestamp \"" + expiry + "\" is not RFC 3339");
  }
  return cred;
}

Result<ExecCredential> run_exec_plugin(const ExecConfig& config, std::chrono::milliseconds timeout) {
  const std::string what = "exec plugin " + config.command;
  // Everything the child needs is built before fork(): only async-signal-safe calls after it.
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    std::string name = entry.substr(0, entry.find('='));
    bool overridden = name == "KUBERNETES_EXEC_INFO";
    for (const auto& [k, v] : config.env) overridden = overridden || k == name;
    if (!overridden) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : config.env) env_strings.push_back(k + "=" + v);
  Json info = {{"apiVersion", config.api_version}, {"kind", "ExecCredential"}, {"spec", {{"interactive", false}}}};
  env_strings.push_back("KUBERNETES_EXEC_INFO=" + info.dump());
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string command = config.command;
  std::vector<std::string> args = config.args;
  argv.push_back(command.data());
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return Status::Unavailable(what + ": pipe failed");
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return Status::Unavailable(what + ": pipe failed");
  }
  pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    return Status::Unavailable(what + ": fork failed");
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    execvpe(argv[0], argv.data(), envp.data());
    const char msg[] = "cannot execute the command\n";
    ssize_t ignored = write(2, msg, sizeof(msg) - 1);
    (void)ignored;
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  std::string out, err;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool out_open = true, err_open = true, timed_out = false;
  while (out_open || err_open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[2] = {{out_open ? out_pipe[0] : -1, POLLIN, 0}, {err_open ? err_pipe[0] : -1, POLLIN, 0}};
    int n = poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    char buf[4096];
    for (int i = 0; i < 2; ++i) {
      if (!fds[i].revents) continue;
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got <= 0) {
        (i == 0 ? out_open : err_open) = false;
      } else {
        (i == 0 ? out : err).append(buf, static_cast<size_t>(got));
      }
    }
  }
  close(out_pipe[0]);
  close(err_pipe[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return Status(Reason::kTimeout, what + ": did not finish within " + std::to_string(timeout.count()) + "ms");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string code = WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                         : "signal " + std::to_string(WTERMSIG(status));
    return Status::Unavailable(what + ": failed with " + code + (err.empty() ? "" : ": " + first_line(err)));
  }
  auto cred = parse_exec_credential(out, config.api_version);
  if (!cred.ok()) return Status(cred.status().reason(), config.command + ": " + cred.status().message());
  return cred;
}

ExecCredentialProvider::ExecCredentialProvider(ExecConfig config, std::chrono::milliseconds timeout)
    : config_(std::move(config)), timeout_(timeout) {}

Result<ExecCredential> ExecCredentialProvider::get() {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::system_clock::now();
  if (cached_ && (!cached_->expiry || *cached_->expiry > now + std::chrono::seconds(10))) return *cached_;
  auto fresh = run_exec_plugin(config_, timeout_);
  if (!fresh.ok()) return fresh.status();
  cached_ = *fresh;
  return fresh;
}

void ExecCredentialProvider::invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  cached_.reset();
}

}  // namespace ferry::kube
