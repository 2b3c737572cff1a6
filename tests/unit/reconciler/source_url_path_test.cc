// Pure parts of reconciler/source: URL normalisation, repo paths, credentials and known_hosts.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "apis/types/base64.h"
#include "reconciler/source/credentials.h"
#include "reconciler/source/repo_path.h"
#include "reconciler/source/repo_url.h"

namespace ferry::reconciler {
namespace {

std::string key(const std::string& url) {
  auto parsed = parse_repo_url(url);
  EXPECT_TRUE(parsed.ok()) << url << ": " << parsed.status().to_string();
  return parsed.ok() ? parsed->key : "";
}

TEST(RepoUrl, SpellingsOfOneRepositoryShareAKey) {
  const std::string k = "https://github.com/org/repo";
  EXPECT_EQ(key("https://github.com/org/repo"), k);
  EXPECT_EQ(key("https://github.com/org/repo.git"), k);
  EXPECT_EQ(key("https://GitHub.com/Org/Repo/"), k);
  EXPECT_EQ(key("https://github.com:443/org/repo.git/"), k);
  EXPECT_EQ(key("https://user:secret@github.com/org/repo"), k);
  EXPECT_EQ(key("git@github.com:org/repo.git"), "ssh://github.com/org/repo");
  EXPECT_EQ(key("ssh://git@github.com/org/repo"), "ssh://github.com/org/repo");
  EXPECT_EQ(key("ssh://git@github.com:22/org/repo.git"), "ssh://github.com/org/repo");
  EXPECT_EQ(key("ssh://git@github.com:2222/org/repo.git"), "ssh://github.com:2222/org/repo");
  EXPECT_EQ(key("git://127.0.0.1:9418/x.git"), "git://127.0.0.1/x");
  EXPECT_EQ(key("/srv/Repos/x.git"), "file:///srv/Repos/x");  // file paths keep their case
  EXPECT_EQ(key("file:///srv/Repos/x/"), "file:///srv/Repos/x");
  EXPECT_NE(key("https://github.com/org/repo"), key("http://github.com/org/repo"));
}

TEST(RepoUrl, FetchUrlKeepsSshUserAndDropsHttpPassword) {
  auto scp = parse_repo_url("git@github.com:org/repo.git");
  ASSERT_TRUE(scp.ok());
  EXPECT_EQ(scp->fetch_url, "ssh://git@github.com/org/repo.git");
  EXPECT_EQ(scp->user, "git");
  auto https = parse_repo_url("https://bob:hunter2@example.com/r.git");
  ASSERT_TRUE(https.ok());
  EXPECT_EQ(https->fetch_url, "https://example.com/r.git");
  EXPECT_EQ(https->fetch_url.find("hunter2"), std::string::npos);
  EXPECT_EQ(https->key.find("hunter2"), std::string::npos);
}

TEST(RepoUrl, RejectsWhatIsNotARepositoryUrl) {
  for (const char* bad : {"", "ftp://x/y", "relative/path", "file://relative", "https:///nohost"}) {
    EXPECT_FALSE(parse_repo_url(bad).ok()) << bad;
  }
}

TEST(RepoUrl, MirrorDirNamesAreSafeAndDistinct) {
  auto a = mirror_dir_name(*parse_repo_url("https://github.com/org/repo"));
  auto b = mirror_dir_name(*parse_repo_url("https://github.com/org/repo2"));
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find('/'), std::string::npos);
  EXPECT_EQ(a, mirror_dir_name(*parse_repo_url("https://GITHUB.com/org/repo.git")));
}

TEST(RepoPath, CleanAppPath) {
  EXPECT_EQ(*clean_app_path(""), "");
  EXPECT_EQ(*clean_app_path("."), "");
  EXPECT_EQ(*clean_app_path("./apps//web/"), "apps/web");
  for (const std::string& bad : std::vector<std::string>{"..", "../x", "apps/../..", "a/../b", "/etc", std::string("a\0b", 3)}) {
    auto r = clean_app_path(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(refusal_name(r.status()), kPathTraversal);
    EXPECT_TRUE(r.status().is(Reason::kForbidden));
  }
}

TEST(RepoPath, JoinInsideRepo) {
  EXPECT_EQ(*join_inside_repo("apps/web", "values.yaml"), "apps/web/values.yaml");
  EXPECT_EQ(*join_inside_repo("apps/web", "../../envs/prod.yaml"), "envs/prod.yaml");
  EXPECT_EQ(*join_inside_repo("", "./a/./b"), "a/b");
  EXPECT_FALSE(join_inside_repo("apps/web", "../../../x").ok());
  EXPECT_FALSE(join_inside_repo("apps", "/etc/passwd").ok());
  EXPECT_TRUE(path_is_under("apps/web/x", "apps/web"));
  EXPECT_TRUE(path_is_under("apps/web", "apps/web"));
  EXPECT_FALSE(path_is_under("apps/webx", "apps/web"));
  EXPECT_TRUE(path_is_under("anything", ""));
}

TEST(Credentials, RedactScrubsSecretsAndUrlPasswords) {
  std::string text = "fatal: auth for https://bob:hunter2@example.com/r failed with token tok-12345";
  std::string out = redact(text, {"tok-12345"});
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  EXPECT_EQ(out.find("tok-12345"), std::string::npos) << out;
  EXPECT_NE(out.find("https://bob:******@example.com"), std::string::npos) << out;
}

TEST(Credentials, ReadSecretFromFileOrInline) {
  EXPECT_EQ(*read_secret("inline"), "inline");
  char path[] = "/tmp/ferry-secret-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "s3cret\n", 7), 7);
  close(fd);
  EXPECT_EQ(*read_secret(std::string("file:") + path), "s3cret");
  unlink(path);
  auto missing = read_secret(std::string("file:") + path);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(path), std::string::npos);
}

std::string hashed_host(const std::string& salt, const std::string& host) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), salt.data(), static_cast<int>(salt.size()), reinterpret_cast<const unsigned char*>(host.data()),
       host.size(), mac, &len);
  return "|1|" + base64_encode(salt) + "|" + base64_encode(std::string(reinterpret_cast<char*>(mac), len));
}

TEST(KnownHosts, StrictMatching) {
  const std::string key = std::string("\0\0\0\x0bssh-ed25519\0\0\0\x20", 19) + std::string(32, 'k');
  const std::string other = std::string("\0\0\0\x0bssh-ed25519\0\0\0\x20", 19) + std::string(32, 'z');
  const std::string b64 = base64_encode(key);
  std::string known = "# comment\n"
                      "github.com,140.82.112.3 ssh-ed25519 " + b64 + "\n"
                      "[git.internal]:2222 ssh-ed25519 " + b64 + "\n" +
                      hashed_host("0123456789abcdefghij", "hashed.example") + " ssh-ed25519 " + b64 + "\n"
                      "*.wild.example ssh-ed25519 " + b64 + "\n"
                      "@revoked revoked.example ssh-ed25519 " + b64 + "\n";
  EXPECT_TRUE(check_known_host(known, "github.com", 22, "ssh-ed25519", key).ok());
  EXPECT_TRUE(check_known_host(known, "140.82.112.3", 22, "ssh-ed25519", key).ok());
  EXPECT_TRUE(check_known_host(known, "git.internal", 2222, "ssh-ed25519", key).ok());
  EXPECT_TRUE(check_known_host(known, "hashed.example", 22, "ssh-ed25519", key).ok());
  EXPECT_TRUE(check_known_host(known, "a.wild.example", 22, "ssh-ed25519", key).ok());

  Status changed = check_known_host(known, "github.com", 22, "ssh-ed25519", other);
  EXPECT_TRUE(changed.is(Reason::kUnauthorized));
  EXPECT_NE(changed.message().find("does not match"), std::string::npos);
  Status unknown = check_known_host(known, "gitlab.com", 22, "ssh-ed25519", key);
  EXPECT_NE(unknown.message().find("unknown"), std::string::npos);
  EXPECT_FALSE(check_known_host(known, "git.internal", 22, "ssh-ed25519", key).ok());  // wrong port
  EXPECT_FALSE(check_known_host(known, "revoked.example", 22, "ssh-ed25519", key).ok());
  EXPECT_FALSE(check_known_host(known, "github.com", 22, "ssh-rsa", key).ok());
}

}  // namespace
}  // namespace ferry::reconciler
