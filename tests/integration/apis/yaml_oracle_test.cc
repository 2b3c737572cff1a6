// Ferry's YAML codec against the real thing: every file in tests/data/yaml_oracle goes through
// kubectl's own manifest reader (`kubectl annotate --local -o json`, offline) and through
// yaml::parse_objects. Both must accept or both reject, and what they accept must be the same
// JSON. A file that shows a disagreement stays here for good, so the fix keeps holding.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "apis/types/yaml_codec.h"
#include "tests/support/process.h"

namespace ferry {
namespace {

namespace fs = std::filesystem;

fs::path oracle_dir() { return fs::path(ferry::testing::source_dir()) / "tests" / "data" / "yaml_oracle"; }

std::vector<std::string> oracle_files() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(oracle_dir(), ec)) {
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string kubectl_path() {
  const char* configured = std::getenv("FERRY_KUBECTL");
  std::string path = configured != nullptr && *configured != '\0' ? configured : "/opt/ferry/tools/kubectl";
  return access(path.c_str(), X_OK) == 0 ? path : "";
}

struct KubectlRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs kubectl without a shell (file names reach it verbatim) and with no kubeconfig, so it can
// never talk to a cluster; its output goes to files in `tmp`.
KubectlRun run_kubectl(const std::string& kubectl, const fs::path& file, const fs::path& tmp) {
  fs::path out_path = tmp / "stdout", err_path = tmp / "stderr";
  pid_t pid = fork();
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0) _exit(127);
    dup2(out, 1);
    dup2(err, 2);
    setenv("KUBECONFIG", "/dev/null", 1);
    std::string file_arg = file.string();
    const char* argv[] = {kubectl.c_str(), "annotate",           "--local", "-f", file_arg.c_str(), "-o",
                          "json",          "ferry.dev/oracle=1", nullptr};
    execv(kubectl.c_str(), const_cast<char* const*>(argv));
    _exit(127);
  }
  KubectlRun run;
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  run.out = read_file(out_path);
  run.err = read_file(err_path);
  return run;
}

// kubectl prints each object as its own JSON document (a List when it groups them); the
// annotation that made the run possible is taken off again.
std::vector<Json> kubectl_objects(const std::string& out) {
  std::vector<Json> objects;
  std::istringstream in(out);
  while ((in >> std::ws).peek() != EOF) {
    Json value;
    in >> value;
    if (value.value("kind", "") == "List" && value.contains("items")) {
      for (auto& item : value["items"]) objects.push_back(item);
    } else {
      objects.push_back(value);
    }
  }
  for (auto& object : objects) {
    auto meta = object.find("metadata");
    if (meta == object.end() || !meta->contains("annotations")) continue;
    Json& annotations = (*meta)["annotations"];
    annotations.erase("ferry.dev/oracle");
    if (annotations.empty()) meta->erase("annotations");
  }
  return objects;
}

// Semantic equality: same structure, same strings and booleans, numbers equal as numbers (an
// int64 against a float64 of the same value, floats within a relative 1e-15).
bool same(const Json& a, const Json& b, const std::string& path, std::string& why) {
  if (a.is_number() && b.is_number()) {
    if (a.is_number_integer() && b.is_number_integer() && a == b) return true;
    double x = a.get<double>(), y = b.get<double>();
    if (x == y || std::fabs(x - y) <= 1e-15 * std::max(std::fabs(x), std::fabs(y))) return true;
    why = path + ": " + a.dump() + " != " + b.dump();
    return false;
  }
  if (a.type() != b.type()) {
    why = path + ": " + a.dump() + " (" + a.type_name() + ") != " + b.dump() + " (" + b.type_name() + ")";
    return false;
  }
  if (a.is_object()) {
    for (const auto& [key, value] : a.items()) {
      if (!b.contains(key)) {
        why = path + "/" + key + ": only kubectl has it";
        return false;
      }
      if (!same(value, b[key], path + "/" + key, why)) return false;
    }
    for (const auto& [key, value] : b.items()) {
      if (!a.contains(key)) {
        why = path + "/" + key + ": only Ferry has it";
        return false;
      }
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) {
      why = path + ": " + std::to_string(a.size()) + " items != " + std::to_string(b.size());
      return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
      if (!same(a[i], b[i], path + "/" + std::to_string(i), why)) return false;
    }
    return true;
  }
  if (a != b) {
    why = path + ": " + a.dump() + " != " + b.dump();
    return false;
  }
  return true;
}

class YamlOracle : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    kubectl_ = kubectl_path();
    if (kubectl_.empty()) GTEST_SKIP() << "kubectl not found (set FERRY_KUBECTL or run scripts/setup)";
    std::string pattern = (fs::temp_directory_path() / "ferry-yaml-oracle-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    tmp_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    if (!tmp_.empty()) fs::remove_all(tmp_, ec);
  }

  std::string kubectl_;
  fs::path tmp_;
};

TEST_P(YamlOracle, FerryReadsTheFileAsKubectlDoes) {
  const std::string name = GetParam();
  const fs::path file = oracle_dir() / name;
  KubectlRun run = run_kubectl(kubectl_, file, tmp_);
  ASSERT_NE(run.exit_code, 127) << "could not run " << kubectl_;
  // A file of nothing but empty documents or empty lists is fine for the reader; annotate alone
  // complains that it got no objects.
  bool kubectl_ok = run.exit_code == 0 || run.err.find("no objects passed to annotate") != std::string::npos;
  auto ferry = yaml::parse_objects(read_file(file), name);

  if (!kubectl_ok) {
    ASSERT_FALSE(ferry.ok()) << "kubectl rejects " << name << " (" << run.err << ") but Ferry reads:\n"
                             << Json(*ferry).dump(2);
    EXPECT_TRUE(ferry.status().is(Reason::kInvalid)) << ferry.status().to_string();
    EXPECT_NE(ferry.status().message().find(name), std::string::npos) << ferry.status().message();
    EXPECT_NE(ferry.status().message().find("line "), std::string::npos) << ferry.status().message();
    return;
  }
  ASSERT_TRUE(ferry.ok()) << "kubectl reads " << name << " but Ferry rejects it: " << ferry.status().message()
                          << "\nkubectl:\n"
                          << run.out;
  std::vector<Json> expected = kubectl_objects(run.out);
  ASSERT_EQ(ferry->size(), expected.size()) << "kubectl:\n"
                                            << run.out << "\nFerry:\n"
                                            << Json(*ferry).dump(2);
  for (size_t i = 0; i < expected.size(); ++i) {
    std::string why;
    EXPECT_TRUE(same(expected[i], (*ferry)[i], "object " + std::to_string(i), why))
        << why << "\nkubectl: " << expected[i].dump() << "\nFerry:   " << (*ferry)[i].dump();
  }
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Files, YamlOracle, ::testing::ValuesIn(oracle_files()), test_name);

// The other direction: what to_yaml writes, kubectl must read as the value Ferry meant.
TEST_F(YamlOracle, KubectlReadsWhatToYamlWrites) {
  const std::vector<std::string> strings = {"yes",
                                            "no",
                                            "on",
                                            "y",
                                            "true",
                                            "null",
                                            "~",
                                            "",
                                            " ",
                                            "012",
                                            "0x1F",
                                            "1e3",
                                            "1_000",
                                            "+1",
                                            "-",
                                            ".",
                                            ".inf",
                                            "<<",
                                            "- item",
                                            "--flag",
                                            "---",
                                            "...",
                                            "? q",
                                            "a: b",
                                            "a #b",
                                            "#c",
                                            "[x]",
                                            "{x}",
                                            "*ref",
                                            "&anchor",
                                            "!tag",
                                            "|",
                                            ">",
                                            "'",
                                            "\"",
                                            "%d",
                                            "@x",
                                            "trailing ",
                                            " leading",
                                            "tab\there",
                                            "line\nbreak",
                                            "ends with newline\n",
                                            "two\n\n",
                                            "\nleading newline",
                                            "  indented\nblock\n",
                                            "crlf\r\nline",
                                            "nel\xC2\x85",
                                            "ls\xE2\x80\xA8",
                                            "bom\xEF\xBB\xBF",
                                            "bell\x07",
                                            "caf\xC3\xA9",
                                            "\xF0\x9F\x9A\x80",
                                            "back\\slash",
                                            "2001-12-14",
                                            "1:30",
                                            "http://x:80/a?b#c",
                                            "key:",
                                            "a, b",
                                            "trail \nspace\n",
                                            "a\n\n\nb",
                                            std::string(2000, 'x')};
  Json spec = Json::object();
  for (size_t i = 0; i < strings.size(); ++i) {
    spec["value" + std::to_string(i)] = strings[i];
    spec[strings[i]] = static_cast<int64_t>(i);
  }
  spec["list"] = strings;
  spec[std::string(1500, 'k')] = "long key";
  spec["numbers"] = {1.5, 1e21, 1e300, -7, 5e-324, 4611686018427387904LL};
  Json object = {
      {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "emitted"}}}, {"spec", spec}};
  const fs::path file = tmp_ / "emitted.yaml";
  std::ofstream(file, std::ios::binary) << yaml::to_yaml(object);
  KubectlRun run = run_kubectl(kubectl_, file, tmp_);
  ASSERT_EQ(run.exit_code, 0) << run.err << "\n" << yaml::to_yaml(object);
  std::vector<Json> read = kubectl_objects(run.out);
  ASSERT_EQ(read.size(), 1u);
  std::string why;
  EXPECT_TRUE(same(object, read[0], "object", why)) << why;
}

// Guards the instantiation above: an empty or misplaced data folder would otherwise pass quietly.
TEST(YamlOracleFiles, ThereAreEnough) { EXPECT_GE(oracle_files().size(), 35u) << oracle_dir(); }

}  // namespace
}  // namespace ferry
