#include "rawzmq.hpp"

#include "zmq_ready.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <thread>

#include <zmq.hpp>

namespace charla::bench {
namespace {

constexpr int kMaxPerRound = 256;

std::string bound_endpoint(zmq::socket_t& s) { return s.get(zmq::sockopt::last_endpoint); }

// Hands on_message everything s receives until stop is set: blocks in zmq::poll,
// looking at stop every 50 ms, so the thread ends by itself with its row.
template <typename OnMessage>
void serve(zmq::socket_t& s, const std::atomic<bool>& stop, OnMessage on_message) {
  zmq::message_t m;
  while (!stop.load(std::memory_order_relaxed)) {
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(50));
    while (s.recv(m, zmq::recv_flags::dontwait)) on_message(m);
  }
}

// Waits for a message on s that is_reply accepts, dropping the others; false if
// none came by the deadline.
template <typename IsReply>
bool await_reply(zmq::socket_t& s, Clock::time_point deadline, IsReply is_reply) {
  zmq::message_t m;
  for (;;) {
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    zmq::poll(&item, 1, std::min(left, std::chrono::milliseconds(100)));
    while (s.recv(m, zmq::recv_flags::dontwait)) {
      if (is_reply(m)) return true;
    }
  }
}

class ZmqFanout final : public FanoutClients {
 public:
  ZmqFanout(zmq::context_t& ctx, int n, int threads, Tally& tally, Clock::time_point deadline)
      : tally_(tally), pub_ctx_(1), pub_(pub_ctx_, zmq::socket_type::xpub) {
    pub_.set(zmq::sockopt::sndhwm, 0);  // nothing dropped: queue without bound
    pub_.set(zmq::sockopt::xpub_verbose, 1);
    pub_.set(zmq::sockopt::linger, 0);
    pub_.bind("tcp://127.0.0.1:*");
    const auto endpoint = bound_endpoint(pub_);
    for (int i = 0; i < n; ++i) {
      auto& s = subs_.emplace_back(ctx, zmq::socket_type::sub);
      s.set(zmq::sockopt::rcvhwm, 0);
      s.set(zmq::sockopt::linger, 0);
      s.set(zmq::sockopt::subscribe, std::string());
      s.connect(endpoint);
    }
    // Every SUB sends its subscription upstream once connected; XPUB_VERBOSE passes each one up.
    zmq::message_t sub;
    for (int seen = 0; seen < n;) {
      zmq::pollitem_t item{pub_.handle(), 0, ZMQ_POLLIN, 0};
      if (Clock::now() >= deadline) throw std::runtime_error("raw zmq: not every SUB subscribed in time");
      zmq::poll(&item, 1, std::chrono::milliseconds(50));
      while (pub_.recv(sub, zmq::recv_flags::dontwait)) seen += sub.size() > 0 && *sub.data<char>() == 1 ? 1 : 0;
    }
    const int t = std::max(1, std::min(threads, n));
    for (int k = 0; k < t; ++k) threads_.emplace_back([this, k, t, n] { receive(k * n / t, (k + 1) * n / t); });
  }

  ~ZmqFanout() override {
    stop_ = true;
    for (auto& th : threads_) th.join();
  }

  void publish(const Payload& p) override { (void)pub_.send(zmq::buffer(p.data(), p.size()), zmq::send_flags::none); }

 private:
  void receive(int begin, int end) {
    std::vector<zmq::socket_t*> socks;
    for (int i = begin; i < end; ++i) socks.push_back(&subs_[static_cast<std::size_t>(i)]);
    ZmqReady waiter(socks);
    std::vector<int> ready, again;
    zmq::message_t m;
    auto next_sweep = Clock::now();
    while (!stop_.load(std::memory_order_relaxed)) {
      const auto now = Clock::now();
      if (now >= next_sweep) {  // every socket now and then: nothing is left behind
        for (std::size_t k = 0; k < socks.size(); ++k) ready.push_back(static_cast<int>(k));
        next_sweep = now + std::chrono::milliseconds(100);
      }
      if (ready.empty()) waiter.wait(20, ready);
      for (const int k : ready) {
        auto& s = *socks[static_cast<std::size_t>(k)];
        int j = 0;
        for (; j < kMaxPerRound && s.recv(m, zmq::recv_flags::dontwait); ++j) {
          tally_.on_payload(begin + k, m.to_string_view(), now_ns());
        }
        if (j == kMaxPerRound) again.push_back(k);
      }
      ready.swap(again);
      again.clear();
    }
  }

  Tally& tally_;
  zmq::context_t pub_ctx_;  // the "broker side" has its own I/O thread, as a broker process would
  zmq::socket_t pub_;
  std::vector<zmq::socket_t> subs_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

class ZmqDirect final : public DirectClients {
 public:
  explicit ZmqDirect(zmq::context_t& ctx)
      : b_ctx_(1), a_(ctx, zmq::socket_type::pair), b_(b_ctx_, zmq::socket_type::pair) {
    a_.set(zmq::sockopt::linger, 0);
    b_.set(zmq::sockopt::linger, 0);
    b_.bind("tcp://127.0.0.1:*");
    a_.connect(bound_endpoint(b_));
    echo_ = std::thread([this] { echo(); });
  }
  ~ZmqDirect() override {
    stop_ = true;
    echo_.join();
  }

  bool round_trip(const Payload& p, Clock::time_point deadline) override {
    (void)a_.send(zmq::buffer(p.data(), p.size()), zmq::send_flags::none);
    return await_reply(a_, deadline, [&](const zmq::message_t& m) { return same_index(m.to_string_view(), view(p)); });
  }

 private:
  void echo() {
    serve(b_, stop_, [this](zmq::message_t& m) { (void)b_.send(m, zmq::send_flags::none); });
  }

  zmq::context_t b_ctx_;
  zmq::socket_t a_, b_;
  std::thread echo_;
  std::atomic<bool> stop_{false};
};

class RawZmq final : public System {
 public:
  explicit RawZmq(const ClientConfig& c) : clients_(c), ctx_(c.io_threads) {}
  std::string name() const override { return "raw-zmq"; }
  std::unique_ptr<FanoutClients> fanout(int n, bool, Tally& tally, Clock::time_point deadline) override {
    return std::make_unique<ZmqFanout>(ctx_, n, clients_.threads, tally, deadline);
  }
  std::unique_ptr<DirectClients> direct(Clock::time_point) override { return std::make_unique<ZmqDirect>(ctx_); }

 private:
  ClientConfig clients_;
  zmq::context_t ctx_;
};

// D through the least any ZeroMQ broker can do for a private message. A ROUTER,
// in a context of its own as a broker process would have, takes [sender][body]
// and sends [body[0]][body]: the body's first byte is the addressee's routing id,
// and nothing else is read. A and B are DEALERs with routing ids "a" and "b".
class ZmqRelayDirect final : public DirectClients {
 public:
  explicit ZmqRelayDirect(zmq::context_t& ctx)
      : relay_ctx_(1),
        router_(relay_ctx_, zmq::socket_type::router),
        a_(ctx, zmq::socket_type::dealer),
        b_(ctx, zmq::socket_type::dealer) {
    router_.set(zmq::sockopt::linger, 0);
    router_.bind("tcp://127.0.0.1:*");
    const auto endpoint = bound_endpoint(router_);
    a_.set(zmq::sockopt::routing_id, std::string(1, kIdA));
    b_.set(zmq::sockopt::routing_id, std::string(1, kIdB));
    for (auto* s : {&a_, &b_}) {
      s->set(zmq::sockopt::linger, 0);
      s->connect(endpoint);
    }
    out_[0] = kIdB;
    relay_ = std::thread([this] { relay(); });
    echo_ = std::thread([this] { echo(); });
  }
  ~ZmqRelayDirect() override {
    stop_ = true;
    relay_.join();
    echo_.join();
  }

  // The ROUTER drops what is addressed to a peer whose handshake it has not
  // finished, so a probe goes round until one comes back: then it knows A and B.
  bool wait_routable(Clock::time_point deadline) {
    const auto probe = make_payload(kProbeIndex, 0);
    while (Clock::now() < deadline) {
      if (round_trip(probe, std::min(deadline, Clock::now() + std::chrono::milliseconds(100)))) return true;
    }
    return false;
  }

  bool round_trip(const Payload& p, Clock::time_point deadline) override {
    std::copy(p.begin(), p.end(), out_.begin() + 1);
    (void)a_.send(zmq::buffer(out_), zmq::send_flags::none);
    return await_reply(a_, deadline, [&](const zmq::message_t& m) {
      return m.size() == out_.size() && same_index(m.to_string_view().substr(1), view(p));
    });
  }

 private:
  static constexpr char kIdA = 'a', kIdB = 'b';
  static constexpr std::uint64_t kProbeIndex = 9'999'999'999;  // the largest 10-digit index: no round's

  void relay() {
    zmq::message_t body;
    serve(router_, stop_, [&](zmq::message_t& sender) {
      if (!sender.more() || !router_.recv(body) || body.size() == 0) return;
      (void)router_.send(zmq::buffer(body.data(), 1), zmq::send_flags::sndmore);
      (void)router_.send(body, zmq::send_flags::none);
    });
  }

  // B sends each body back to A through the relay, readdressed in place.
  void echo() {
    serve(b_, stop_, [this](zmq::message_t& m) {
      if (m.size() == 0) return;
      *m.data<char>() = kIdA;
      (void)b_.send(m, zmq::send_flags::none);
    });
  }

  zmq::context_t relay_ctx_;
  zmq::socket_t router_, a_, b_;
  std::array<char, 1 + kPayloadBytes> out_{};  // A's outgoing body: addressee, then the payload
  std::thread relay_, echo_;
  std::atomic<bool> stop_{false};
};

class ZmqRelay final : public System {
 public:
  explicit ZmqRelay(const ClientConfig& c) : ctx_(c.io_threads) {}
  std::string name() const override { return "zmq-relay"; }
  bool has_fanout() const override { return false; }
  std::unique_ptr<FanoutClients> fanout(int, bool, Tally&, Clock::time_point) override {
    throw std::logic_error("zmq-relay only relays private messages: it has no fan-out");
  }
  std::unique_ptr<DirectClients> direct(Clock::time_point deadline) override {
    auto d = std::make_unique<ZmqRelayDirect>(ctx_);
    if (!d->wait_routable(deadline)) throw std::runtime_error("zmq-relay: no probe came back through the relay in time");
    return d;
  }

 private:
  zmq::context_t ctx_;
};

}  // namespace

std::unique_ptr<System> make_rawzmq(const ClientConfig& clients) { return std::make_unique<RawZmq>(clients); }
std::unique_ptr<System> make_zmqrelay(const ClientConfig& clients) { return std::make_unique<ZmqRelay>(clients); }

}  // namespace charla::bench
