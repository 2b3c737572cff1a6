// Go's duration syntax, as Argo CD's retry backoff ("5s", "3m", "1m30s", "1.5h", "300ms") is
// written. Pure functions; any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "apis/types/status.h"

namespace ferry::apis {

// Reads a Go duration (time.ParseDuration): an optional sign, then one or more decimal numbers
// each followed by a unit — ns, us (µs, μs), ms, s, m, h — e.g. "1h2m3.5s"; a lone "0" needs no
// unit. Sub-millisecond remainders are truncated toward zero. Invalid (quoting the text) on
// anything else, including a missing unit ("5") and values beyond ±292 years.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest Go spelling of a duration: 0s, 300ms, 5s, 1m30s, 2h0m0s (Go's own format for
// whole units above a minute keeps the zero fields, as time.Duration.String does).
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace ferry::apis
