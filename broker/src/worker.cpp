#include "worker.hpp"

#include <charla/msg/codec.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace charla::broker {

Worker::Worker(zmq::context_t& ctx, Shared& shared, std::size_t index)
    : shared_(shared), index_(index), link_(ctx, zmq::socket_type::pair), out_(link_) {
  link_.set(zmq::sockopt::sndhwm, 0);  // the I/O thread always drains this pipe
  link_.set(zmq::sockopt::rcvhwm, 0);
  link_.connect(worker_endpoint(shared.instance, index));
}

void Worker::run() {
  const auto tick = std::chrono::milliseconds(std::clamp<std::uint32_t>(shared_.cfg.heartbeat_ms / 4, 10, 250));
  auto next_tick = Clock::now() + tick;
  zmq::pollitem_t item{link_.handle(), 0, ZMQ_POLLIN, 0};
  zmq::message_t rid, ip, body;
  for (;;) {
    const auto wait = std::max<Clock::duration>(next_tick - Clock::now(), Clock::duration::zero());
    zmq::poll(&item, 1, std::chrono::duration_cast<std::chrono::milliseconds>(wait));
    // Drain what is ready before looking at the clock again.
    while (link_.recv(rid, zmq::recv_flags::dontwait)) {
      if (!rid.more()) return;  // "Q": stop
      (void)link_.recv(ip);
      (void)link_.recv(body);
      handle(rid, ip, body, Clock::now());
    }
    const auto now = Clock::now();
    if (now >= next_tick) {
      expire_and_idle(shared_, out_, local_, now);
      next_tick = now + tick;
    }
  }
}

void Worker::handle(zmq::message_t& rid, zmq::message_t& ip, zmq::message_t& body, Clock::time_point now) {
  const std::string rid_str = rid.to_string();
  const auto it = local_.find(rid_str);
  Request r{shared_, out_, local_, index_, now, rid_str, ip.to_string_view(), 0,
            it == local_.end() ? nullptr : it->second};
  auto decoded = msg::decode(body.data(), body.size());
  if (!decoded) {
    const auto& e = decoded.error();
    spdlog::warn("mensaje inválido de {} ({}): {}", r.session ? r.session->name : std::string("?"), r.ip, e.detail);
    if (r.session) r.session->last_heard = now;  // malformed, but proof of life
    r.error(e.code, e.detail, "");
    return;
  }
  r.id = decoded.value().id;
  spdlog::debug("{} de {} ({})", msg::type_name(decoded.value().msg), r.session ? r.session->name : "?", r.ip);
  dispatch(r, decoded.value().msg);
}

}  // namespace charla::broker
