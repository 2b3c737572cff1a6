// Terminal I/O for the interactive client commands: whether a stream is a terminal, password
// prompts without echo, confirmations, and the progress spinner. Main thread only.
#pragma once

#include <chrono>
#include <string>

#include "apis/types/status.h"

namespace ferry::cli {

bool stdin_is_tty();
bool stdout_is_tty();

// Prompts on stderr and reads one line from stdin without echo when stdin is a terminal (echo
// comes back even on Ctrl-C); otherwise reads one line from stdin without a prompt (CI pipes
// the password in). The trailing newline is removed. Invalid when stdin ends before any input.
Result<std::string> read_secret(const std::string& prompt);

// Like read_secret but echoed: for the username.
Result<std::string> read_line(const std::string& prompt);

// Asks `question [y/n]` (on stderr when stdin is a terminal) and reads the answer; true only
// for y or yes.
bool confirm(const std::string& question);

// A one-character spinner with a label on stdout's last line, only when stdout is a terminal
// (piped output stays clean). Lines printed through print() appear above it.
class Spinner {
 public:
  explicit Spinner(bool enabled) : enabled_(enabled) {}
  ~Spinner() { clear(); }
  Spinner(const Spinner&) = delete;
  Spinner& operator=(const Spinner&) = delete;

  // Redraws with the next character and `label`.
  void tick(const std::string& label);
  // Prints `text` (whole lines) above the spinner.
  void print(const std::string& text);
  // Erases the spinner line.
  void clear();

 private:
  bool enabled_;
  bool shown_ = false;
  unsigned frame_ = 0;
};

// Now as RFC 3339 UTC, for progress lines.
std::string now_timestamp();

}  // namespace ferry::cli
