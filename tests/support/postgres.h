// A real PostgreSQL server for tests, from the distribution's binaries
// (/usr/lib/postgresql/<highest version>/bin; scripts/setup installs them): a fresh cluster in a
// temporary directory, listening on 127.0.0.1 on a free port and on a Unix socket in that
// directory, stopped and removed with the object.
//
// Authentication: the superuser "postgres" is trusted on the socket and loopback (for setup);
// the role "ferry" (owner of the databases create_database() makes) must give its password over
// TCP, so url() carries a real password and tests can check it never leaks.
//
// PostgreSQL refuses to run as root. When the tests run as root (CI containers) the cluster
// belongs to the "postgres" system user (created by Debian's package) and every server command
// runs as that user through runuser.
//
// Should the test process crash, a watchdog process stops the server and removes its directory.
//
// The server outlives restarts: stop() and start() keep the port and the data, so URLs stay
// valid. Not thread-safe; one object per server.
#pragma once

#include <string>
#include <vector>

namespace ferry::testing {

class PostgresServer {
 public:
  static constexpr const char* kUser = "ferry";
  static constexpr const char* kPassword = "s3cret-Ferry-pw";

  // Creates the cluster and starts the server; fails the current test (ADD_FAILURE, with a
  // hint about scripts/setup when the binaries are missing) when it cannot; see ok().
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  bool ok() const { return ok_; }
  // pg_ctl start/stop (fast shutdown: clients are disconnected at once) and both.
  bool start();
  bool stop();
  bool restart() { return stop() && start(); }

  int port() const { return port_; }
  // postgres://ferry:<password>@127.0.0.1:<port>/<database>
  std::string url(const std::string& database) const;
  // Creates an empty database owned by "ferry"; names are [a-z0-9_]. False (and a test failure)
  // when it cannot.
  bool create_database(const std::string& name);
  // Runs SQL as the superuser in `database` through psql; returns its output (unaligned, no
  // headers), or fails the current test (and sets *ok to false).
  std::string psql(const std::string& database, const std::string& sql, bool* ok = nullptr);
  // A fresh database with a unique name (for tests that each want an empty one).
  std::string new_database();
  // The server's log, for failure messages.
  std::string log() const;

 private:
  // The command as the cluster's owner; "" on success, else what went wrong.
  std::string run_as_owner(const std::vector<std::string>& argv);
  std::string bin(const std::string& name) const { return bin_dir_ + "/" + name; }
  void start_watchdog();

  bool ok_ = false;
  bool running_ = false;
  bool as_root_ = false;
  int port_ = 0;
  int databases_ = 0;
  std::string dir_;  // owns the cluster (data/), the socket and the log
  std::string bin_dir_;
  int watchdog_pid_ = -1;  // stops the server if this process dies without the destructor
  int watchdog_fd_ = -1;
};

}  // namespace ferry::testing
