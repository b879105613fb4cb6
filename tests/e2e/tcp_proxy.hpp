// A TCP proxy on 127.0.0.1 for the end-to-end tests, standing in for the
// network between a client and the broker: it forwards every connection to a
// target port, and on request resets them all (RST, as a dropped NAT entry or
// a flaky link does) or refuses new ones for a while (a network that is down).
#pragma once

#include <atomic>
#include <mutex>
#include <thread>

namespace charla::test {

class TcpProxy {
 public:
  explicit TcpProxy(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const noexcept { return port_; }
  // Closes every connection now with a reset, on both sides.
  void reset_all();
  // While down, new connections are reset as soon as they are accepted.
  void set_down(bool down);

 private:
  void run();
  void wake();

  int target_;
  int listen_fd_ = -1, wake_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> down_{false}, reset_{false}, stop_{false};
  std::thread thread_;
};

}  // namespace charla::test
