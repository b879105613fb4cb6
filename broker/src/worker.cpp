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
      this->tick(now);
      next_tick = now + tick;
    }
  }
}

void Worker::tick(Clock::time_point now) {
  expire_and_idle(shared_, out_, local_, now);
  forget_quiet_buckets(now);
}

void Worker::handle(zmq::message_t& rid, zmq::message_t& ip, zmq::message_t& body, Clock::time_point now) {
  const std::string rid_str = rid.to_string();
  const auto it = local_.find(rid_str);
  Request r{shared_, out_, local_, index_, now, rid_str, ip.to_string_view(), 0,
            it == local_.end() ? nullptr : it->second};
  if (r.session) r.session->last_heard = now;  // any frame is proof of life
  if (!admit(r)) return;
  auto decoded = msg::decode(body.data(), body.size());
  if (!decoded) {
    const auto& e = decoded.error();
    spdlog::warn("mensaje inválido de {} ({}): {}", r.session ? r.session->name : std::string("?"), r.ip, e.detail);
    r.error(e.code, e.detail, "");
    return;
  }
  r.id = decoded.value().id;
  spdlog::debug("{} de {} ({})", msg::type_name(decoded.value().msg), r.session ? r.session->name : "?", r.ip);
  dispatch(r, decoded.value().msg);
}

}  // namespace charla::broker

namespace charla::broker {

bool Worker::admit(Request& r) {
  const double rate = shared_.cfg.rate;
  if (rate <= 0) return true;
  auto [it, fresh] = buckets_.try_emplace(std::string(r.rid));
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = shared_.cfg.burst;
  } else {
    const double dt = std::chrono::duration<double>(r.now - b.last).count();
    b.tokens = std::min(shared_.cfg.burst, b.tokens + dt * rate);
  }
  b.last = r.now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  // Dropped. Say so at most once a second, so a flood does not get a flood back.
  if (r.now - b.warned >= std::chrono::seconds(1)) {
    b.warned = r.now;
    spdlog::warn("{} ({}) envía demasiado deprisa: mensajes descartados",
                 r.session ? r.session->name : std::string("?"), r.ip);
    r.error(msg::ErrorCode::rate_limited,
            "demasiados mensajes: el límite es " + std::to_string(static_cast<int>(rate)) +
                " por segundo; se descartaron los que sobraban",
            "");
  }
  return false;
}

void Worker::forget_quiet_buckets(Clock::time_point now) {
  // After this long a bucket is full again: forgetting it changes nothing.
  const auto refill = std::chrono::duration<double>(shared_.cfg.burst / std::max(shared_.cfg.rate, 1e-9));
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = now - it->second.last > refill + std::chrono::seconds(1) ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace charla::broker
