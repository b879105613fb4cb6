// Waiting on many ZeroMQ sockets at once without zmq_poll's cost per socket per
// call: an epoll set over their ZMQ_FD descriptors, so one wake-up costs the
// same whether a thread serves 5 sockets or 250. A socket whose descriptor
// signalled is drained until EAGAIN (which also re-arms its descriptor).
#pragma once

#include <vector>

#include <zmq.hpp>

namespace charla::bench {

class ZmqReady {
 public:
  explicit ZmqReady(const std::vector<zmq::socket_t*>& sockets);
  ~ZmqReady();
  ZmqReady(const ZmqReady&) = delete;
  ZmqReady& operator=(const ZmqReady&) = delete;

  // Waits up to timeout_ms; appends the indexes of the sockets that signalled.
  void wait(int timeout_ms, std::vector<int>& ready);

 private:
  int epfd_ = -1;
};

}  // namespace charla::bench
