// Does a push concern an app? Pure functions of a PushEvent and an AppSource (the few facts of
// an Application the webhook needs, filled by the caller); thread-safe. Three tests, all must
// pass:
//   repository  the payload names the app's repository, however either side spells it
//               (git@github.com:Org/Repo.git matches https://github.com/org/repo);
//   revision    "" / "HEAD" follow the default branch; "main" / "refs/heads/main" a branch;
//               "v1.2.0" / "refs/tags/v1.2.0" a tag; a commit SHA is pinned and never matches;
//   paths       some changed file lies under one of the app's paths, or the files are unknown
//               (the controller then compares trees in git itself).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "webhook/push_event.h"

namespace ferry::webhook {

// Argo CD's annotation listing, ';'-separated, the paths an app's manifests depend on beyond its
// own (relative to the app's path, or from the repository root when starting with '/').
inline constexpr std::string_view kManifestGeneratePathsAnnotation = "argocd.argoproj.io/manifest-generate-paths";

struct AppSource {
  std::string name;             // the Application's name, passed back to refresh_app
  std::string repo_url;         // spec.source.repoURL
  std::string target_revision;  // spec.source.targetRevision
  // Repository-relative directories whose changes concern the app; "" or "." is the whole
  // repository, and so is an empty list. See watch_paths().
  std::vector<std::string> paths;
};

// The paths an AppSource should carry: the app's own path plus each annotation entry, resolved
// and cleaned ("apps/web" with "../shared;/charts" -> {"apps/web", "apps/shared", "charts"}).
// An entry climbing above the repository root stands for the whole repository.
std::vector<std::string> watch_paths(std::string_view source_path, std::string_view manifest_generate_paths);

// The repository's identity for matching: host and path of reconciler::parse_repo_url's key,
// without scheme, user or port, so a repository's https, ssh and scp-like spellings agree (as in
// Argo CD, whose webhook ignores the same parts). nullopt for a URL that does not parse.
std::optional<std::string> repo_identity(std::string_view url);
bool same_repository(std::string_view a, std::string_view b);

bool repository_matches(const PushEvent& event, std::string_view app_repo_url);
bool revision_matches(const PushEvent& event, std::string_view target_revision);
bool paths_match(const PushEvent& event, const std::vector<std::string>& paths);

// All three of the above.
bool push_matches(const PushEvent& event, const AppSource& app);

}  // namespace ferry::webhook
