#include "io_loop.hpp"

#include "clock.hpp"
#include "keeper.hpp"
#include "reader.hpp"
#include "link.hpp"

#include <charla/msg/codec.hpp>
#include <charla/msg/retry.hpp>

#include <spdlog/spdlog.h>

#include <cstring>
#include <functional>
#include <string_view>

namespace charla::broker {
namespace {

using msg::retry_interrupted;

// While replies wait for a connection's queue to drain, try again this often
// (ZeroMQ's ROUTER says nothing when one peer's queue has room again).
constexpr auto kRetryWaiting = std::chrono::milliseconds(2);

bool recv(zmq::socket_t& s, zmq::message_t& m, zmq::recv_flags f = zmq::recv_flags::none) {
  return retry_interrupted([&] { return s.recv(m, f).has_value(); });
}
template <class Part>  // zmq::message_t& or zmq::const_buffer
bool send(zmq::socket_t& s, Part&& part, zmq::send_flags f) {
  return retry_interrupted([&] { return s.send(std::forward<Part>(part), f).has_value(); });
}

constexpr int kBatch = 512;  // messages taken from one socket before polling again
// Publications waiting in one loop turn leave as one frame up to
// msg::kMaxPublishedFrame (a larger message still leaves alone). Each frame costs
// ZeroMQ a write into every subscriber's pipe whatever its size, and a frame over
// ZeroMQ's 8 KiB write batch goes to the socket without being copied into it:
// 32 KiB measured about 1.6 times the deliveries/s of 8 KiB at 500 subscribers.
using msg::kMaxPublishedFrame;

// The user id the ZAP handler gave the connection ("" when none).
std::string user_id(zmq::message_t& m) {
  try {
    return m.gets("User-Id");
  } catch (const zmq::error_t&) {
    return {};
  }
}

std::string peer_address(zmq::message_t& m) {
  try {
    return m.gets("Peer-Address");
  } catch (const zmq::error_t&) {
    return "?";  // inproc or ipc: no address
  }
}

}  // namespace

IoLoop::IoLoop(zmq::context_t& ctx, Shared& shared, zmq::socket_t& router, zmq::socket_t& pub, int stop_fd,
               ZapHandler* zap)
    : shared_(shared), router_(router), pub_(pub), stop_fd_(stop_fd), zap_(zap) {
  const auto n = shared.cfg.workers;
  links_.reserve(n + 2);
  backlog_.resize(n + 2);
  // A link per worker, then the store thread's and the reader's (replies only).
  for (std::size_t i = 0; i < n + 2; ++i) {
    auto& link = links_.emplace_back(ctx, zmq::socket_type::pair);
    link.set(zmq::sockopt::sndhwm, 10000);
    link.set(zmq::sockopt::rcvhwm, 0);
    link.bind(i < n    ? worker_endpoint(shared.instance, i)
              : i == n ? keeper_link_endpoint(shared.instance)
                       : reader_link_endpoint(shared.instance));
  }
}

void IoLoop::run() {
  const auto n = links_.size();
  std::vector<zmq::pollitem_t> items(2 + n + (zap_ != nullptr ? 1 : 0));
  next_beat_ = Clock::now() + std::chrono::milliseconds(shared_.cfg.heartbeat_ms);
  for (;;) {
    items[0] = {router_.handle(), 0, static_cast<short>(backlogged_ == 0 ? ZMQ_POLLIN : 0), 0};
    items[1] = {nullptr, stop_fd_, ZMQ_POLLIN, 0};
    for (std::size_t i = 0; i < n; ++i) {
      items[2 + i] = {links_[i].handle(), 0,
                      static_cast<short>(ZMQ_POLLIN | (backlog_[i].empty() ? 0 : ZMQ_POLLOUT)), 0};
    }
    if (zap_ != nullptr) items[2 + n] = {zap_->socket().handle(), 0, ZMQ_POLLIN, 0};
    auto wait = std::max<Clock::duration>(next_beat_ - Clock::now(), Clock::duration::zero());
    if (!waiting_.empty()) wait = std::min<Clock::duration>(wait, kRetryWaiting);
    retry_interrupted(
        [&] { return zmq::poll(items.data(), items.size(), std::chrono::duration_cast<std::chrono::milliseconds>(wait)); });
    if (items[1].revents & ZMQ_POLLIN) return shutdown();
    if (zap_ != nullptr && (items[2 + n].revents & ZMQ_POLLIN)) zap_->handle();
    for (std::size_t i = 0; i < n; ++i) {
      if (items[2 + i].revents & ZMQ_POLLIN) from_worker(i);
      if (items[2 + i].revents & ZMQ_POLLOUT) {
        auto& q = backlog_[i];
        while (!q.empty() && try_send(i, q.front())) q.pop_front();
        if (q.empty()) --backlogged_;
      }
    }
    flush_published();
    if (!waiting_.empty()) send_waiting();
    if (items[0].revents & ZMQ_POLLIN) from_clients();
    if (Clock::now() >= next_beat_) beat();
  }
}

bool IoLoop::read_client(Inbound& in) {
  if (!recv(router_, in.rid, zmq::recv_flags::dontwait)) return false;
  if (!in.rid.more()) return true;  // cannot happen on ROUTER; an empty body for the worker
  (void)recv(router_, in.body);
  in.ip = zmq::message_t(peer_address(in.body));
  if (!shared_.cfg.curve_secret.empty()) in.key = zmq::message_t(user_id(in.body));
  in.several = in.body.more();
  if (in.several) {
    // Drained here and not kept: the worker counts it and answers bad_frame (2.1).
    zmq::message_t extra;
    do {
      (void)recv(router_, extra);
    } while (extra.more());
    in.body = zmq::message_t();
  }
  return true;
}

void IoLoop::from_clients() {
  const auto n = shared_.cfg.workers;
  for (int k = 0; k < kBatch && backlogged_ == 0; ++k) {
    Inbound in;
    if (!read_client(in)) return;
    if (!cut_.empty()) {
      if (auto it = cut_.find(in.rid.to_string()); it != cut_.end()) {
        it->second = Clock::now();  // still talking: remember it a while longer
        continue;
      }
    }
    const auto i = std::hash<std::string_view>{}(in.rid.to_string_view()) % n;
    to_worker(i, std::move(in));
  }
}

bool IoLoop::try_send(std::size_t i, Inbound& in) {
  auto& link = links_[i];
  if (!send(link, zmq::buffer(in.several ? "S" : "M", 1), zmq::send_flags::dontwait | zmq::send_flags::sndmore)) {
    return false;
  }
  (void)send(link, in.rid, zmq::send_flags::sndmore);
  (void)send(link, in.ip, zmq::send_flags::sndmore);
  if (in.several) {
    (void)send(link, in.key, zmq::send_flags::none);
    return true;
  }
  (void)send(link, in.key, zmq::send_flags::sndmore);
  (void)send(link, in.body, zmq::send_flags::none);
  return true;
}

void IoLoop::to_worker(std::size_t i, Inbound&& in) {
  auto& q = backlog_[i];
  if (q.empty() && try_send(i, in)) return;
  if (q.empty()) ++backlogged_;  // stop reading clients until this worker catches up
  q.push_back(std::move(in));
}

void IoLoop::from_worker(std::size_t i) {
  auto& link = links_[i];
  zmq::message_t kind, a, b, c;
  for (int k = 0; k < kBatch && recv(link, kind, zmq::recv_flags::dontwait); ++k) {
    const char tag = kind.size() == 1 ? *kind.data<char>() : '?';
    if (tag == 'R') {
      (void)recv(link, a);
      (void)recv(link, b);
      send_to_client(a, b);
    } else if (tag == 'P') {
      (void)recv(link, a);  // stream
      (void)recv(link, b);  // seq
      (void)recv(link, c);  // topic + body
      std::uint64_t seq = 0;
      std::memcpy(&seq, b.data(), sizeof seq);
      auto& seqr = *a.data<char>() == static_cast<char>(Stream::chat) ? chat_ : presence_;
      const auto topic = *a.data<char>() == static_cast<char>(Stream::chat) ? msg::kTopicChat : msg::kTopicPresence;
      seqr.push(seq, std::move(c), [&](zmq::message_t& m) { publish(m, topic); });
    } else if (tag == 'X') {
      (void)recv(link, a);
      cut(a.to_string(), "envía basura sin parar");
    } else if (tag == 'B') {
      // Asked for by a sync: soon, but at most one extra beat per 10 ms however many syncs come.
      next_beat_ = std::min(next_beat_, last_beat_ + std::chrono::milliseconds(10));
    }
  }
}

// Replies leave in order: while one is waiting for a connection, the later ones
// wait behind it, up to max_queue bytes; past that the connection is cut off.
void IoLoop::send_to_client(zmq::message_t& rid, zmq::message_t& body) {
  const auto peer = rid.to_string();
  if (!cut_.empty() && cut_.count(peer) != 0) return;
  if (const auto it = waiting_.find(peer); it != waiting_.end()) return wait_for_room(peer, it->second, body);
  switch (try_send(peer, body)) {
    case Sent::yes:
    case Sent::gone: return;
    case Sent::full: return wait_for_room(peer, waiting_[peer], body);
  }
}

IoLoop::Sent IoLoop::try_send(const std::string& peer, zmq::message_t& body) {
  try {
    if (!send(router_, zmq::buffer(peer), zmq::send_flags::dontwait | zmq::send_flags::sndmore)) return Sent::full;
    (void)send(router_, body, zmq::send_flags::dontwait);
    return Sent::yes;
  } catch (const zmq::error_t& e) {
    if (e.num() != EHOSTUNREACH) throw;
    return Sent::gone;  // the connection is gone: its session, if any, expires or is resumed
  }
}

void IoLoop::wait_for_room(const std::string& peer, Waiting& w, zmq::message_t& body) {
  if (w.bytes + body.size() > shared_.cfg.max_queue) return cut(peer, "no lee lo que se le envía");
  w.bytes += body.size();
  w.frames.push_back(std::move(body));
}

void IoLoop::send_waiting() {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    auto& w = it->second;
    bool gone = false;
    while (!w.frames.empty()) {
      const auto sent = try_send(it->first, w.frames.front());
      if (sent == Sent::full) break;
      gone = sent == Sent::gone;
      if (gone) break;
      w.bytes -= w.frames.front().size();
      w.frames.pop_front();
    }
    it = gone || w.frames.empty() ? waiting_.erase(it) : std::next(it);
  }
}

void IoLoop::cut(const std::string& peer, const char* why) {
  if (!cut_.emplace(peer, Clock::now()).second) return;
  waiting_.erase(peer);
  spdlog::warn("conexión cortada ({}): se descarta lo que tenía en cola y lo que envíe", why);
}

// Holds a publication until the end of the loop turn (flush_published), so that
// a burst under one topic leaves as one frame: the topic once, then each body.
void IoLoop::publish(zmq::message_t& frame, std::string_view topic) {
  const auto body = frame.to_string_view().substr(topic.size());
  const auto held = pending_ == 1 ? first_.size() : batch_.size();
  if (pending_ > 0 && (topic != topic_ || held + body.size() > kMaxPublishedFrame)) flush_published();
  if (pending_++ == 0) {
    first_ = std::move(frame);
    topic_ = topic;
    return;
  }
  if (pending_ == 2) batch_.assign(first_.data<char>(), first_.size());
  batch_.append(body);
}

void IoLoop::flush_published() {
  if (pending_ == 0) return;
  if (pending_ == 1) {
    send(pub_, first_, zmq::send_flags::none);
  } else {
    send(pub_, zmq::buffer(batch_), zmq::send_flags::none);
  }
  pending_ = 0;
}

void IoLoop::beat() {
  last_beat_ = Clock::now();
  // A cut-off connection that has been quiet this long has closed, or will get nothing anyway.
  const auto forget = std::chrono::milliseconds(10 * std::uint64_t{shared_.cfg.expiry_ms});
  std::erase_if(cut_, [&](const auto& kv) { return last_beat_ - kv.second > forget; });
  next_beat_ = last_beat_ + std::chrono::milliseconds(shared_.cfg.heartbeat_ms);
  auto frame = msg::encode_published(msg::Beat{presence_.last(), chat_.last(), shared_.instance});
  publish(frame, msg::kTopicSys);
  flush_published();
}

void IoLoop::shutdown() {
  spdlog::info("cerrando: aviso a los clientes");
  auto frame = msg::encode_published(msg::Shutdown{"el servidor se está cerrando"});
  publish(frame, msg::kTopicSys);
  flush_published();
  for (std::size_t i = 0; i < shared_.cfg.workers; ++i) send(links_[i], zmq::str_buffer("Q"), zmq::send_flags::none);
}

}  // namespace charla::broker
