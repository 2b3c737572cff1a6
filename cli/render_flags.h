// The renderer flags `ferry render` and `ferry lint` share, and the render they drive: from a
// git repository through the mirror cache exactly as the controller renders, or (lint only) from
// a local directory, copied into a private work tree first so the renderers see what a checkout
// would give them (no .git, no symlinks leaving the directory). Used from one CLI thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "apis/types/status.h"
#include "reconciler/render/render_spec.h"

namespace ferry::cli {

struct RenderFlags {
  std::string repo, revision = "HEAD", path = ".", data_dir, renderer = "auto";
  bool recurse = false;
  std::string include, exclude;
  std::vector<std::string> value_files, helm_set, helm_set_string, api_versions;
  std::string values_file, release_name, namespace_, kube_version;
  bool skip_crds = false;
  std::string username, password, ssh_key, ssh_passphrase, known_hosts;
  bool insecure_ignore_host_key = false;
  int timeout_seconds = 90;
};

// Adds --repo, --revision, --path (required), the directory/Helm flags, --data-dir, the
// credential flags and --timeout to `cmd`, writing into `flags` (which must outlive `cmd`).
void add_render_flags(CLI::App& cmd, RenderFlags& flags);

struct Rendered {
  std::shared_ptr<const reconciler::RenderOutput> output;
  std::string commit;  // "" for a local directory
};

// Renders flags.repo at flags.revision, as `ferry render` and the controller do.
Result<Rendered> render_repo(const RenderFlags& flags);
// Renders flags.path of the local directory `dir` (the repository root) with the same renderers.
Result<Rendered> render_dir(const RenderFlags& flags, const std::string& dir);

}  // namespace ferry::cli
