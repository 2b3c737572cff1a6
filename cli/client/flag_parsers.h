// Parsers for the values of the CLI's client flags, written as Argo CD users write them:
// durations (`--expires-in 24h`, `--timeout 60`) and resources (`--resource apps:Deployment:web`).
// Pure functions; any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "apis/types/status.h"

namespace ferry::cli {

// `--expires-in`: a Go duration ("24h", "30m", "1h30m", "90s") or days ("7d", "1d12h"), as Argo
// CD's token flags accept; "0" or "0s" means never. Whole seconds (rounded down). Invalid,
// quoting the text, on anything else, including negative values.
Result<std::chrono::seconds> parse_expires_in(std::string_view text);

// `--timeout`: whole seconds as Argo CD takes them ("60"), or any duration parse_expires_in
// reads ("2m", "1h"). 0 means no timeout.
Result<std::chrono::seconds> parse_timeout(std::string_view text);

// One `--resource` selection: Argo CD's GROUP:KIND:NAME, with the namespace optional as
// GROUP:KIND:NAMESPACE/NAME. The core group is empty (":Service:web").
struct ResourceRef {
  std::string group;
  std::string kind;
  std::string namespace_;
  std::string name;
};
Result<ResourceRef> parse_resource_ref(std::string_view text);

}  // namespace ferry::cli
