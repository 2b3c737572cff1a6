// Blocking until SIGINT or SIGTERM, for the long-running subcommands (sim, controller, demo).
#pragma once

namespace ferry::cli {

// Blocks the calling thread until SIGINT or SIGTERM arrives. Call from the main thread once.
void wait_for_termination();

}  // namespace ferry::cli
