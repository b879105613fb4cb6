// The processes the bench starts (brokers, gnuplot), and what it reads about them.
// Every child is stopped by its PID: by its owner's destructor, by the watchdog,
// or by the SIGINT/SIGTERM handler; and the kernel kills it if the bench dies
// (PR_SET_PDEATHSIG).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace charla::bench {

using Clock = std::chrono::steady_clock;

class Child {
 public:
  // Starts argv[0] (a path) with stdout and stderr to log_path. Throws on failure.
  Child(std::vector<std::string> argv, const std::string& log_path);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const noexcept { return pid_; }
  bool running();
  // SIGTERM, then SIGKILL after `grace`; reaps the child. Returns its exit status (or -signal).
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
  // Waits for the child to exit by itself until the deadline; kills it after.
  int wait(Clock::time_point deadline);

 private:
  pid_t pid_ = -1;
  int status_ = 0;
};

// Installs SIGINT/SIGTERM handlers that kill every running child, then exit.
void install_signal_handlers();
// From any thread (the watchdog): kills every running child with SIGKILL.
void kill_all_children() noexcept;

// A TCP port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_port();
// True once something accepts connections on 127.0.0.1:port.
bool wait_for_port(std::uint16_t port, Clock::time_point deadline);
// The file's content once it is non-empty and ends in a newline.
std::optional<std::string> wait_for_file(const std::string& path, Clock::time_point deadline);

// Resident memory and CPU time (user + system) of a process; -1 when unknown.
struct ProcSample {
  long rss_kb = -1;
  double cpu_s = -1;
};
ProcSample sample(pid_t pid);

// Raises RLIMIT_NOFILE as far as allowed; returns the new soft limit.
long raise_fd_limit();

// The path of a program from PATH, /usr/sbin or /sbin; empty if absent.
std::string find_program(const std::string& name);

// A fresh private directory for logs and configuration files.
std::string make_temp_dir(const std::string& prefix);

}  // namespace charla::bench
