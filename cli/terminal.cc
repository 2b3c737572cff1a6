#include "cli/terminal.h"

#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "apis/types/application_status.h"

namespace ferry::cli {
namespace {

// The terminal settings to restore if a signal arrives while echo is off.
termios saved_termios;
volatile sig_atomic_t echo_off = 0;

void restore_and_exit(int signal) {
  if (echo_off) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
  (void)!::write(STDERR_FILENO, "\n", 1);
  ::_exit(128 + signal);
}

Result<std::string> read_one_line() {
  std::string line;
  if (!std::getline(std::cin, line) && line.empty()) return Status::Invalid("no input on stdin");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

bool stdin_is_tty() { return ::isatty(STDIN_FILENO) == 1; }
bool stdout_is_tty() { return ::isatty(STDOUT_FILENO) == 1; }

Result<std::string> read_secret(const std::string& prompt) {
  if (!stdin_is_tty()) return read_one_line();
  std::cerr << prompt << std::flush;
  termios current{};
  bool have_termios = ::tcgetattr(STDIN_FILENO, &current) == 0;
  struct sigaction on_signal {}, old_int {}, old_term {};
  if (have_termios) {
    saved_termios = current;
    on_signal.sa_handler = restore_and_exit;
    sigemptyset(&on_signal.sa_mask);
    ::sigaction(SIGINT, &on_signal, &old_int);
    ::sigaction(SIGTERM, &on_signal, &old_term);
    termios quiet = current;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    echo_off = 1;
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  auto line = read_one_line();
  if (have_termios) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
    echo_off = 0;
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
  } else {
    std::cerr << "\n";
  }
  return line;
}

Result<std::string> read_line(const std::string& prompt) {
  if (stdin_is_tty()) std::cerr << prompt << std::flush;
  return read_one_line();
}

bool confirm(const std::string& question) {
  if (stdin_is_tty()) std::cerr << question << " [y/n] " << std::flush;
  auto answer = read_one_line();
  return answer.ok() && (*answer == "y" || *answer == "Y" || *answer == "yes" || *answer == "YES");
}

void Spinner::tick(const std::string& label) {
  if (!enabled_) return;
  static constexpr char kFrames[] = {'|', '/', '-', '\\'};
  std::cout << "\r\033[K" << kFrames[frame_++ % 4] << " " << label << std::flush;
  shown_ = true;
}

void Spinner::print(const std::string& text) {
  clear();
  std::cout << text << std::flush;
}

void Spinner::clear() {
  if (!shown_) return;
  std::cout << "\r\033[K" << std::flush;
  shown_ = false;
}

std::string now_timestamp() { return apis::rfc3339(std::chrono::system_clock::now()); }

}  // namespace ferry::cli
