// Real processes for end-to-end tests: spawn a binary with piped stdin,
// stdout and stderr, wait for what it prints with a deadline, signal it,
// and collect its exit status. Every child is killed when its Process dies.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace charla::test {

using std::chrono::milliseconds;

class Process {
 public:
  explicit Process(std::vector<std::string> argv, std::vector<std::string> env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void write(const std::string& text);  // to stdin
  void close_stdin();
  void signal(int sig);
  // Reads what the process has written so far, without waiting (so that a chatty
  // process never blocks on a full pipe while the test is busy elsewhere).
  void drain() { (void)pump(milliseconds(0)); }

  // Waits until the output (stdout or stderr, as chosen) holds `text` after
  // what earlier waits consumed; returns the line holding it, or nullopt.
  std::optional<std::string> wait_for_line(const std::string& text, milliseconds deadline, bool from_stderr = false);
  // Waits for the exit; returns the exit code (128+signal if killed), or nullopt on timeout.
  std::optional<int> wait_exit(milliseconds deadline);

  const std::string& out() const noexcept { return out_; }
  const std::string& err() const noexcept { return err_; }
  pid_t pid() const noexcept { return pid_; }

 private:
  bool pump(milliseconds wait);  // reads what is ready; false if nothing can come any more

  pid_t pid_ = -1;
  int in_ = -1, out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_;
  std::size_t out_seen_ = 0, err_seen_ = 0;
  std::optional<int> status_;
};

}  // namespace charla::test
