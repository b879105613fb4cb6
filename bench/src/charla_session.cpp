#include "charla_session.hpp"

#include "charla_delivery.hpp"

#include <charla/msg/codec.hpp>

#include <algorithm>
#include <stdexcept>

namespace charla::bench {
namespace {

constexpr auto kSyncEvery = std::chrono::milliseconds(50);

int ms_until(Clock::time_point t, int cap) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, cap));
}

void open_dealer(zmq::context_t& ctx, const Endpoint& at, Member& m) {
  m.dealer.emplace(ctx, zmq::socket_type::dealer);
  m.dealer->set(zmq::sockopt::linger, 200);
  m.dealer->connect("tcp://" + at.host + ":" + std::to_string(at.port));
}

void open_sub(zmq::context_t& ctx, const Endpoint& at, Member& m, std::uint16_t pub_port,
              const std::vector<std::string>& topics) {
  m.sub.emplace(ctx, zmq::socket_type::sub);
  m.sub->set(zmq::sockopt::linger, 0);
  m.sub->set(zmq::sockopt::rcvhwm, 0);  // the bench never drops: any drop is the broker's
  for (const auto& t : topics) m.sub->set(zmq::sockopt::subscribe, t);
  m.sub->set(zmq::sockopt::subscribe, std::string("sys"));
  m.sub->connect("tcp://" + at.host + ":" + std::to_string(pub_port));
}

// Reads the welcome (or the refusal) waiting on a member's DEALER.
void take_welcome(Member& m, BrokerInfo& info) {
  zmq::message_t frame;
  while (!m.welcomed && m.dealer->recv(frame, zmq::recv_flags::dontwait)) {
    auto d = msg::decode(frame.data(), frame.size());
    if (!d) continue;
    if (auto* w = std::get_if<msg::Welcome>(&d.value().msg)) {
      m.welcomed = true;
      m.welcome_ns = now_ns();
      info.pub_port = w->pub_port;
      if (w->heartbeat_ms > 0) info.heartbeat = std::chrono::milliseconds(w->heartbeat_ms);
    } else if (auto* e = std::get_if<msg::Error>(&d.value().msg)) {
      throw std::runtime_error("the broker refused '" + m.name + "': " + e->text);
    }
  }
}

void await_welcomes(std::span<Member> members, BrokerInfo& info, Clock::time_point deadline) {
  std::vector<zmq::pollitem_t> items;
  std::vector<Member*> waiting;
  for (;;) {
    items.clear();
    waiting.clear();
    for (auto& m : members) {
      if (m.welcomed) continue;
      items.push_back({m.dealer->handle(), 0, ZMQ_POLLIN, 0});
      waiting.push_back(&m);
    }
    if (items.empty()) return;
    if (Clock::now() >= deadline) {
      throw std::runtime_error(std::to_string(items.size()) + " clients had no welcome from the broker in time");
    }
    zmq::poll(items.data(), items.size(), std::chrono::milliseconds(ms_until(deadline, 100)));
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].revents & ZMQ_POLLIN) take_welcome(*waiting[i], info);
    }
  }
}

void await_live(std::span<Member> members, Clock::time_point deadline) {
  std::vector<zmq::pollitem_t> items;
  std::vector<Member*> waiting;
  auto next_sync = Clock::now();
  zmq::message_t frame;
  for (;;) {
    items.clear();
    waiting.clear();
    for (auto& m : members) {
      if (m.live) continue;
      items.push_back({m.sub->handle(), 0, ZMQ_POLLIN, 0});
      waiting.push_back(&m);
    }
    if (items.empty()) return;
    const auto now = Clock::now();
    if (now >= deadline) throw std::runtime_error(std::to_string(items.size()) + " subscriptions never came alive");
    if (now >= next_sync) {
      for (auto* m : waiting) send(*m, msg::encode(msg::Sync{}));
      next_sync = now + kSyncEvery;
    }
    zmq::poll(items.data(), items.size(), std::chrono::milliseconds(ms_until(std::min(next_sync, deadline), 50)));
    for (std::size_t i = 0; i < items.size(); ++i) {
      if ((items[i].revents & ZMQ_POLLIN) == 0) continue;
      while (waiting[i]->sub->recv(frame, zmq::recv_flags::dontwait)) {
      }
      waiting[i]->live = true;
    }
  }
}

}  // namespace

void send(Member& m, zmq::message_t&& frame) {
  (void)m.dealer->send(frame, zmq::send_flags::none);
  m.last_send = Clock::now();
}

BrokerInfo join(zmq::context_t& ctx, const Endpoint& at, std::span<Member> members,
                const std::vector<std::string>& topics, bool keep_sys, Clock::time_point deadline) {
  BrokerInfo info;
  for (auto& m : members) {
    open_dealer(ctx, at, m);
    m.hello_ns = now_ns();
    if (m.name.empty()) {
      send(m, msg::encode(msg::Watch{}));
    } else {
      send(m, msg::encode(msg::Hello{m.name, "", m.origin}));
    }
  }
  await_welcomes(members, info, deadline);
  for (auto& m : members) open_sub(ctx, at, m, info.pub_port, topics);
  await_live(members, deadline);
  if (!keep_sys) {
    for (auto& m : members) m.sub->set(zmq::sockopt::unsubscribe, std::string("sys"));
  }
  return info;
}

void keepalive(std::span<Member> members, std::chrono::milliseconds every, Clock::time_point now) {
  for (auto& m : members) {
    if (!m.dealer) continue;
    take_waiting(m, now);
    if (!m.name.empty() && now - m.last_send >= every) send(m, msg::encode(msg::Ping{}));
  }
}

void leave(std::span<Member> members) {
  for (auto& m : members) {
    if (m.dealer && m.welcomed && !m.name.empty()) {
      confirm_due(m, Clock::now(), true);
      (void)m.dealer->send(msg::encode(msg::Bye{}), zmq::send_flags::dontwait);
    }
    m.sub.reset();
    m.dealer.reset();
  }
}

}  // namespace charla::bench
