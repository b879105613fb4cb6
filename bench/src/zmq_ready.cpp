#include "zmq_ready.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <stdexcept>

namespace charla::bench {

ZmqReady::ZmqReady(const std::vector<zmq::socket_t*>& sockets) : epfd_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (epfd_ < 0) throw std::runtime_error("epoll_create1 failed");
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(i);
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, sockets[i]->get(zmq::sockopt::fd), &ev);
  }
}

ZmqReady::~ZmqReady() { ::close(epfd_); }

void ZmqReady::wait(int timeout_ms, std::vector<int>& ready) {
  std::array<epoll_event, 256> events{};
  const int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), timeout_ms);
  for (int i = 0; i < n; ++i) ready.push_back(static_cast<int>(events[static_cast<std::size_t>(i)].data.u32));
}

}  // namespace charla::bench
