// A test client that speaks the real protocol over real sockets: a DEALER for
// requests and replies, a SUB for what the broker publishes. Every wait has a
// deadline. One TestClient belongs to one thread.
//
// Helpers that must succeed throw std::runtime_error saying what arrived
// instead; Catch2 reports it as the test's failure. (Catch2's assertions are
// for the test's own thread only, and clients also run on helper threads.)
#pragma once

#include "support/silence.hpp"
#include "support/test_broker.hpp"
#include "support/wait.hpp"

#include <charla/msg/codec.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <zmq.hpp>

namespace charla::test {

struct PubMessage {
  std::string topic;
  msg::Message msg;
};

// "error name_taken (…)", "presence join ana", … for failure messages.
std::string describe(const msg::Message& m);

template <class T>
std::string_view type_name_of() {
  return msg::type_name(msg::Message{T{}});
}

// CURVE for a test client (docs/protocol.md 2.5): the broker's public key and
// the client's own key pair, all in Z85.
struct Curve {
  std::string server_public, public_key, secret_key;
  // A fresh key pair for a client of the broker whose public key is `server_public`.
  static Curve fresh(const std::string& server_public);
};

class TestClient {
 public:
  // Requests from the fixture's keep-alive carry this id; their replies are dropped.
  static constexpr std::uint64_t kKeepaliveId = std::numeric_limits<std::uint64_t>::max();

  // A DEALER connected to the broker's command port: no session, no SUB yet.
  TestClient(zmq::context_t& ctx, std::uint16_t port);
  // The same over CURVE, on both sockets.
  TestClient(zmq::context_t& ctx, std::uint16_t port, const Curve& curve);
  TestClient(TestClient&& other) noexcept;
  TestClient& operator=(TestClient&& other) noexcept;
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;
  ~TestClient();

  // hello as `name`, then SUB to chat, presence and sys until the subscription is live.
  static TestClient join(zmq::context_t& ctx, const TestBroker& broker, const std::string& name);
  // The monitor's way in: watch (no session), then SUB to presence and sys until live.
  static TestClient watch(zmq::context_t& ctx, const TestBroker& broker);

  // Sends hello and expects a welcome; from then on keeps the session alive.
  msg::Welcome hello(const std::string& name, std::uint64_t id = 0);
  msg::Welcome hello(const msg::Hello& h, std::uint64_t id = 0);  // with a resume token, an origin
  // Connects the SUB and sends sync every 20 ms until anything arrives on it
  // (the broker answers sync with a beat): past that, nothing published is missed.
  void subscribe(std::uint16_t pub_port, const std::vector<std::string>& topics = {"chat", "presence", "sys"});

  // ---- DEALER: requests and replies
  void send(const msg::Message& m, std::uint64_t id = 0);
  void send_raw(std::string_view frame);
  void send_frames(const std::vector<std::string>& frames);  // one message of several frames
  // The next reply (replies to the keep-alive aside), nullopt after the timeout.
  std::optional<msg::Decoded> recv(std::chrono::milliseconds timeout = kWait);
  // The next reply, which must be a T.
  template <class T>
  T expect(std::chrono::milliseconds timeout = kWait);
  std::uint64_t last_id() const noexcept { return last_id_; }  // id of the last reply returned
  // No reply arrives within the timeout (else: which one did).
  Silence quiet(std::chrono::milliseconds timeout = kQuiet) {
    const auto d = recv(timeout);
    return Silence{d ? describe(d->msg) : std::string()};
  }

  // ---- SUB: what the broker publishes
  // The next published message, beats included, nullopt after the timeout.
  std::optional<PubMessage> recv_pub(std::chrono::milliseconds timeout = kWait);
  // The most messages the broker has put in one PUB frame so far.
  std::size_t most_per_frame() const noexcept { return most_per_frame_; }
  // The first published T for which pred holds; skips everything else.
  template <class T, class Pred>
  std::optional<T> next_pub(Pred&& pred, std::chrono::milliseconds timeout = kWait);
  template <class T>
  std::optional<T> next_pub(std::chrono::milliseconds timeout = kWait) {
    return next_pub<T>([](const T&) { return true; }, timeout);
  }
  // Nothing for which pred(const msg::Message&) holds is published within the timeout.
  template <class Pred>
  Silence pub_quiet(Pred&& pred, std::chrono::milliseconds timeout = kQuiet);

  // ---- liveness
  // Like a real client's heartbeat: while any client of this thread waits, every
  // joined client of this thread pings when a heartbeat interval has passed
  // since its last request. keepalive(false) makes this one fall silent.
  void keepalive(bool on) noexcept { keepalive_ = on; }
  // Closes both sockets at once, without a goodbye: to the broker, the client vanished.
  void close();

  const msg::Welcome& welcome() const noexcept { return welcome_; }
  const std::string& name() const noexcept { return welcome_.name; }
  std::chrono::steady_clock::time_point last_sent() const noexcept { return last_sent_; }

 private:
  void read_published(const zmq::message_t& frame);  // its messages go to pending_
  static void pump_all();  // the keep-alive of every client of this thread
  void pump();

  zmq::socket_t dealer_;
  zmq::socket_t sub_;
  msg::Welcome welcome_;
  bool joined_ = false;
  bool keepalive_ = true;
  std::chrono::steady_clock::time_point last_sent_{};
  std::uint64_t last_id_ = 0;
  std::deque<PubMessage> pending_;  // read but not yet returned by recv_pub
  std::size_t most_per_frame_ = 0;
};

template <class T>
T TestClient::expect(std::chrono::milliseconds timeout) {
  auto d = recv(timeout);
  if (!d) {
    throw std::runtime_error("no reply within " + std::to_string(timeout.count()) + " ms; expected " +
                             std::string(type_name_of<T>()));
  }
  if (auto* m = std::get_if<T>(&d->msg)) return std::move(*m);
  throw std::runtime_error("expected " + std::string(type_name_of<T>()) + ", got " + describe(d->msg));
}

template <class T, class Pred>
std::optional<T> TestClient::next_pub(Pred&& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto p = recv_pub(std::max(left, std::chrono::milliseconds(0)));
    if (!p) return std::nullopt;
    if (auto* m = std::get_if<T>(&p->msg); m != nullptr && pred(*m)) return std::move(*m);
  }
}

template <class Pred>
Silence TestClient::pub_quiet(Pred&& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto p = recv_pub(std::max(left, std::chrono::milliseconds(0)));
    if (!p) return Silence{};
    if (pred(p->msg)) return Silence{describe(p->msg)};
  }
}

// Predicates for pub_quiet.
inline bool any_chat(const msg::Message& m) { return std::holds_alternative<msg::Chat>(m); }
inline bool any_presence(const msg::Message& m) { return std::holds_alternative<msg::Presence>(m); }
// A presence event about `user`, other than its join (which a client may see
// for itself: welcome and join travel on different sockets, in either order).
inline auto news_about(std::string user) {
  return [user = std::move(user)](const msg::Message& m) {
    const auto* p = std::get_if<msg::Presence>(&m);
    return p != nullptr && p->user == user && p->event != msg::PresenceEvent::join;
  };
}

}  // namespace charla::test
