// The ZAP handler (ZeroMQ RFC 27): ZeroMQ asks it, over inproc, whether a
// client's CURVE public key may connect. It answers from the allow-list (none:
// every key), and names a trusted gateway's connection with the user id
// kGatewayUser, which every message of that connection then carries ("User-Id").
#pragma once

#include <optional>
#include <set>
#include <string_view>
#include <string>

#include <zmq.hpp>

namespace charla::broker {

inline constexpr std::string_view kGatewayUser = "gateway";

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
