#include "zap.hpp"

#include <spdlog/spdlog.h>

#include <array>

namespace charla::broker {

ZapHandler::ZapHandler(zmq::context_t& ctx, std::optional<std::set<std::string>> allowed,
                       std::set<std::string> gateways)
    : socket_(ctx, zmq::socket_type::rep), allowed_(std::move(allowed)), gateways_(std::move(gateways)) {
  socket_.bind("inproc://zeromq.zap.01");
}

void ZapHandler::handle() {
  // Request: version, request id, domain, address, routing id, mechanism, credentials...
  std::array<zmq::message_t, 7> f;
  while (socket_.recv(f[0], zmq::recv_flags::dontwait)) {
    std::size_t n = 1;
    bool more = f[0].more();
    while (more) {
      zmq::message_t part;
      (void)socket_.recv(part);
      more = part.more();
      if (n < f.size()) f[n++] = std::move(part);
    }
    const bool curve = n == 7 && f[5].to_string_view() == "CURVE" && f[6].size() == 32;
    const auto key = curve ? f[6].to_string() : std::string();
    const bool gateway = curve && gateways_.count(key) != 0;
    const bool ok = curve && (!allowed_ || allowed_->count(key) != 0 || gateway);
    const auto address = n > 3 ? f[3].to_string() : std::string("?");
    if (ok) {
      spdlog::debug("ZAP: clave autorizada desde {}", address);
    } else {
      char shown[41] = "?";
      if (curve) zmq_z85_encode(shown, f[6].data<std::uint8_t>(), 32);
      spdlog::warn("acceso denegado a {}: la clave {} no está en la lista autorizada", address, shown);
    }
    socket_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
    if (n < 2) f[1] = zmq::message_t();
    socket_.send(f[1], zmq::send_flags::sndmore);
    socket_.send(ok ? zmq::str_buffer("200") : zmq::str_buffer("400"), zmq::send_flags::sndmore);
    socket_.send(ok ? zmq::str_buffer("OK") : zmq::str_buffer("clave no autorizada"), zmq::send_flags::sndmore);
    char z85[41] = "";
    if (ok) zmq_z85_encode(z85, f[6].data<std::uint8_t>(), 32);
    socket_.send(zmq::buffer(std::string_view(z85)), zmq::send_flags::sndmore);  // user id: the key
    socket_.send(zmq::str_buffer(""), zmq::send_flags::none);     // metadata
  }
}

}  // namespace charla::broker
