// The ZAP handler (ZeroMQ RFC 27): ZeroMQ asks it, over inproc, whether a
// client's CURVE public key may connect. It answers from the allow-list (none:
// every key), and gives the connection its key in Z85 as user id, which every
// message of that connection then carries ("User-Id"): the broker knows who owns
// a name (docs/protocol.md 2.7) and which connections are trusted gateways.
#pragma once

#include <optional>
#include <set>
#include <string_view>
#include <string>

#include <zmq.hpp>

namespace charla::broker {

class ZapHandler {
 public:
  // Binds inproc://zeromq.zap.01; must exist before any socket binds.
  ZapHandler(zmq::context_t& ctx, std::optional<std::set<std::string>> allowed, std::set<std::string> gateways);
  zmq::socket_t& socket() noexcept { return socket_; }
  void handle();  // answers every request that is waiting

 private:
  zmq::socket_t socket_;
  std::optional<std::set<std::string>> allowed_;  // none: every key
  std::set<std::string> gateways_;
};

}  // namespace charla::broker
