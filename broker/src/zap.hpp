// The ZAP handler (ZeroMQ RFC 27): ZeroMQ asks it, over inproc, whether a
// client's CURVE public key may connect. It answers from the allow-list.
#pragma once

#include <set>
#include <string>

#include <zmq.hpp>

namespace charla::broker {

class ZapHandler {
 public:
  // Binds inproc://zeromq.zap.01; must exist before any socket binds.
  ZapHandler(zmq::context_t& ctx, std::set<std::string> allowed);
  zmq::socket_t& socket() noexcept { return socket_; }
  void handle();  // answers every request that is waiting

 private:
  zmq::socket_t socket_;
  std::set<std::string> allowed_;
};

}  // namespace charla::broker
