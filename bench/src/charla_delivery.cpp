#include "charla_delivery.hpp"

#include <charla/client/delivery.hpp>
#include <charla/msg/codec.hpp>

#include <algorithm>
#include <random>

namespace charla::bench {
namespace {

// A client's origin: random, never 0 (0 means none).
std::uint64_t new_origin() {
  std::random_device rd;
  const std::uint64_t o = (std::uint64_t{rd()} << 32) | rd();
  return o == 0 ? 1 : o;
}

bool numbers(const Member& m) noexcept { return m.delivery && m.delivery->origin() != 0; }

}  // namespace

void keep_deliveries(Member& m, bool numbered) {
  m.origin = numbered ? new_origin() : 0;
  m.delivery = std::make_unique<client::Delivery>(m.origin);
}

void number(Member& m, msg::Message& out, Clock::time_point deadline) {
  if (!numbers(m)) return;
  if (m.delivery->unacked().size() >= client::Delivery::kMaxUnacked) ++m.window_full;
  while (m.delivery->number(out) == 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return;
    zmq::pollitem_t item{m.dealer->handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::min(left, std::chrono::milliseconds(100)));
    take_waiting(m, Clock::now());
  }
}

bool take(Member& m, const WireView& w) {
  if (!w.ok) return false;
  if (w.type == "ack") {
    if (m.delivery) (void)m.delivery->acked(w.n);
  } else if (w.type == "error") {
    ++m.errors;
    m.last_error.assign(w.code);
    if (w.n != 0 && m.delivery && m.delivery->refused(w.n)) ++m.refused;
  } else if (w.type == "private") {
    if (!m.delivery) return true;
    msg::Private p;  // what Delivery reads of it: its numbers, not its text
    p.dseq = w.dseq;
    p.origin = w.origin;
    p.n = w.n;
    return m.delivery->fresh(p);
  }
  return false;
}

void take_waiting(Member& m, Clock::time_point now) {
  zmq::message_t frame;
  while (m.dealer->recv(frame, zmq::recv_flags::dontwait)) (void)take(m, read_wire(frame));
  confirm_due(m, now);
}

void confirm_due(Member& m, Clock::time_point now, bool now_please) {
  if (!m.delivery) return;
  if (const auto dseq = m.delivery->got_due(now, now_please)) send(m, msg::encode(msg::Got{*dseq}));
}

void await_acks(std::span<Member> members, Clock::time_point deadline) {
  std::vector<zmq::pollitem_t> items;
  for (;;) {
    items.clear();
    for (auto& m : members) {
      if (numbers(m) && !m.delivery->unacked().empty()) items.push_back({m.dealer->handle(), 0, ZMQ_POLLIN, 0});
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (items.empty() || left.count() <= 0) return;
    zmq::poll(items.data(), items.size(), std::min(left, std::chrono::milliseconds(100)));
    for (auto& m : members) {
      if (m.dealer) take_waiting(m, Clock::now());
    }
  }
}

void DeliveryReport::add(std::span<const Member> members) {
  for (const auto& m : members) {
    errors_ += m.errors;
    refused_ += m.refused;
    if (m.delivery) unacked_ += m.delivery->unacked().size();
    window_full_ += m.window_full;
    if (!m.last_error.empty()) last_code_ = m.last_error;
  }
}

std::string DeliveryReport::note() const {
  std::string out;
  if (errors_ > 0) {
    out = std::to_string(errors_) + " error replies (the last " + last_code_ + ")";
    if (refused_ > 0) out += ", " + std::to_string(refused_) + " of them refusing numbered messages";
  }
  const auto also = [&](const std::string& what) { out += (out.empty() ? "" : "; ") + what; };
  if (unacked_ > 0) also(std::to_string(unacked_) + " numbered messages never acknowledged");
  if (window_full_ > 0) {
    also(std::to_string(window_full_) + " messages waited for an ack first: the client keeps at most " +
         std::to_string(client::Delivery::kMaxUnacked) + " unacknowledged");
  }
  return out;
}

}  // namespace charla::bench
