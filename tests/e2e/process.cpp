#include "process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace charla::test {
namespace {

void set_nonblock(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

Process::Process(std::vector<std::string> argv, std::vector<std::string> env) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  std::vector<std::string> envs;
  for (char** e = environ; *e != nullptr; ++e) envs.emplace_back(*e);
  for (auto& e : env) envs.push_back(std::move(e));
  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::setpgid(0, 0);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  out_fd_ = out[0];
  err_fd_ = err[0];
  set_nonblock(out_fd_);
  set_nonblock(err_fd_);
}

Process::~Process() {
  close_stdin();
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void Process::write(const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(in_, text.data() + done, text.size() - done);
    if (n <= 0) throw std::runtime_error("write to child stdin failed");
    done += static_cast<std::size_t>(n);
  }
}

void Process::close_stdin() {
  if (in_ >= 0) ::close(in_);
  in_ = -1;
}

void Process::signal(int sig) {
  if (!status_) ::kill(pid_, sig);
}

bool Process::pump(milliseconds wait) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  const int open = (out_fd_ >= 0 ? 1 : 0) + (err_fd_ >= 0 ? 1 : 0);
  if (open == 0) return false;
  if (::poll(fds, 2, static_cast<int>(wait.count())) <= 0) return true;
  for (int i = 0; i < 2; ++i) {
    if (fds[i].revents == 0) continue;
    int& fd = i == 0 ? out_fd_ : err_fd_;
    std::string& buf = i == 0 ? out_ : err_;
    char chunk[4096];
    for (;;) {
      const auto n = ::read(fd, chunk, sizeof chunk);
      if (n > 0) {
        buf.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        ::close(fd);
        fd = -1;
      }
      break;
    }
  }
  return true;
}

std::optional<std::string> Process::wait_for_line(const std::string& text, milliseconds deadline, bool from_stderr) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    std::string& buf = from_stderr ? err_ : out_;
    std::size_t& seen = from_stderr ? err_seen_ : out_seen_;
    if (const auto pos = buf.find(text, seen); pos != std::string::npos) {
      const auto b = buf.rfind('\n', pos);
      const auto start = b == std::string::npos ? 0 : b + 1;
      auto e = buf.find('\n', pos);
      if (e == std::string::npos) e = buf.size();
      seen = e;
      return buf.substr(start, e - start);
    }
    const auto left = std::chrono::duration_cast<milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (!pump(left)) return std::nullopt;
  }
}

std::optional<int> Process::wait_exit(milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!status_) {
    int st = 0;
    const auto r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      break;
    }
    const auto left = std::chrono::duration_cast<milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    // Output pipes close when the child exits: wait on them rather than on the clock.
    if (!pump(std::min(left, milliseconds(20)))) {
      ::waitpid(pid_, &st, 0);
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
  }
  // Collect what is still buffered.
  while (pump(milliseconds(0)) && (out_fd_ >= 0 || err_fd_ >= 0)) {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    if (::poll(fds, 2, 0) <= 0) break;
  }
  return status_;
}

}  // namespace charla::test
