#include "cli/signals.h"

#include <csignal>

namespace ferry::cli {

void wait_for_termination() {
  // Block the signals in this thread (threads started later inherit the mask) and wait for one.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  int signal = 0;
  sigwait(&set, &signal);
}

}  // namespace ferry::cli
