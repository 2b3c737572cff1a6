#include "tests/support/postgres.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/support/process.h"

namespace ferry::testing {
namespace {

namespace fs = std::filesystem;

// The bin directory of the highest PostgreSQL version installed, "" when there is none.
std::string find_bin_dir() {
  std::error_code ec;
  std::string best;
  int best_version = -1;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::string bin = entry.path().string() + "/bin";
    if (!fs::exists(bin + "/initdb") || !fs::exists(bin + "/pg_ctl") || !fs::exists(bin + "/postgres")) continue;
    if (std::stoi(name) > best_version) {
      best_version = std::stoi(name);
      best = bin;
    }
  }
  return best;
}

// A port nobody listens on now (the kernel's choice for port 0).
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

void append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app);
  out << text;
}

}  // namespace

PostgresServer::PostgresServer() {
  bin_dir_ = find_bin_dir();
  if (bin_dir_.empty()) {
    ADD_FAILURE() << "PostgreSQL server binaries not found under /usr/lib/postgresql/<version>/bin; "
                     "run scripts/setup (it installs the postgresql package)";
    return;
  }
  char path_template[] = "/tmp/ferry-pg-XXXXXX";
  if (!mkdtemp(path_template)) {
    ADD_FAILURE() << "mkdtemp failed";
    return;
  }
  dir_ = path_template;
  as_root_ = geteuid() == 0;
  if (as_root_) {
    const passwd* pw = getpwnam("postgres");
    if (!pw) {
      ADD_FAILURE() << "running as root, but there is no \"postgres\" user to run the server as "
                       "(the postgresql package creates it; run scripts/setup)";
      return;
    }
    if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      ADD_FAILURE() << "cannot hand " << dir_ << " to the postgres user";
      return;
    }
  }
  port_ = free_port();
  // -N: no fsync during initdb; the cluster is thrown away with the test.
  std::string error = run_as_owner({bin("initdb"), "-D", dir_ + "/data", "-U", "postgres", "-A", "trust", "-E",
                                    "UTF8", "--no-locale", "-N"});
  if (!error.empty()) {
    ADD_FAILURE() << "initdb failed: " << error;
    return;
  }
  // "ferry" must send its password over TCP; everything else is trusted (setup via psql).
  std::ofstream(dir_ + "/data/pg_hba.conf", std::ios::trunc) << "local all all trust\n"
                                                                "host all ferry 127.0.0.1/32 scram-sha-256\n"
                                                                "host all all 127.0.0.1/32 trust\n";
  // Speed over durability: the data dies with the test.
  append(dir_ + "/data/postgresql.conf", "\nlisten_addresses = '127.0.0.1'\nport = " + std::to_string(port_) +
                                             "\nunix_socket_directories = '" + dir_ +
                                             "'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                                             "shared_buffers = 16MB\nmax_connections = 100\n");
  if (!start()) return;
  start_watchdog();
  psql("postgres", std::string("CREATE ROLE ") + kUser + " LOGIN CREATEDB PASSWORD '" + kPassword + "'", &ok_);
}

// A test process that crashes runs no destructor, and the server (a daemon) would outlive it. So
// a shell waits on a pipe whose only writer is this process: when the process dies the read
// ends and the shell stops the server and removes the directory. A normal destruction kills the
// watchdog first and cleans up itself.
void PostgresServer::start_watchdog() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;
  std::string stop = (as_root_ ? "runuser -u postgres -- " : "") + bin("pg_ctl") + " -D " + dir_ +
                     "/data -m immediate -w stop >/dev/null 2>&1; rm -rf " + dir_;
  std::string script = "read _; " + stop;
  const char* argv[] = {"/bin/sh", "-c", script.c_str(), nullptr};
  pid_t pid = fork();
  if (pid == 0) {  // only async-signal-safe calls until exec
    dup2(fds[0], 0);  // the duplicate does not close on exec; the write end does
    setpgid(0, 0);    // out of the test's process group: a ^C must not cut the cleanup short
    execv("/bin/sh", const_cast<char* const*>(argv));
    _exit(127);
  }
  close(fds[0]);
  if (pid < 0) {
    close(fds[1]);
    return;
  }
  watchdog_pid_ = pid;
  watchdog_fd_ = fds[1];
}

PostgresServer::~PostgresServer() {
  if (watchdog_pid_ > 0) {
    ::kill(watchdog_pid_, SIGKILL);
    waitpid(watchdog_pid_, nullptr, 0);
    close(watchdog_fd_);
  }
  if (running_) run_as_owner({bin("pg_ctl"), "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"});
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string PostgresServer::run_as_owner(const std::vector<std::string>& argv) {
  // env -C: the owner may not be allowed into the current directory.
  std::vector<std::string> command = {"env", "-C", dir_};
  if (as_root_) command = {"runuser", "-u", "postgres", "--", "env", "-C", dir_};
  command.insert(command.end(), argv.begin(), argv.end());
  CommandResult r = run_command(command, {}, "", std::chrono::seconds(60));
  if (r.exit_code == 0) return "";
  return "exit " + std::to_string(r.exit_code) + ": " + r.err + r.out;
}

bool PostgresServer::start() {
  std::string error = run_as_owner(
      {bin("pg_ctl"), "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w", "-t", "60", "start"});
  if (!error.empty()) {
    ADD_FAILURE() << "pg_ctl start failed: " << error << "\nserver log:\n" << log();
    return false;
  }
  running_ = true;
  return true;
}

bool PostgresServer::stop() {
  std::string error = run_as_owner({bin("pg_ctl"), "-D", dir_ + "/data", "-m", "fast", "-w", "stop"});
  if (!error.empty()) {
    ADD_FAILURE() << "pg_ctl stop failed: " << error;
    return false;
  }
  running_ = false;
  return true;
}

std::string PostgresServer::url(const std::string& database) const {
  return std::string("postgres://") + kUser + ":" + kPassword + "@127.0.0.1:" + std::to_string(port_) + "/" +
         database;
}

std::string PostgresServer::psql(const std::string& database, const std::string& sql, bool* ok) {
  // The superuser over the socket (trusted); psql is a client, so root may run it.
  CommandResult r = run_command({bin("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", dir_, "-p",
                                 std::to_string(port_), "-U", "postgres", "-d", database, "-c", sql},
                                {}, "", std::chrono::seconds(60));
  if (ok) *ok = r.exit_code == 0;
  if (r.exit_code != 0) {
    ADD_FAILURE() << "psql " << database << " -c \"" << sql << "\": exit " << r.exit_code << ": " << r.err;
    return "";
  }
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

bool PostgresServer::create_database(const std::string& name) {
  bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (!valid) {
    ADD_FAILURE() << "database name \"" << name << "\" is not [a-z0-9_]+";
    return false;
  }
  bool ok = false;
  psql("postgres", "CREATE DATABASE " + name + " OWNER " + kUser, &ok);
  return ok;
}

std::string PostgresServer::new_database() {
  std::string name = "ferry_test_" + std::to_string(++databases_);
  create_database(name);
  return name;
}

std::string PostgresServer::log() const { return read_file(dir_ + "/server.log"); }

}  // namespace ferry::testing
