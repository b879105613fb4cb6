#include "tmux.hpp"

#include "process.hpp"

#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace charla::test {
namespace {

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

Tmux::Tmux(const std::string& command) {
  char tmpl[] = "/tmp/charla-tmux-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  socket_ = dir_ + "/sock";
  fifo_ = dir_ + "/out";
  if (::mkfifo(fifo_.c_str(), 0600) != 0) throw std::runtime_error("mkfifo failed");
  fifo_fd_ = ::open(fifo_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  tmux("-f /dev/null new-session -d -x 100 -y 24 -s t " + quote(command));
  tmux("set-option -t t remain-on-exit on");
  tmux("pipe-pane -t t -o " + quote("cat > " + fifo_));
}

Tmux::~Tmux() {
  try {
    tmux("kill-server");
  } catch (...) {
  }
  if (fifo_fd_ >= 0) ::close(fifo_fd_);
  ::unlink(fifo_.c_str());
  ::unlink(socket_.c_str());
  ::rmdir(dir_.c_str());
}

std::string Tmux::tmux(const std::string& args) {
  Process p({"/bin/sh", "-c", "exec tmux -S " + quote(socket_) + " " + args});
  const auto rc = p.wait_exit(std::chrono::milliseconds(10000));
  if (rc != 0) throw std::runtime_error("tmux " + args + " failed: " + p.err());
  return p.out();
}

void Tmux::type(const std::string& literal) { tmux("send-keys -t t -l " + quote(literal)); }
void Tmux::key(const std::string& name) { tmux("send-keys -t t " + name); }

std::string Tmux::screen(bool with_escapes) { return tmux(std::string("capture-pane -p -t t") + (with_escapes ? " -e" : "")); }

bool Tmux::wait_output(std::chrono::milliseconds wait) {
  pollfd pfd{fifo_fd_, POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(wait.count())) <= 0) return false;
  char buf[4096];
  while (::read(fifo_fd_, buf, sizeof buf) > 0) {
  }
  return true;
}

bool Tmux::wait_for(const std::string& text, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (screen().find(text) != std::string::npos) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    // Output that arrives between the capture and this wait is still in the FIFO: no event is lost.
    wait_output(std::min(left, std::chrono::milliseconds(250)));
  }
}

bool Tmux::wait_closed(std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (tmux("display-message -p -t t '#{pane_dead}'").find('1') != std::string::npos) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    wait_output(std::min(left, std::chrono::milliseconds(100)));
  }
}

}  // namespace charla::test
