// The Dockerfile's runtime stage against the binary this tree builds: every shared library the
// `ferry` binary links directly must come from a package that stage installs (or from the base
// image's essentials). No Docker engine runs here, so this is the part of the image that can be
// checked without building it; it fails when a new library is linked and the image is not told.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "tests/support/process.h"

namespace ferry::testing {
namespace {

// The packages of the first `apt-get install` after `FROM ... AS runtime`.
std::set<std::string> runtime_packages(const std::string& dockerfile) {
  size_t stage = dockerfile.find(" AS runtime");
  size_t install = dockerfile.find("--no-install-recommends", stage);
  size_t end = dockerfile.find("&&", install);
  if (stage == std::string::npos || install == std::string::npos || end == std::string::npos) return {};
  std::istringstream words(dockerfile.substr(install, end - install));
  std::set<std::string> packages;
  for (std::string word; words >> word;) {
    if (word != "\\" && word.rfind("--", 0) != 0) packages.insert(word);
  }
  return packages;
}

// The Debian package that holds a library file (dpkg records /lib or /usr/lib, per package).
std::string package_of(const std::string& path) {
  std::string real = std::filesystem::weakly_canonical(path).string();
  for (const std::string& candidate : {real, real.rfind("/usr", 0) == 0 ? real.substr(4) : "/usr" + real}) {
    auto r = run_command({"dpkg", "-S", candidate});
    if (r.exit_code == 0) return r.out.substr(0, r.out.find(':'));
  }
  return "";
}

TEST(Dockerfile, TheRuntimeStageInstallsEveryLibraryFerryLinks) {
  auto packages = runtime_packages(read_file(source_dir() + "/Dockerfile"));
  ASSERT_TRUE(packages.count("git")) << "the runtime stage's package list was not found";
  const std::set<std::string> base_image = {"libc6", "libstdc++6", "libgcc-s1"};

  auto needed = run_command({"readelf", "-d", ferry_bin()});
  auto resolved = run_command({"ldd", ferry_bin()});
  ASSERT_EQ(needed.exit_code, 0) << needed.err;
  ASSERT_EQ(resolved.exit_code, 0) << resolved.err;
  std::regex needed_line(R"(\(NEEDED\)\s+Shared library: \[([^\]]+)\])");
  int checked = 0;
  for (std::sregex_iterator it(needed.out.begin(), needed.out.end(), needed_line), end; it != end; ++it) {
    std::string library = (*it)[1];
    std::smatch where;
    ASSERT_TRUE(std::regex_search(resolved.out, where, std::regex(std::regex_replace(library, std::regex(R"([.+])"), R"(\$&)") +
                                                                  R"( => (\S+))")))
        << library << " is not resolved:\n" << resolved.out;
    std::string package = package_of(where[1]);
    ASSERT_FALSE(package.empty()) << "no Debian package holds " << where[1];
    EXPECT_TRUE(packages.count(package) || base_image.count(package))
        << "ferry links " << library << " from the package " << package
        << ", which the Dockerfile's runtime stage does not install";
    ++checked;
  }
  EXPECT_GE(checked, 8) << needed.out;  // libgit2, cpprest, yaml-cpp, sqlite, ssl, crypto, z, ...

  // Loaded on first use (dlopen) rather than linked: the PostgreSQL client library.
  for (const std::string library : {"libpq.so.5"}) {
    auto found = run_command({"sh", "-c", "ldconfig -p | awk '$1 == \"" + library + "\" { print $NF; exit }'"});
    std::string path = found.out.substr(0, found.out.find('\n'));
    ASSERT_FALSE(path.empty()) << library << " is not installed here";
    std::string package = package_of(path);
    EXPECT_TRUE(packages.count(package)) << "ferry loads " << library << " from the package " << package
                                         << ", which the Dockerfile's runtime stage does not install";
  }
}

}  // namespace
}  // namespace ferry::testing
