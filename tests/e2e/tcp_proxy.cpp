#include "tcp_proxy.hpp"

#include <stdexcept>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace charla::test {
namespace {

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// Closes with a reset instead of an orderly FIN.
void close_hard(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

// Writes all of it (sockets are blocking; loopback buffers are large).
bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const auto n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

struct Pair {
  int client, upstream;
};

}  // namespace

TcpProxy::TcpProxy(int target_port) : target_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto addr = loopback(0);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0) {
    throw std::runtime_error("proxy: cannot listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  wake();
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_fd_);
}

void TcpProxy::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void TcpProxy::reset_all() {
  reset_ = true;
  wake();
}

void TcpProxy::set_down(bool down) {
  down_ = down;
  wake();
}

void TcpProxy::run() {
  std::vector<Pair> pairs;
  std::vector<pollfd> fds;
  char buf[65536];
  const auto drop = [&](std::size_t i) {
    close_hard(pairs[i].client);
    close_hard(pairs[i].upstream);
    pairs.erase(pairs.begin() + static_cast<long>(i));
  };
  while (!stop_) {
    if (reset_.exchange(false)) {
      while (!pairs.empty()) drop(0);
    }
    fds.clear();
    fds.push_back({listen_fd_, POLLIN, 0});
    fds.push_back({wake_fd_, POLLIN, 0});
    for (const auto& p : pairs) {
      fds.push_back({p.client, POLLIN, 0});
      fds.push_back({p.upstream, POLLIN, 0});
    }
    const std::size_t polled = pairs.size();  // an accepted connection joins the next round
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;
    if (fds[1].revents & POLLIN) {
      std::uint64_t n = 0;
      [[maybe_unused]] auto r = ::read(wake_fd_, &n, sizeof n);
      continue;  // look at the flags again
    }
    if (fds[0].revents & POLLIN) {
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        auto addr = loopback(target_);
        if (down_ || ::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
          close_hard(client);
          ::close(upstream);
        } else {
          pairs.push_back({client, upstream});
        }
      }
    }
    for (std::size_t i = polled; i-- > 0;) {
      const auto& from_client = fds[2 + 2 * i];
      const auto& from_upstream = fds[3 + 2 * i];
      bool ok = true;
      if (from_client.revents & (POLLIN | POLLHUP | POLLERR)) {
        const auto n = ::recv(pairs[i].client, buf, sizeof buf, 0);
        ok = n > 0 && write_all(pairs[i].upstream, buf, static_cast<std::size_t>(n));
      }
      if (ok && (from_upstream.revents & (POLLIN | POLLHUP | POLLERR))) {
        const auto n = ::recv(pairs[i].upstream, buf, sizeof buf, 0);
        ok = n > 0 && write_all(pairs[i].client, buf, static_cast<std::size_t>(n));
      }
      if (!ok) drop(i);
    }
  }
  while (!pairs.empty()) drop(0);
}

}  // namespace charla::test
