// Runs an external renderer (helm, kustomize, kubectl) as a child process with a wall-clock
// timeout, a cap on what it may print, an explicit (minimal) environment and a working
// directory. The child gets its own process group so a timeout kills it and anything it
// started. Thread-safe: each call forks its own child; no shared state.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "apis/types/status.h"

namespace ferry::reconciler {

struct ToolRun {
  std::vector<std::string> argv;  // argv[0]: the program (absolute path or found on env PATH)
  std::string cwd;
  std::vector<std::string> env;  // the child's whole environment, "KEY=VALUE"
  std::chrono::milliseconds timeout{90'000};
  size_t max_output_bytes = 64u << 20;  // stdout and stderr each
};

struct ToolResult {
  int exit_code = 0;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs the tool to completion. A non-zero exit is a result, not an error; errors are:
// Timeout (killed after `timeout`), RequestEntityTooLarge (output over the cap; killed),
// NotFound (program missing), Internal (fork/pipe failures).
Result<ToolResult> run_tool(const ToolRun& run);

// The environment every renderer gets: PATH=/usr/local/bin:/usr/bin:/bin, HOME and the
// XDG/Helm cache and config dirs under `home` (inside the private work dir), LANG=C.
std::vector<std::string> minimal_environment(const std::string& home);

// Absolute path of `name` on the PATH of this process, or "" when not found.
std::string find_on_path(const std::string& name);

}  // namespace ferry::reconciler
