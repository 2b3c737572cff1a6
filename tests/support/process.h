// Test fixtures for running real programs: one-shot commands with captured output (kubectl,
// helm, git) and long-running children (ferry sim, git daemon) that are killed on destruction.
// Tool paths come from the environment set by CTest and scripts/test: FERRY_BIN, FERRY_KUBECTL,
// FERRY_HELM, FERRY_SOURCE_DIR. Not thread-safe per object; distinct objects are independent.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace ferry::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when it could not start or was killed by the timeout
  std::string out;
  std::string err;
};

// Runs argv[0] (found on PATH when it has no slash) with extra environment variables and
// optional standard input; kills it after `timeout`.
CommandResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                          const std::string& input = "", std::chrono::seconds timeout = std::chrono::seconds(120));

// A child process that lives as long as this object. Its stdout+stderr go to a log file.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts the process; returns false (and sets error()) when it cannot.
  bool start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
             const std::string& cwd = "");
  // Waits until the log contains `text`; false on timeout or exit.
  bool wait_for_output(const std::string& text, std::chrono::seconds timeout = std::chrono::seconds(30));
  std::string output() const;
  void kill(int signal = 15);
  // Waits for exit after kill(); returns the exit status as from waitpid.
  int wait();
  pid_t pid() const { return pid_; }
  const std::string& error() const { return error_; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::string error_;
};

// Paths of the programs under test and of the tools used as oracles.
std::string ferry_bin();
std::string kubectl_bin();
std::string helm_bin();
std::string source_dir();

// A fresh temporary directory, removed with its contents when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `content` to path()/name (creating parent folders) and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

std::string read_file(const std::string& path);

}  // namespace ferry::testing
