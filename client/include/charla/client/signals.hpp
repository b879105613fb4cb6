// SIGINT and SIGTERM as a readable file descriptor, so the event loop sees
// them like any other input (and readline never has to).
#pragma once

#include <csignal>
#include <sys/signalfd.h>
#include <unistd.h>

namespace charla::client {

class SignalFd {
 public:
  SignalFd() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    std::signal(SIGPIPE, SIG_IGN);
  }
  ~SignalFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;
  int fd() const noexcept { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace charla::client
