// The settings file in each shape an Argo CD user brings (flat keys, nested maps, ConfigMap and
// Secret documents, a mounted directory), `file:` secrets, errors that name file, line and key
// but never a secret, and the change detector.
#include "apis/types/settings.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "apis/types/base64.h"

namespace ferry::apis {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::seconds;

// A scratch folder removed with its contents (unit_apis_types links no test-support library).
class Scratch {
 public:
  Scratch() {
    std::string templ = (fs::temp_directory_path() / "ferry-settings-XXXXXX").string();
    path_ = ::mkdtemp(templ.data()) ? templ : "";
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) const {
    fs::path p = fs::path(path_) / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    return p.string();
  }

 private:
  std::string path_;
};

Settings parse_ok(const std::string& yaml) {
  auto s = parse_settings(yaml, "settings.yaml");
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return s.ok() ? *s : Settings{};
}

std::string parse_error(const std::string& yaml) {
  auto s = parse_settings(yaml, "settings.yaml");
  EXPECT_FALSE(s.ok()) << "parsed: " << yaml;
  return s.ok() ? "" : s.status().message();
}

TEST(Settings, DefaultsWhenEmpty) {
  for (const char* text : {"", "# nothing\n", "---\n", "{}\n"}) {
    Settings s = parse_ok(text);
    EXPECT_EQ(s.webhook_max_payload_bytes, 10 * 1024 * 1024);
    EXPECT_EQ(s.policy_default, "role:readonly");
    EXPECT_EQ(s.session_duration, hours(24));
    EXPECT_TRUE(s.admin_enabled);
    EXPECT_TRUE(s.accounts.empty());
    EXPECT_TRUE(s.repositories.empty());
    EXPECT_TRUE(s.policy_csv.empty());
    EXPECT_TRUE(s.webhook_github_secret.empty());
  }
}

TEST(Settings, ReadsArgoCdFlatKeys) {
  Settings s = parse_ok(R"(accounts.alice: apiKey, login
accounts.alice.enabled: "false"
accounts.ci: apiKey
accounts.alice.password: $2a$10$bcrypt-hash-from-argocd-secret
accounts.ci.tokens: "[]"
admin.enabled: "true"
webhook.github.secret: gh-secret
webhook.gitlab.secret: gl-secret
webhook.bitbucket.uuid: bb-uuid
webhook.bitbucket.secret: bb-secret
webhook.bitbucketserver.secret: bbs-secret
webhook.gogs.secret: gogs-secret
webhook.maxPayloadSizeMB: "50"
policy.csv: |
  p, role:ci, applications, sync, */*, allow
  g, ci, role:ci
policy.default: ""
users.session.duration: 1h30m
url: https://argocd.example.com
dex.config: "ignored"
)");
  ASSERT_EQ(s.accounts.size(), 2u);
  EXPECT_EQ(s.accounts[0], (AccountSetting{"alice", {"apiKey", "login"}, false}));
  EXPECT_EQ(s.accounts[1], (AccountSetting{"ci", {"apiKey"}, true}));
  EXPECT_EQ(s.webhook_github_secret, "gh-secret");
  EXPECT_EQ(s.webhook_gitlab_secret, "gl-secret");
  EXPECT_EQ(s.webhook_bitbucket_uuid, "bb-uuid");
  EXPECT_EQ(s.webhook_bitbucket_secret, "bb-secret");
  EXPECT_EQ(s.webhook_bitbucket_server_secret, "bbs-secret");
  EXPECT_EQ(s.webhook_gogs_secret, "gogs-secret");
  EXPECT_EQ(s.webhook_max_payload_bytes, 50 * 1024 * 1024);
  EXPECT_EQ(s.policy_csv, "p, role:ci, applications, sync, */*, allow\ng, ci, role:ci\n");
  EXPECT_EQ(s.policy_default, "");  // present and empty: no access beyond the policy
  EXPECT_EQ(s.session_duration, seconds(5400));
  EXPECT_TRUE(s.admin_enabled);
}

TEST(Settings, ReadsNestedShapes) {
  Settings s = parse_ok(R"(accounts:
  ci: apiKey
  alice: [login, apiKey]
  bob: {capabilities: [login], enabled: false}
  carol: {enabled: false}
webhook:
  github: {secret: gh}
  gitea: {secret: tea}
  maxPayloadSizeMB: 2
policy:
  csv: "p, role:x, applications, get, */*, allow\n"
  default: role:x
users: {session: {duration: 8h}}
admin: {enabled: false}
)");
  ASSERT_EQ(s.accounts.size(), 4u);
  EXPECT_EQ(s.accounts[0], (AccountSetting{"alice", {"login", "apiKey"}, true}));
  EXPECT_EQ(s.accounts[1], (AccountSetting{"bob", {"login"}, false}));
  EXPECT_EQ(s.accounts[2], (AccountSetting{"carol", {}, false}));
  EXPECT_EQ(s.accounts[3], (AccountSetting{"ci", {"apiKey"}, true}));
  EXPECT_EQ(s.webhook_github_secret, "gh");
  EXPECT_EQ(s.webhook_gogs_secret, "tea");  // Gitea signs like Gogs
  EXPECT_EQ(s.webhook_max_payload_bytes, 2 * 1024 * 1024);
  EXPECT_EQ(s.policy_csv, "p, role:x, applications, get, */*, allow\n");
  EXPECT_EQ(s.policy_default, "role:x");
  EXPECT_EQ(s.session_duration, hours(8));
  EXPECT_FALSE(s.admin_enabled);

  Settings rbac = parse_ok("rbac:\n  policy.csv: |\n    g, alice, role:admin\n  policy.default: role:none\n");
  EXPECT_EQ(rbac.policy_csv, "g, alice, role:admin\n");
  EXPECT_EQ(rbac.policy_default, "role:none");
}

TEST(Settings, AppendsExtraPolicyCsvKeysInKeyOrder) {
  Settings s = parse_ok(
      "policy.csv: \"p, a, applications, get, */*, allow\"\n"
      "policy.zz.csv: \"g, z, role:admin\\n\"\n"
      "policy.overlay.csv: \"g, o, role:admin\\n\"\n");
  EXPECT_EQ(s.policy_csv, "p, a, applications, get, */*, allow\ng, o, role:admin\ng, z, role:admin\n");
}

TEST(Settings, ReadsConfigMapsAndSecrets) {
  std::string text = R"(apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-cm, namespace: argocd}
data:
  accounts.ci: apiKey
  users.session.duration: 12h
  repositories: |
    - url: https://git.example.com/team/config.git
      usernameSecret: {name: repo-secret, key: username}
      passwordSecret: {name: repo-secret, key: password}
    - url: git@git.example.com:team/infra.git
      sshPrivateKeySecret: {name: repo-secret, key: sshPrivateKey}
      insecureIgnoreHostKey: true
  repository.credentials: |
    - url: https://git.example.com/shared
      username: shared
      password: shared-token
---
apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-rbac-cm}
data:
  policy.csv: |
    g, ci, role:admin
  policy.default: role:readonly
---
apiVersion: v1
kind: Secret
metadata: {name: argocd-secret}
type: Opaque
data:
  webhook.github.secret: )" + base64_encode("from-data") + R"(
  webhook.gitlab.secret: )" + base64_encode("overridden") + R"(
stringData:
  webhook.gitlab.secret: from-string-data
---
apiVersion: v1
kind: Secret
metadata: {name: repo-secret}
stringData: {username: ferry, password: repo-token, sshPrivateKey: KEY}
---
apiVersion: v1
kind: Secret
metadata:
  name: private-repo
  labels: {argocd.argoproj.io/secret-type: repository}
stringData:
  url: ssh://git@github.com/org/private
  sshPrivateKey: SSHKEY
  insecure: "true"
---
apiVersion: v1
kind: Secret
metadata:
  name: org-creds
  labels: {argocd.argoproj.io/secret-type: repo-creds}
stringData: {url: https://github.com/org, password: org-token}
---
apiVersion: v1
kind: Secret
metadata:
  name: a-cluster
  labels: {argocd.argoproj.io/secret-type: cluster}
stringData: {name: prod, server: https://prod.example.com, webhook.github.secret: not-a-setting}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: unrelated}
)";
  Settings s = parse_ok(text);
  ASSERT_EQ(s.accounts.size(), 1u);
  EXPECT_EQ(s.accounts[0].name, "ci");
  EXPECT_EQ(s.session_duration, hours(12));
  EXPECT_EQ(s.policy_csv, "g, ci, role:admin\n");
  EXPECT_EQ(s.webhook_github_secret, "from-data");
  EXPECT_EQ(s.webhook_gitlab_secret, "from-string-data");
  ASSERT_EQ(s.repositories.size(), 5u);
  EXPECT_EQ(s.repositories[0].url, "https://git.example.com/team/config.git");
  EXPECT_EQ(s.repositories[0].username, "ferry");
  EXPECT_EQ(s.repositories[0].password, "repo-token");
  EXPECT_FALSE(s.repositories[0].prefix);
  EXPECT_EQ(s.repositories[1].ssh_private_key, "KEY");
  EXPECT_TRUE(s.repositories[1].insecure_ignore_host_key);
  // Labelled Secrets come after the ConfigMap's list, templates last.
  EXPECT_EQ(s.repositories[2].url, "ssh://git@github.com/org/private");
  EXPECT_EQ(s.repositories[2].ssh_private_key, "SSHKEY");
  EXPECT_TRUE(s.repositories[2].insecure_ignore_host_key);  // `insecure` on an ssh URL
  EXPECT_TRUE(s.repositories[3].prefix);
  EXPECT_EQ(s.repositories[3].password, "org-token");
  EXPECT_TRUE(s.repositories[4].prefix);
  EXPECT_EQ(s.repositories[4].username, "shared");

  EXPECT_EQ(find_repository_credential(s, "https://git.example.com/team/config"), &s.repositories[0]);
  EXPECT_EQ(find_repository_credential(s, "HTTPS://git.example.com/team/config.git/"), &s.repositories[0]);
  EXPECT_EQ(find_repository_credential(s, "https://github.com/org/other.git"), &s.repositories[3]);
  EXPECT_EQ(find_repository_credential(s, "https://git.example.com/shared/x.git"), &s.repositories[4]);
  EXPECT_EQ(find_repository_credential(s, "https://elsewhere.example.com/x.git"), nullptr);
}

TEST(Settings, ReadsRepositoriesAsAList) {
  Settings s = parse_ok(R"(repositories:
  - url: https://a.example.com/r.git
    username: u
    password: p
    type: git
    name: ignored
repository.credentials:
  - {url: "https://a.example.com/", password: t}
  - {url: "https://a.example.com/team/", password: team}
)");
  ASSERT_EQ(s.repositories.size(), 3u);
  EXPECT_EQ(s.repositories[0], (RepositoryCredential{"https://a.example.com/r.git", false, "u", "p", "", "", false, false}));
  EXPECT_EQ(find_repository_credential(s, "https://a.example.com/team/x.git")->password, "team");  // longest prefix
  EXPECT_EQ(find_repository_credential(s, "https://a.example.com/other.git")->password, "t");
}

TEST(Settings, ReadsFileSecrets) {
  Scratch dir;
  std::string github = dir.write("github", "gh-from-file\n");
  std::string key = dir.write("key", "-----BEGIN KEY-----\nabc\n-----END KEY-----\n");
  Settings s = parse_ok("webhook.github.secret: file:" + github +
                        "\nrepositories:\n  - url: ssh://git@h/r\n    sshPrivateKey: file:" + key + "\n");
  EXPECT_EQ(s.webhook_github_secret, "gh-from-file");  // one trailing newline dropped
  ASSERT_EQ(s.repositories.size(), 1u);
  EXPECT_EQ(s.repositories[0].ssh_private_key, "-----BEGIN KEY-----\nabc\n-----END KEY-----");
  EXPECT_EQ(s.secret_files, (std::vector<std::string>{github, key}));

  std::string missing = dir.path() + "/absent";
  auto r = parse_settings("a: 1\nwebhook.gitlab.secret: file:" + missing + "\n", "s.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().is(Reason::kNotFound));
  EXPECT_NE(r.status().message().find("s.yaml: line 2: webhook.gitlab.secret"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find(missing), std::string::npos);
}

TEST(Settings, MalformedYamlNamesFileAndLine) {
  auto r = parse_settings("a: 1\nb: [1,\n  c: 2\n", "cm.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().is(Reason::kInvalid));
  EXPECT_NE(r.status().message().find("cm.yaml: document 1, line "), std::string::npos) << r.status().message();

  r = parse_settings("ok: 1\n---\nwebhook:\n  github: {secret: x\n", "two.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("two.yaml: document 2, line"), std::string::npos) << r.status().message();
}

TEST(Settings, ValueErrorsNameFileLineAndKey) {
  struct Case {
    std::string yaml;
    std::string want;
  };
  const Case cases[] = {
      {"a: 1\n\nwebhook.maxPayloadSizeMB: lots\n", "settings.yaml: line 3: webhook.maxPayloadSizeMB: must be an integer"},
      {"webhook.maxPayloadSizeMB: 0\n", "line 1: webhook.maxPayloadSizeMB: must be between 1 and 1024"},
      {"accounts:\n  ci: apiKey\n  bob: [login, admin]\n", "line 3: accounts.bob: unknown capability \"admin\""},
      {"accounts.x y: login\n", "line 1: accounts.x y: account name may not contain"},
      {"accounts.alice.enabled: maybe\n", "line 1: accounts.alice.enabled: must be true or false"},
      {"accounts: [alice]\n", "line 1: accounts: must be a map"},
      {"users.session.duration: 24\n", "line 1: users.session.duration: must be a duration such as \"24h\""},
      {"users:\n  session:\n    duration: 0s\n", "line 3: users.session.duration: must be a positive duration"},
      {"policy.matchMode: regex\n", "policy.matchMode: only \"glob\" is supported"},
      {"policy.csv: [a]\n", "policy.csv: must be a string, not a list"},
      {"repositories:\n  - username: u\n", "line 2: repositories[0]: needs a url"},
      {"repositories: |\n  - url: x\n    insecure: perhaps\n", "line 1: repositories[0].insecure: must be true or false"},
      {"repositories: |\n  - url: x\n   bad: [\n", "line 1: repositories: document 1, line "},
      {"repositories:\n  - url: x\n    passwordSecret: {name: nope, key: password}\n",
       "line 3: repositories[0].passwordSecret: Secret \"nope\" is not in the settings"},
      {"kind: Secret\nmetadata: {name: s}\ndata:\n  webhook.github.secret: '%%%'\n",
       "line 4: webhook.github.secret: Secret data values must be base64"},
      {"- just\n- a list\n", "settings.yaml: line 1: settings must be a map of keys, not a list"},
  };
  for (const auto& c : cases) {
    std::string message = parse_error(c.yaml);
    EXPECT_NE(message.find(c.want), std::string::npos) << "want: " << c.want << "\ngot:  " << message;
  }
}

TEST(Settings, SecretsNeverAppearInErrors) {
  const char* cases[] = {
      "webhook.github.secret: 123456789\n",                 // a number, not a string
      "webhook.github.secret: !!int hunter2hunter2\n",      // the codec quotes the scalar it refuses
      "repositories: |\n  - url: x\n    password: !!float hunter2hunter2\n",
      "kind: Secret\ndata: {webhook.github.secret: 'hunter2hunter2!'}\n",
  };
  for (const char* c : cases) {
    std::string message = parse_error(c);
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
    EXPECT_EQ(message.find("123456789"), std::string::npos) << message;
  }
}

TEST(Settings, LoadsAFileAndRefusesAMissingOne) {
  Scratch dir;
  std::string path = dir.write("settings.yaml", "webhook.github.secret: s\n");
  auto s = load_settings(path);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->webhook_github_secret, "s");

  auto missing = load_settings(dir.path() + "/nope.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().is(Reason::kNotFound));
  EXPECT_NE(missing.status().message().find(dir.path() + "/nope.yaml"), std::string::npos);

  dir.write("bad.yaml", "x: 1\nwebhook.maxPayloadSizeMB: big\n");
  auto bad = load_settings(dir.path() + "/bad.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(dir.path() + "/bad.yaml: line 2: webhook.maxPayloadSizeMB"),
            std::string::npos)
      << bad.status().message();
}

TEST(Settings, LoadsAPlainDirectoryOfKeyFiles) {
  Scratch dir;
  dir.write("webhook.github.secret", "gh\n");
  dir.write("accounts.ci", "apiKey\n");
  dir.write("policy.csv", "g, ci, role:admin\n");
  dir.write("policy.default", "role:readonly\n");
  dir.write("webhook.maxPayloadSizeMB", "20\n");
  dir.write(".hidden", "webhook.gitlab.secret: no\n");
  dir.write("repositories", "- url: https://x.example.com/r.git\n  password: t\n");
  fs::create_directories(fs::path(dir.path()) / "subdir");
  auto s = load_settings(dir.path());
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->webhook_github_secret, "gh");
  EXPECT_TRUE(s->webhook_gitlab_secret.empty());
  ASSERT_EQ(s->accounts.size(), 1u);
  EXPECT_EQ(s->accounts[0], (AccountSetting{"ci", {"apiKey"}, true}));
  EXPECT_EQ(s->policy_csv, "g, ci, role:admin\n");
  EXPECT_EQ(s->policy_default, "role:readonly");
  EXPECT_EQ(s->webhook_max_payload_bytes, 20 * 1024 * 1024);
  ASSERT_EQ(s->repositories.size(), 1u);
  EXPECT_EQ(s->repositories[0].password, "t");

  dir.write("users.session.duration", "soon\n");
  auto bad = load_settings(dir.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(dir.path() + "/users.session.duration: users.session.duration: must be"),
            std::string::npos)
      << bad.status().message();
}

// What the kubelet makes of a mounted ConfigMap: key symlinks into ..data, itself a symlink to a
// timestamped folder that is swapped on update.
void kubelet_version(const Scratch& dir, const std::string& version, const std::map<std::string, std::string>& keys) {
  fs::path root(dir.path());
  for (const auto& [k, v] : keys) dir.write(version + "/" + k, v);
  fs::remove(root / "..data_tmp");
  fs::create_directory_symlink(version, root / "..data_tmp");
  fs::rename(root / "..data_tmp", root / "..data");
  for (const auto& [k, v] : keys) {
    if (!fs::is_symlink(root / k)) fs::create_symlink(fs::path("..data") / k, root / k);
  }
}

TEST(Settings, LoadsAKubernetesVolumeThroughDotDotData) {
  Scratch dir;
  kubelet_version(dir, "..2024_05_01_10_00_00.000000001",
                  {{"webhook.github.secret", "one"}, {"accounts.ci", "apiKey"}});
  auto s = load_settings(dir.path());
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->webhook_github_secret, "one");
  ASSERT_EQ(s->accounts.size(), 1u);  // the timestamped folder's files are not read twice
  auto first = settings_fingerprint(dir.path());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*settings_fingerprint(dir.path()), *first);

  kubelet_version(dir, "..2024_05_01_11_00_00.000000002",
                  {{"webhook.github.secret", "two"}, {"accounts.ci", "apiKey"}});
  s = load_settings(dir.path());
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->webhook_github_secret, "two");
  EXPECT_NE(*settings_fingerprint(dir.path()), *first);
}

TEST(Settings, FingerprintChangesWithContentAndSecretFiles) {
  Scratch dir;
  std::string path = dir.write("settings.yaml", "webhook.github.secret: aaaa\n");
  std::string secret = dir.write("secret", "one");
  auto a = settings_fingerprint(path, {secret});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*settings_fingerprint(path, {secret}), *a);

  // Same size, same mtime: only the content hash can tell.
  struct stat before {};
  ::stat(path.c_str(), &before);
  dir.write("settings.yaml", "webhook.github.secret: bbbb\n");
  struct timespec times[2] = {before.st_atim, before.st_mtim};
  ::utimensat(AT_FDCWD, path.c_str(), times, 0);
  auto b = settings_fingerprint(path, {secret});
  EXPECT_NE(*b, *a);

  dir.write("secret", "two");
  EXPECT_NE(*settings_fingerprint(path, {secret}), *b);
  // A missing file is a state, not an error.
  auto gone = settings_fingerprint(dir.path() + "/absent");
  ASSERT_TRUE(gone.ok());
  EXPECT_NE(*gone, *a);
}

}  // namespace
}  // namespace ferry::apis
