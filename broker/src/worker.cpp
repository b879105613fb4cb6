#include "worker.hpp"

#include <charla/msg/codec.hpp>
#include <charla/msg/retry.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace charla::broker {

using msg::retry_interrupted;

Worker::Worker(zmq::context_t& ctx, Shared& shared, std::size_t index)
    : shared_(shared),
      index_(index),
      link_(ctx, zmq::socket_type::pair),
      out_(link_),
      presence_(shared, out_),
      limiter_(shared.cfg.rate, shared.cfg.burst) {
  link_.set(zmq::sockopt::sndhwm, 0);  // the I/O thread always drains this pipe
  link_.set(zmq::sockopt::rcvhwm, 0);
  link_.connect(worker_endpoint(shared.instance, index));
}

void Worker::run() {
  const auto tick = std::chrono::milliseconds(std::clamp<std::uint32_t>(shared_.cfg.heartbeat_ms / 4, 10, 250));
  auto next_tick = Clock::now() + tick;
  zmq::pollitem_t item{link_.handle(), 0, ZMQ_POLLIN, 0};
  zmq::message_t rid, ip, body;
  const auto recv = [&](zmq::message_t& m, zmq::recv_flags f) {
    return retry_interrupted([&] { return link_.recv(m, f); });
  };
  for (;;) {
    const auto wait = std::max<Clock::duration>(next_tick - Clock::now(), Clock::duration::zero());
    retry_interrupted([&] { return zmq::poll(&item, 1, std::chrono::duration_cast<std::chrono::milliseconds>(wait)); });
    // Drain what is ready before looking at the clock again.
    while (recv(rid, zmq::recv_flags::dontwait)) {
      if (!rid.more()) return;  // "Q": stop
      (void)recv(ip, zmq::recv_flags::none);
      (void)recv(body, zmq::recv_flags::none);
      handle(rid, ip, body, Clock::now());
    }
    const auto now = Clock::now();
    if (now >= next_tick) {
      this->tick(now);
      next_tick = now + tick;
    }
  }
}

Request Worker::request(std::string_view rid, std::string_view ip, Clock::time_point now,
                        std::shared_ptr<Session> s) {
  return Request{shared_, out_, presence_, local_, index_, now, rid, ip, 0, std::move(s)};
}

void Worker::handle(zmq::message_t& rid, zmq::message_t& ip, zmq::message_t& body, Clock::time_point now) {
  const auto it = local_.find(rid.to_string());
  auto r = request(rid.to_string_view(), ip.to_string_view(), now, it == local_.end() ? nullptr : it->second);
  if (r.session) Presence::heard(*r.session, now);  // any frame is proof of life
  const auto who = [&] { return r.session ? r.session->name : std::string("?"); };
  switch (limiter_.admit(r.rid, now)) {
    case RateLimiter::Verdict::pass: break;
    case RateLimiter::Verdict::drop: return;
    case RateLimiter::Verdict::warn:
      spdlog::warn("{} ({}) envía demasiado deprisa: mensajes descartados", who(), r.ip);
      r.error(msg::ErrorCode::rate_limited,
              "demasiados mensajes: el límite es " + std::to_string(static_cast<int>(shared_.cfg.rate)) +
                  " por segundo; se descartaron los que sobraban",
              "");
      return;
  }
  auto decoded = msg::decode(body.data(), body.size());
  if (!decoded) {
    const auto& e = decoded.error();
    spdlog::warn("mensaje inválido de {} ({}): {}", who(), r.ip, e.detail);
    r.error(e.code, e.detail, "");
    return;
  }
  r.id = decoded.value().id;
  spdlog::debug("{} de {} ({})", msg::type_name(decoded.value().msg), who(), r.ip);
  dispatch(r, decoded.value().msg);
}

void Worker::tick(Clock::time_point now) {
  for (auto& s : presence_.tick(local_, now)) {
    auto r = request(s->rid, s->ip, now, s);
    expire(r);
  }
  limiter_.forget_quiet(now);
}

}  // namespace charla::broker
