// Settings: what `ferry controller --settings PATH` reads (DESIGN.md §11) — webhook secrets per
// provider, local accounts, RBAC policy, session length and repository credentials. The file is
// written the way an Argo CD user already has it:
//
//   1. Argo CD's flat keys, as in argocd-cm / argocd-rbac-cm / argocd-secret:
//        accounts.alice: apiKey, login
//        accounts.alice.enabled: "false"
//        webhook.github.secret: file:/etc/ferry/github-secret
//        policy.csv: |
//          p, role:ci, applications, sync, */*, allow
//        policy.default: role:readonly
//        users.session.duration: 24h
//        repositories: |
//          - url: https://git.example.com/config.git
//            username: ferry
//            password: file:/etc/ferry/git-token
//   2. The same nested: `accounts: {ci: apiKey, alice: [login, apiKey]}` or
//      `accounts: {alice: {capabilities: [login], enabled: false}}`, `webhook: {github: {secret: x}}`,
//      `policy: {csv: ..., default: ...}` or `rbac: {policy.csv: ..., policy.default: ...}`.
//      (`policy.gates.*` is not RBAC but the policy gates' default levels, see policy_gates.)
//   3. Kubernetes ConfigMap and Secret documents (one file, `---` between them): their `data`
//      (base64 in a Secret) and `stringData` read as in 1. Secrets labelled
//      `argocd.argoproj.io/secret-type: repository` / `repo-creds` are repository credentials
//      and credential templates; other labelled Secrets (clusters) are skipped.
//   4. A directory — a mounted ConfigMap/Secret volume: every regular file (symlinks followed,
//      dotfiles and Kubernetes' `..data` machinery skipped) is one key, its content the value.
//
// Any secret value (webhook secrets, repository username/password/sshPrivateKey/sshPassphrase)
// may be `file:/path`: the file's content with one trailing newline dropped. A repository entry
// in argocd-cm may instead name a Secret of the same file (`passwordSecret: {name, key}`).
// Unknown keys are ignored (an Argo CD ConfigMap holds many that Ferry has no use for).
//
// Errors are Invalid (NotFound for a missing settings or secret file) and name the file, the
// line when known and the key — never a secret value. Plain values and pure functions (apart
// from reading the files named); any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "apis/types/status.h"

namespace ferry::apis {

inline constexpr const char* kCapabilityLogin = "login";
inline constexpr const char* kCapabilityApiKey = "apiKey";

// A local account from the settings (Argo CD's `accounts.<name>`). The built-in `admin` account
// is not listed here; see Settings::admin_enabled.
struct AccountSetting {
  std::string name;
  std::vector<std::string> capabilities;  // "login" and/or "apiKey", in the order written
  bool enabled = true;

  bool operator==(const AccountSetting&) const = default;
};

// Credentials for one repository (prefix false: the URL must match) or a credential template
// (prefix true: used for every repository URL that starts with `url`; the longest wins).
struct RepositoryCredential {
  std::string url;
  bool prefix = false;
  std::string username;
  std::string password;
  std::string ssh_private_key;
  std::string ssh_passphrase;
  bool insecure_ignore_host_key = false;  // Argo's insecureIgnoreHostKey, or `insecure` on ssh URLs
  bool insecure = false;                  // Argo's `insecure`: skip TLS verification (https)

  bool operator==(const RepositoryCredential&) const = default;
};

struct Settings {
  // Webhook secrets; "" means that provider's deliveries are not signature-checked.
  std::string webhook_github_secret;            // webhook.github.secret
  std::string webhook_gitlab_secret;            // webhook.gitlab.secret
  std::string webhook_gogs_secret;              // webhook.gogs.secret (Gitea and Gogs; webhook.gitea.secret too)
  std::string webhook_bitbucket_uuid;           // webhook.bitbucket.uuid
  std::string webhook_bitbucket_secret;         // webhook.bitbucket.secret (Bitbucket Cloud's signed hooks)
  std::string webhook_bitbucket_server_secret;  // webhook.bitbucketserver.secret
  int64_t webhook_max_payload_bytes = 10 * 1024 * 1024;  // webhook.maxPayloadSizeMB

  bool admin_enabled = true;  // admin.enabled
  std::vector<AccountSetting> accounts;  // sorted by name

  std::string policy_csv;  // policy.csv, then every policy.<name>.csv in key order
  // The role every authenticated user has besides their own grants; "" grants nothing more.
  std::string policy_default = "role:readonly";

  std::chrono::seconds session_duration{std::chrono::hours(24)};  // users.session.duration

  // Policy gates every app starts from (docs/policy.md): `policy.gates.<default|check-id>:
  // off|warn|deny`, or nested `policy: {gates: {default: warn, image-tag-latest: deny}}` — the
  // same map as an Application's spec.policy, which wins key by key. Empty = the built-in levels.
  std::map<std::string, std::string> policy_gates;

  // The `repositories` list, then labelled repository / repo-creds Secrets in file order, then the
  // `repository.credentials` templates. find_repository_credential() picks among them.
  std::vector<RepositoryCredential> repositories;

  // Every file the settings named with `file:`, so a change detector can watch them too.
  std::vector<std::string> secret_files;
};

// Parses settings text (shapes 1-3 above). `source_name` names the text in errors.
Result<Settings> parse_settings(std::string_view yaml, std::string_view source_name);

// Reads a settings file, or a directory (shape 4). NotFound when `path` does not exist.
Result<Settings> load_settings(const std::string& path);

// A cheap change detector for `path` (file, or every key file of a directory) and the `extra`
// files (pass Settings::secret_files): size, modification time and a content hash of each. Equal
// fingerprints mean nothing changed; compare, and reload on a difference. A missing file is part
// of the fingerprint, not an error; Internal only when a directory cannot be listed.
Result<std::string> settings_fingerprint(const std::string& path, const std::vector<std::string>& extra = {});

// The credential for a repository URL: an exact (non-prefix) entry first — compared without case,
// a trailing '/' or ".git" — else the template with the longest matching prefix; null when none.
// The pointer refers into `settings`.
const RepositoryCredential* find_repository_credential(const Settings& settings, std::string_view url);

}  // namespace ferry::apis
