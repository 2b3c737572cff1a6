// Application objects built and edited from `ferry app create` / `ferry app set` flags, with
// Argo CD's flag names and meanings:
//   --repo --path --revision --helm-chart          spec.source.{repoURL,path,targetRevision,chart}
//   --dest-server --dest-name --dest-namespace     spec.destination.{server,name,namespace}
//   --project                                      spec.project
//   --sync-policy automated|none                   spec.syncPolicy.automated present or removed
//   --auto-prune --self-heal --allow-empty         spec.syncPolicy.automated.{prune,selfHeal,allowEmpty}
//   --sync-option K=V (repeatable)                 spec.syncPolicy.syncOptions, replaced by key
//   --values FILE (repeatable)                     spec.source.helm.valueFiles
//   --helm-set K=V, --helm-set-string K=V          spec.source.helm.parameters, replaced by name
//   --release-name                                 spec.source.helm.releaseName
//   --directory-recurse                            spec.source.directory.recurse
//   --label K=V (repeatable)                       metadata.labels, replaced by key
// Only the flags given change anything. Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apis/types/status.h"

namespace ferry::cli {

using Json = nlohmann::json;

// The app flags a user gave; an empty optional means "not given".
struct AppFlags {
  std::optional<std::string> repo, path, revision, helm_chart;
  std::optional<std::string> dest_server, dest_name, dest_namespace, project;
  std::optional<std::string> sync_policy;
  std::optional<bool> auto_prune, self_heal, allow_empty;
  std::vector<std::string> sync_options;
  std::optional<std::vector<std::string>> values;  // replaces the list when given
  std::vector<std::string> helm_sets, helm_set_strings, labels;
  std::optional<std::string> release_name;
  std::optional<bool> directory_recurse;

  // Whether any flag was given (`app set` with none is a usage error).
  bool any() const;
};

// A new ferry.dev/v1alpha1 Application named `name` (project "default" unless given) with the
// flags applied.
Result<Json> new_application(const std::string& name, const AppFlags& flags);

// Applies the given flags to `app` (an Application object). Invalid, naming the flag, on a bad
// value: --sync-policy other than automated/auto/automatic/none/manual, K=V flags without '=',
// --auto-prune/--self-heal/--allow-empty on an app whose sync is not automated (as Argo CD).
Status apply_app_flags(Json& app, const AppFlags& flags);

}  // namespace ferry::cli
