// Runs the real `ferry` binary as a user would, with its own HOME and XDG_CONFIG_HOME so the
// login config of one test never leaks into another; and, for tests that need a server, a real
// `ferry controller` on the simulator with a git repository. Not thread-safe.
#pragma once

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/git_server.h"
#include "tests/support/process.h"
#include "tests/support/sim_fixture.h"

namespace ferry::testing {

class CliTest : public ::testing::Test {
 protected:
  // `ferry args...`; FERRY_SERVER and FERRY_TOKEN are cleared unless `env` sets them.
  CommandResult ferry(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                      const std::string& input = "") {
    std::vector<std::string> argv = {ferry_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::map<std::string, std::string> all = {{"HOME", home.path()},
                                              {"XDG_CONFIG_HOME", home.path() + "/xdg"},
                                              {"FERRY_SERVER", ""},
                                              {"FERRY_TOKEN", ""}};
    for (const auto& [k, v] : env) all[k] = v;
    return run_command(argv, all, input, std::chrono::seconds(240));
  }

  std::string config_file() const { return home.path() + "/xdg/ferry/config"; }

  static std::string show(const CommandResult& r) {
    return "exit " + std::to_string(r.exit_code) + "\n--- stdout:\n" + r.out + "\n--- stderr:\n" + r.err;
  }

  static mode_t mode_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 0;
    return st.st_mode & 0777;
  }

  TempDir home;
};

}  // namespace ferry::testing
