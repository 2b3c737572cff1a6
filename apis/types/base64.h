// Standard base64 (RFC 4648 with padding), as Kubernetes uses for Secret data and the *-data
// fields of kubeconfigs. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

namespace ferry {

std::string base64_encode(std::string_view bytes);

// Go's base64.StdEncoding.DecodeString: padding required, CR and LF skipped (and, with
// `skip_blanks`, spaces and tabs too — kubeconfigs written by hand carry them). False on
// anything else, leaving `out` unspecified.
bool base64_decode(std::string_view text, std::string& out, bool skip_blanks = false);

}  // namespace ferry
