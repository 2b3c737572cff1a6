// SIGINT and SIGTERM for the long-running subcommands (sim, controller, demo): they are blocked
// in every thread and taken by one sigwait, so a termination always reaches the orderly shutdown
// instead of killing the process from whichever thread the kernel picked.
#pragma once

namespace ferry::cli {

// Blocks SIGINT and SIGTERM in the calling thread. Call first, before any thread is started:
// threads inherit the mask (a thread started earlier would still take the default action).
void block_termination_signals();
// Blocks the calling thread until SIGINT or SIGTERM arrives. Call from the main thread once.
void wait_for_termination();

}  // namespace ferry::cli
