#include "worker.hpp"

#include <charla/msg/codec.hpp>
#include <charla/msg/retry.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <malloc.h>
#include <unistd.h>

namespace charla::broker {
namespace {

using msg::retry_interrupted;
using Kind = LogLimiter::Kind;

// How often worker 0 hands freed memory back to the system (glibc keeps it otherwise).
constexpr auto kTrimEvery = std::chrono::seconds(5);

// The process's resident memory in MiB (/proc/self/statm counts pages).
long resident_mib() {
  long pages = 0, resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * ::sysconf(_SC_PAGESIZE) / (1024 * 1024);
}

std::string rate_text(double rate) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", rate);
  return buf;
}

}  // namespace

Worker::Worker(zmq::context_t& ctx, Shared& shared, std::size_t index)
    : shared_(shared),
      index_(index),
      link_(ctx, zmq::socket_type::pair),
      out_(link_),
      presence_(shared, out_, log_),
      keeper_(ctx, shared.instance),
      reader_(ctx, shared),
      acks_([this](std::string_view rid, std::uint64_t n) { keeper_.push(job::Ack{std::string(rid), n}); }),
      limiter_(shared.cfg.rate, shared.cfg.burst) {
  link_.set(zmq::sockopt::sndhwm, 0);  // the I/O thread always drains this pipe
  link_.set(zmq::sockopt::rcvhwm, 0);
  link_.connect(worker_endpoint(shared.instance, index));
}

void Worker::run() {
  const auto tick = std::chrono::milliseconds(std::clamp<std::uint32_t>(shared_.cfg.heartbeat_ms / 4, 10, 250));
  auto next_tick = Clock::now() + tick;
  zmq::pollitem_t item{link_.handle(), 0, ZMQ_POLLIN, 0};
  zmq::message_t kind, rid, ip, key, body;
  const auto recv = [&](zmq::message_t& m, zmq::recv_flags f) {
    return retry_interrupted([&] { return link_.recv(m, f); });
  };
  for (;;) {
    const auto wait = std::max<Clock::duration>(next_tick - Clock::now(), Clock::duration::zero());
    retry_interrupted([&] { return zmq::poll(&item, 1, std::chrono::duration_cast<std::chrono::milliseconds>(wait)); });
    // Drain what is ready before looking at the clock again.
    while (recv(kind, zmq::recv_flags::dontwait)) {
      if (!kind.more()) return;  // "Q": stop
      const bool several = kind.to_string_view() == "S";
      (void)recv(rid, zmq::recv_flags::none);
      (void)recv(ip, zmq::recv_flags::none);
      (void)recv(key, zmq::recv_flags::none);
      if (!several) (void)recv(body, zmq::recv_flags::none);
      handle(rid, ip, key.to_string_view(), several ? nullptr : &body, Clock::now());
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
  return Request{shared_, out_, presence_, acks_, keeper_, reader_, words_, log_, local_, index_, now, rid, ip, 0,
                 std::move(s)};
}

// The session this connection holds, if any; one that was taken over by
// another connection, or removed, is forgotten here without a word.
std::shared_ptr<Session> Worker::session_of(const std::string& rid) {
  const auto it = local_.find(rid);
  if (it == local_.end()) return nullptr;
  if (!it->second->ended) return it->second;
  local_.erase(it);
  return nullptr;
}

void Worker::handle(zmq::message_t& rid_frame, zmq::message_t& ip, std::string_view key, zmq::message_t* body,
                    Clock::time_point now) {
  const auto rid = rid_frame.to_string();
  auto r = request(rid, ip.to_string_view(), now, session_of(rid));
  r.key = key;
  r.from_gateway = !key.empty() && shared_.gateways.count(std::string(key)) != 0;
  if (r.session) Presence::heard(*r.session, now);  // any message is proof of life
  if (!admitted(r)) return;
  if (body == nullptr) {
    return refuse_frame(r, {msg::ErrorCode::bad_frame, "se esperaba un único frame por mensaje"});
  }
  auto decoded = msg::decode(body->data(), body->size());
  if (!decoded) return refuse_frame(r, decoded.error());
  bad_in_a_row_.erase(rid);
  r.id = decoded.value().id;
  spdlog::debug("{} de {}", msg::type_name(decoded.value().msg), r.who());
  dispatch(r, decoded.value().msg);
}

bool Worker::admitted(Request& r) {
  switch (limiter_.admit(r.rid, r.now)) {
    case RateLimiter::Verdict::pass: return true;
    case RateLimiter::Verdict::drop: return false;
    case RateLimiter::Verdict::warn: break;
  }
  if (r.may_log(Kind::rate_limited)) spdlog::warn("{} envía demasiado deprisa: mensajes descartados", r.who());
  r.error(msg::ErrorCode::rate_limited,
          "demasiados mensajes: el límite es " + rate_text(shared_.cfg.rate) +
              " por segundo; se descartaron los que sobraban",
          "");
  return false;
}

void Worker::refuse_frame(Request& r, const msg::DecodeError& e) {
  if (r.may_log(Kind::bad_message)) spdlog::warn("mensaje inválido de {}: {}", r.who(), e.detail);
  r.error(e.code, e.detail, "");
  if (++bad_in_a_row_[std::string(r.rid)] < kMaxBadInARow) return;
  bad_in_a_row_.erase(std::string(r.rid));
  spdlog::warn("{}: {} mensajes inválidos seguidos; se corta la conexión", r.who(), kMaxBadInARow);
  out_.cut(r.rid);
}

void Worker::tick(Clock::time_point now) {
  std::erase_if(local_, [](const auto& kv) { return kv.second->ended.load(); });
  for (auto& s : presence_.tick(local_, now)) {
    auto r = request(s->rid, s->ip, now, s);
    expire(r);
  }
  acks_.flush();
  log_.summarize(now);
  limiter_.forget_quiet(now);
  // A connection that sent garbage and then went quiet or away is forgotten with its bucket.
  if (bad_in_a_row_.size() > 1024) bad_in_a_row_.clear();
  give_back_memory(now);
}

// glibc keeps memory freed by many small allocations (sessions, buffers of
// closed connections) in its arenas; after a burst, hand it back so that the
// broker's size returns near its baseline (measured: docs/security.md).
void Worker::give_back_memory(Clock::time_point now) {
  if (index_ != 0 || now < next_trim_) return;
  next_trim_ = now + kTrimEvery;
  const auto before = resident_mib();
  if (::malloc_trim(0) == 0) return;
  const auto after = resident_mib();
  if (before - after >= 4) spdlog::info("memoria devuelta al sistema: {} MiB → {} MiB", before, after);
}

}  // namespace charla::broker
