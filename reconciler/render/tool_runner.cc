#include "reconciler/render/tool_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace ferry::reconciler {
namespace {

bool executable(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

void kill_group(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
}

}  // namespace

std::string find_on_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return executable(name) ? name : "";
  const char* path = std::getenv("PATH");
  std::istringstream in(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(in, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (executable(candidate)) return candidate;
  }
  return "";
}

std::vector<std::string> minimal_environment(const std::string& home) {
  return {
      "PATH=/usr/local/bin:/usr/bin:/bin",
      "HOME=" + home,
      "LANG=C",
      "XDG_CACHE_HOME=" + home + "/.cache",
      "XDG_CONFIG_HOME=" + home + "/.config",
      "XDG_DATA_HOME=" + home + "/.local/share",
      "HELM_CACHE_HOME=" + home + "/.cache/helm",
      "HELM_CONFIG_HOME=" + home + "/.config/helm",
      "HELM_DATA_HOME=" + home + "/.local/share/helm",
      "KUBECONFIG=" + home + "/.kube/config",
  };
}

Result<ToolResult> run_tool(const ToolRun& run) {
  if (run.argv.empty()) return Status::Invalid("no program to run");
  std::string program = run.argv[0];
  if (!executable(program)) return Status::NotFound("program " + program + " is not an executable file");

  std::vector<char*> argv;
  for (const auto& a : run.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : run.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]), ::close(out_pipe[1]);
    return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  }
  // posix_spawn, not fork: glibc starts the child without copying the parent's page tables, which
  // costs milliseconds per tool run in a process the controller's size (and ~3 ms even in the CLI).
  // The child gets its own process group (killed whole on timeout), stdin from /dev/null, the
  // pipes as stdout and stderr, the work dir as cwd, no blocked signals and SIGPIPE at default.
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  ::posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (!run.cwd.empty()) ::posix_spawn_file_actions_addchdir_np(&actions, run.cwd.c_str());
  sigset_t no_signals, default_signals;
  sigemptyset(&no_signals);
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  ::posix_spawnattr_setsigmask(&attr, &no_signals);
  ::posix_spawnattr_setsigdefault(&attr, &default_signals);
  ::posix_spawnattr_setpgroup(&attr, 0);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int spawned = ::posix_spawn(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  if (spawned != 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
    // glibc reports a failed chdir or exec of the child here.
    if (!run.cwd.empty() && ::access(run.cwd.c_str(), X_OK) != 0) return Status::NotFound("cannot enter directory " + run.cwd);
    return Status::NotFound("cannot execute " + program + ": " + std::strerror(spawned));
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  ToolResult result;
  Status failure;
  auto deadline = std::chrono::steady_clock::now() + run.timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      failure = Status(Reason::kTimeout, "timed out after " + std::to_string(run.timeout.count()) + " ms");
      break;
    }
    int rc = ::poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) {
      failure = Status::Internal(std::string("poll: ") + std::strerror(errno));
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      sinks[i]->append(buf, static_cast<size_t>(n));
      if (sinks[i]->size() > run.max_output_bytes) {
        failure = Status(Reason::kRequestEntityTooLarge, std::string(i == 0 ? "output" : "error output") +
                                                             " exceeds " + std::to_string(run.max_output_bytes) +
                                                             " bytes");
        open_fds = -1;
        break;
      }
    }
    if (open_fds < 0) break;
  }
  if (!failure.ok()) kill_group(pid);
  for (auto& fd : fds) {
    if (fd.fd >= 0) ::close(fd.fd);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!failure.ok()) return failure;
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  return result;
}

}  // namespace ferry::reconciler
