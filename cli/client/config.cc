#include "cli/client/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "apis/types/yaml_codec.h"

namespace ferry::cli {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Creates `dir` and its missing parents; the last one (Ferry's own folder) gets 0700 even when
// it existed, because it holds a credential.
Status make_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!dir.parent_path().empty() && !std::filesystem::exists(dir.parent_path(), ec)) {
    std::filesystem::create_directories(dir.parent_path(), ec);
    if (ec) return Status::Internal("cannot create " + dir.parent_path().string() + ": " + ec.message());
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::Internal("cannot create " + dir.string() + ": " + errno_text());
  }
  if (::chmod(dir.c_str(), 0700) != 0) return Status::Internal("cannot chmod " + dir.string() + ": " + errno_text());
  return Status::Ok();
}

}  // namespace

std::string config_file_path(const std::string& flag, const char* xdg_config_home, const char* home) {
  if (!flag.empty()) return flag;
  if (xdg_config_home && xdg_config_home[0] == '/') return std::string(xdg_config_home) + "/ferry/config";
  std::string base = home && *home ? home : ".";
  return base + "/.config/ferry/config";
}

Result<CliConfig> read_config(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) return CliConfig{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Invalid("cannot read " + path + ": " + errno_text());
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto docs = yaml::parse_stream(buffer.str(), path);
  if (!docs.ok()) return docs.status();
  CliConfig config;
  if (docs->empty()) return config;
  const Json& doc = (*docs)[0].value;
  if (!doc.is_object()) return Status::Invalid(path + ": not a mapping");
  auto read_string = [&](const char* key, std::string& out) -> Status {
    auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) return Status::Ok();
    if (!it->is_string()) return Status::Invalid(path + ": " + key + " must be a string");
    out = it->get<std::string>();
    return Status::Ok();
  };
  auto read_bool = [&](const char* key, bool& out) -> Status {
    auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) return Status::Ok();
    if (!it->is_boolean()) return Status::Invalid(path + ": " + key + " must be true or false");
    out = it->get<bool>();
    return Status::Ok();
  };
  for (Status s : {read_string("server", config.server), read_string("username", config.username),
                   read_string("token", config.token), read_bool("insecure", config.insecure),
                   read_bool("plaintext", config.plaintext)}) {
    if (!s.ok()) return s;
  }
  return config;
}

Status write_config(const std::string& path, const CliConfig& config) {
  std::filesystem::path file(path);
  if (file.has_parent_path()) {
    Status made = make_private_dir(file.parent_path());
    if (!made.ok()) return made;
  }
  Json doc = {{"server", config.server},
              {"username", config.username},
              {"token", config.token},
              {"insecure", config.insecure},
              {"plaintext", config.plaintext}};
  std::string text = "# Written by `ferry login`; holds a credential, keep it private.\n" + yaml::to_yaml(doc);

  // Written next to the target and renamed over it: a reader sees the old or the new file,
  // never half of one, and the new file never exists with a wider mode than 0600.
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::Internal("cannot write " + tmp + ": " + errno_text());
  Status result = Status::Ok();
  if (::fchmod(fd, 0600) != 0) result = Status::Internal("cannot chmod " + tmp + ": " + errno_text());
  size_t done = 0;
  while (result.ok() && done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) result = Status::Internal("cannot write " + tmp + ": " + errno_text());
    else done += static_cast<size_t>(n);
  }
  if (result.ok() && ::fsync(fd) != 0) result = Status::Internal("cannot sync " + tmp + ": " + errno_text());
  ::close(fd);
  if (result.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    result = Status::Internal("cannot replace " + path + ": " + errno_text());
  }
  if (!result.ok()) ::unlink(tmp.c_str());
  return result;
}

}  // namespace ferry::cli
