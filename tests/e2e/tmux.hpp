// A real terminal for end-to-end tests: a private tmux server running one
// command in a pane. Waits are driven by the pane's output (pipe-pane into a
// FIFO), never by the clock.
#pragma once

#include <chrono>
#include <string>

namespace charla::test {

class Tmux {
 public:
  // Starts `command` (a shell command line) in a 100x24 pane.
  explicit Tmux(const std::string& command);
  ~Tmux();
  Tmux(const Tmux&) = delete;
  Tmux& operator=(const Tmux&) = delete;

  void type(const std::string& literal);  // characters, as typed
  void key(const std::string& name);      // a key name: Enter, Tab, C-c
  std::string screen(bool with_escapes = false);
  // Waits until the screen shows `text`; returns whether it did.
  bool wait_for(const std::string& text, std::chrono::milliseconds deadline);
  // Waits until the pane's command has ended.
  bool wait_closed(std::chrono::milliseconds deadline);

 private:
  std::string tmux(const std::string& args);
  bool wait_output(std::chrono::milliseconds wait);

  std::string socket_, dir_, fifo_;
  int fifo_fd_ = -1;
};

}  // namespace charla::test
