// `ferry render`: prints the manifests an app source renders to, as one YAML stream.
//   ferry render --repo URL [--revision R] --path P [--recurse] [--helm-values F]...
//                [--helm-set k=v]... [--release-name N] [--namespace NS]
// Exit 0 on success; 2 with the reason on stderr otherwise.
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "apis/types/yaml_codec.h"
#include "cli/commands.h"
#include "cli/render_flags.h"

namespace ferry::cli {
namespace {

Status run(const RenderFlags& f) {
  auto result = render_repo(f);
  if (!result.ok()) return result.status();
  for (const auto& w : result->output->warnings) std::cerr << "warning: " << w << "\n";
  std::cout << yaml::to_yaml_stream(result->output->objects);
  std::cout.flush();
  return Status::Ok();
}

// Ends the process once the output is out. By now the work tree is removed and every mirror
// handle closed (they lived in run()); what exit() would still do is free memory and tear down
// libraries (OpenSSL, cpprest, the CLI11 tree), a few ms that a cold `ferry render`
// pays on top of the tool it runs (issue #4) and the kernel does anyway. Streams are flushed
// first, so nothing written is lost.
[[noreturn]] void exit_now(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

}  // namespace

void add_render_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("render", "Render an application's manifests from git");
  auto flags = std::make_shared<RenderFlags>();
  add_render_flags(*cmd, *flags);
  cmd->get_option("--repo")->required();
  cmd->callback([flags, &exit_code] {
    Status s;
    try {
      s = run(*flags);
    } catch (const std::exception& e) {
      s = Status::Internal(e.what());
    }
    if (!s.ok()) std::cerr << "ferry render: " << s.to_string() << "\n";
    exit_code = s.ok() ? 0 : 2;
    exit_now(exit_code);
  });
}

}  // namespace ferry::cli
