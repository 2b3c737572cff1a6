// The login config file: where it lives, that it round-trips, and that it stays private.
#include "cli/client/config.h"

#include <sys/stat.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace ferry::cli {
namespace {

using ferry::testing::TempDir;

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(ConfigPath, FlagThenXdgThenHome) {
  EXPECT_EQ(config_file_path("/etc/f.yaml", "/xdg", "/home/u"), "/etc/f.yaml");
  EXPECT_EQ(config_file_path("", "/xdg", "/home/u"), "/xdg/ferry/config");
  EXPECT_EQ(config_file_path("", nullptr, "/home/u"), "/home/u/.config/ferry/config");
  EXPECT_EQ(config_file_path("", "", "/home/u"), "/home/u/.config/ferry/config");
  // The XDG spec ignores relative paths.
  EXPECT_EQ(config_file_path("", "relative", "/home/u"), "/home/u/.config/ferry/config");
}

TEST(Config, MissingFileIsAnEmptyConfig) {
  TempDir dir;
  auto config = read_config(dir.file("nothing/here"));
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->server, "");
  EXPECT_EQ(config->token, "");
}

TEST(Config, RoundTripsAndIsWrittenPrivately) {
  TempDir dir;
  std::string path = dir.path() + "/xdg/ferry/config";
  CliConfig written{"https://ferry.example.com:443", "admin", "ferry_secret", true, false};
  ASSERT_TRUE(write_config(path, written).ok());
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(mode_of(dir.path() + "/xdg/ferry"), 0700u);

  auto read = read_config(path);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(read->server, written.server);
  EXPECT_EQ(read->username, "admin");
  EXPECT_EQ(read->token, "ferry_secret");
  EXPECT_TRUE(read->insecure);
  EXPECT_FALSE(read->plaintext);
}

TEST(Config, RewritingTightensAWideFileAndFolder) {
  TempDir dir;
  std::string folder = dir.path() + "/ferry";
  std::string path = folder + "/config";
  ASSERT_EQ(::mkdir(folder.c_str(), 0755), 0);
  dir.write("ferry/config", "server: http://old:80\n");
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  ASSERT_TRUE(write_config(path, CliConfig{"http://new:80", "u", "t", false, true}).ok());
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(mode_of(folder), 0700u);
  auto read = read_config(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->server, "http://new:80");
  EXPECT_TRUE(read->plaintext);
}

TEST(Config, PrivateEvenUnderAPermissiveUmask) {
  TempDir dir;
  mode_t old = ::umask(0);
  Status s = write_config(dir.path() + "/c/config", CliConfig{"http://h:1", "", "t", false, true});
  ::umask(old);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(mode_of(dir.path() + "/c/config"), 0600u);
}

TEST(Config, ReadsJsonToo) {
  TempDir dir;
  std::string path = dir.write("config", R"({"server": "http://127.0.0.1:8080", "token": "abc", "plaintext": true})");
  auto read = read_config(path);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(read->server, "http://127.0.0.1:8080");
  EXPECT_EQ(read->token, "abc");
  EXPECT_TRUE(read->plaintext);
}

TEST(Config, MalformedContentNamesTheFile) {
  TempDir dir;
  for (const char* text : {"server: [a, b]\n", "- just\n- a list\n", "insecure: maybe\n", "server: {unclosed\n"}) {
    std::string path = dir.write("bad", text);
    auto read = read_config(path);
    ASSERT_FALSE(read.ok()) << text;
    EXPECT_NE(read.status().message().find(path), std::string::npos) << read.status().message();
  }
}

TEST(Config, NoTemporaryFilesAreLeftBehind) {
  TempDir dir;
  ASSERT_TRUE(write_config(dir.path() + "/config", CliConfig{"http://h:1", "", "t", false, true}).ok());
  ASSERT_TRUE(write_config(dir.path() + "/config", CliConfig{"http://h:2", "", "t", false, true}).ok());
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1);
}

}  // namespace
}  // namespace ferry::cli
