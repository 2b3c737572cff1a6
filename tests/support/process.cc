#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace ferry::testing {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

void exec_child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                const std::string& cwd) {
  for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
  if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                          const std::string& input, std::chrono::seconds timeout) {
  CommandResult result;
  TempDir dir;
  std::string in_path = dir.write("stdin", input);
  std::string out_path = dir.file("stdout"), err_path = dir.file("stderr");
  pid_t pid = fork();
  if (pid < 0) return result;
  if (pid == 0) {
    int in = open(in_path.c_str(), O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    exec_child(argv, env, "");
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.out = read_file(out_path);
      result.err = read_file(err_path) + "\n(killed after timeout)";
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  return result;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(SIGKILL);
    wait();
  }
  if (!log_path_.empty()) std::filesystem::remove(log_path_);
}

bool ChildProcess::start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                         const std::string& cwd) {
  char log_template[] = "/tmp/ferry-child-XXXXXX";
  int fd = mkstemp(log_template);
  if (fd < 0) {
    error_ = "cannot create a log file";
    return false;
  }
  log_path_ = log_template;
  pid_ = fork();
  if (pid_ < 0) {
    error_ = "fork failed";
    close(fd);
    return false;
  }
  if (pid_ == 0) {
    int null_in = open("/dev/null", O_RDONLY);
    dup2(null_in, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    setpgid(0, 0);
    exec_child(argv, env, cwd);
  }
  close(fd);
  return true;
}

bool ChildProcess::wait_for_output(const std::string& text, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (output().find(text) != std::string::npos) return true;
    int status = 0;
    if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return output().find(text) != std::string::npos;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::string ChildProcess::output() const { return log_path_.empty() ? "" : read_file(log_path_); }

void ChildProcess::kill(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

int ChildProcess::wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::string ferry_bin() { return env_or("FERRY_BIN", FERRY_BUILD_ROOT "/ferry"); }
std::string kubectl_bin() { return env_or("FERRY_KUBECTL", "/opt/ferry/tools/kubectl"); }
std::string helm_bin() { return env_or("FERRY_HELM", "/opt/ferry/tools/helm"); }
std::string source_dir() { return env_or("FERRY_SOURCE_DIR", FERRY_SOURCE_ROOT); }

TempDir::TempDir() {
  char path_template[] = "/tmp/ferry-test-XXXXXX";
  const char* made = mkdtemp(path_template);
  path_ = made ? made : "/tmp";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (path_ != "/tmp") std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  std::string full = file(name);
  std::filesystem::create_directories(std::filesystem::path(full).parent_path());
  std::ofstream out(full, std::ios::binary | std::ios::trunc);
  out << content;
  return full;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ferry::testing
