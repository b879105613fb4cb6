#include "charla_system.hpp"

#include "charla_delivery.hpp"
#include "charla_wire.hpp"
#include "zmq_ready.hpp"

#include <charla/msg/codec.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace charla::bench {
namespace {

constexpr int kMaxPerRound = 256;  // messages taken from one SUB before looking at the next

// The publisher's says as msg::encode encodes them, without encoding each one:
// a real client encodes each say; the bench encodes one per width of n (none,
// then 1, 2, 3, 5 and 9 bytes as n grows) and writes each payload and n over
// it, so that the publisher costs the shared CPUs as little as it can.
class SayFrames {
 public:
  zmq::message_t frame(const Payload& p, std::uint64_t n) {
    const int width = n == 0 ? 0 : n < 0x80 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9;
    if (width != width_) {
      say_ = msg::encode_to_string(msg::Say{std::string(view(p)), n});
      text_at_ = say_.find(view(p));
      width_ = width;
    }
    zmq::message_t frame(say_.data(), say_.size());
    auto* bytes = frame.data<unsigned char>();
    std::memcpy(bytes + text_at_, p.data(), p.size());
    // n is the last field: its value is the last bytes, big-endian (a fixint is the value itself).
    const int value_bytes = width == 1 ? 1 : width - 1;
    for (int i = 0; i < value_bytes; ++i) bytes[frame.size() - 1 - static_cast<std::size_t>(i)] = static_cast<unsigned char>(n >> (8 * i));
    return frame;
  }

 private:
  std::string say_;
  std::size_t text_at_ = 0;
  int width_ = -1;
};

// The receiving side of a fan-out row: `threads` threads share the
// subscribers; each drains every ready SUB before it polls again.
class CharlaFanout final : public FanoutClients {
 public:
  CharlaFanout(CharlaSystem& sys, int n, Tally& tally, Clock::time_point deadline) : tally_(tally), deadline_(deadline) {
    const auto prefix = sys.next_prefix();
    subs_.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) subs_[static_cast<std::size_t>(i)].name = prefix + "s" + std::to_string(i);
    sender_.resize(1);
    sender_[0].name = prefix + "p";
    sys.make_talker(sender_[0]);
    info_ = join(sys.context(), sys.endpoint(), subs_, {"chat"}, false, deadline);
    join(sys.context(), sys.endpoint(), sender_, {}, false, deadline);
    const int t = std::max(1, std::min(sys.clients().threads, n));
    for (int k = 0; k < t; ++k) {
      threads_.emplace_back([this, k, t, n] { receive(k * n / t, (k + 1) * n / t); });
    }
  }

  ~CharlaFanout() override {
    stop_ = true;
    for (auto& th : threads_) th.join();
    leave(subs_);
    leave(sender_);
  }

  // In charla-acked the say is numbered and kept until acknowledged, as the
  // client does, and the acks are read as they come.
  void publish(const Payload& p) override {
    auto& s = sender_[0];
    std::uint64_t n = 0;
    if (s.origin != 0) {
      msg::Message say = msg::Say{std::string(view(p))};
      number(s, say, deadline_);
      n = std::get<msg::Say>(say).n;
    }
    send(s, says_.frame(p, n));
    if (s.origin != 0) take_waiting(s, Clock::now());
    if (++sent_ % 4096 == 0) keepalive(sender_, info_.heartbeat, Clock::now());
  }

  void flush(Clock::time_point deadline) override {
    await_acks(sender_, deadline);
    keepalive(sender_, info_.heartbeat, Clock::now());  // counts errors
  }

  std::string note() const override {
    DeliveryReport r;
    r.add(sender_);
    r.add(subs_);
    return r.note();
  }

 private:
  void receive(int begin, int end) {
    const std::span<Member> mine(subs_.data() + begin, static_cast<std::size_t>(end - begin));
    std::vector<zmq::socket_t*> socks;
    for (auto& m : mine) socks.push_back(&*m.sub);
    ZmqReady waiter(socks);
    std::vector<int> ready, again;
    zmq::message_t frame;
    auto next_sweep = Clock::now();
    while (!stop_.load(std::memory_order_relaxed)) {
      const auto now = Clock::now();
      if (now >= next_sweep) {  // every socket now and then: keepalive, and nothing is left behind
        keepalive(mine, info_.heartbeat, now);
        for (std::size_t k = 0; k < mine.size(); ++k) ready.push_back(static_cast<int>(k));
        next_sweep = now + std::chrono::milliseconds(100);
      }
      if (ready.empty()) waiter.wait(20, ready);
      for (const int k : ready) {
        auto& sub = *mine[static_cast<std::size_t>(k)].sub;
        int j = 0;
        for (; j < kMaxPerRound && sub.recv(frame, zmq::recv_flags::dontwait); ++j) {
          const auto t = now_ns();
          const bool read = read_published(frame, msg::kTopicChat, [&](const WireView& w) {
            if (w.type == "chat") {
              tally_.on_payload(begin + k, w.text, t);
            } else {
              tally_.on_garbage(begin + k);
            }
          });
          if (!read) tally_.on_garbage(begin + k);
        }
        if (j == kMaxPerRound) again.push_back(k);  // more waiting: take it next round
      }
      ready.swap(again);
      again.clear();
    }
  }

  Tally& tally_;
  const Clock::time_point deadline_;
  BrokerInfo info_;
  std::vector<Member> subs_, sender_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::uint64_t sent_ = 0;
  SayFrames says_;
};

// A whispers to B; B's thread whispers every private message back to its
// sender. Both confirm what they receive with got, and in charla-acked number
// their whispers and read the acks.
class CharlaDirect final : public DirectClients {
 public:
  CharlaDirect(CharlaSystem& sys, Clock::time_point deadline) {
    const auto prefix = sys.next_prefix();
    pair_.resize(2);
    pair_[0].name = prefix + "a";
    pair_[1].name = prefix + "b";
    for (auto& m : pair_) sys.make_talker(m);
    join(sys.context(), sys.endpoint(), pair_, {}, false, deadline);
    echo_ = std::thread([this] { echo(); });
  }

  ~CharlaDirect() override {
    stop_echo();
    leave(pair_);
  }

  bool round_trip(const Payload& p, Clock::time_point deadline) override {
    auto& a = pair_[0];
    whisper(a, pair_[1].name, view(p), deadline);
    zmq::message_t frame;
    for (;;) {
      zmq::pollitem_t item{a.dealer->handle(), 0, ZMQ_POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      zmq::poll(&item, 1, std::min(left, std::chrono::milliseconds(100)));
      bool back = false;
      while (!back && a.dealer->recv(frame, zmq::recv_flags::dontwait)) {
        const auto w = read_wire(frame);
        back = take(a, w) && same_index(w.text, view(p));
      }
      confirm_due(a, Clock::now());
      if (back) return true;
    }
  }

  // After the last round: B stops echoing; both wait for their acks and confirm what they have.
  void flush(Clock::time_point deadline) override {
    stop_echo();
    await_acks(pair_, deadline);
    for (auto& m : pair_) confirm_due(m, Clock::now(), true);
  }

  std::string note() const override {
    DeliveryReport r;
    r.add(pair_);
    return r.note();
  }

 private:
  static void whisper(Member& from, const std::string& to, std::string_view text, Clock::time_point deadline) {
    msg::Message m = msg::Whisper{to, std::string(text)};
    number(from, m, deadline);
    send(from, msg::encode(m));
  }

  void echo() {
    auto& b = pair_[1];
    zmq::message_t frame;
    while (!stop_.load(std::memory_order_relaxed)) {
      zmq::pollitem_t item{b.dealer->handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(50));
      while (b.dealer->recv(frame, zmq::recv_flags::dontwait)) {
        const auto w = read_wire(frame);
        if (take(b, w)) whisper(b, std::string(w.from), w.text, Clock::now() + std::chrono::seconds(2));
      }
      const auto now = Clock::now();
      confirm_due(b, now);
      if (now - b.last_send > std::chrono::milliseconds(500)) send(b, msg::encode(msg::Ping{}));
    }
  }

  void stop_echo() {
    stop_ = true;
    if (echo_.joinable()) echo_.join();
  }

  std::vector<Member> pair_;
  std::thread echo_;
  std::atomic<bool> stop_{false};
};

}  // namespace

CharlaSystem::CharlaSystem(const CharlaOptions& o, const ClientConfig& clients)
    : clients_(clients), ctx_(clients.io_threads), work_dir_(o.work_dir), history_file_(o.history_file),
      numbered_(o.numbered) {
  ctx_.set(zmq::ctxopt::max_sockets, 65535);
  const auto given = [&](const char* opt) {
    return std::find(o.broker_args.begin(), o.broker_args.end(), opt) != o.broker_args.end();
  };
  if (!history_file_.empty()) {
    // Its broker is the bench's own, its file a fresh one: measured on something else it means nothing.
    if (o.connect) throw std::runtime_error("charla-history needs a broker of its own, not --connect");
    if (given("--db")) throw std::runtime_error("charla-history chooses its broker's --db; leave --db out");
    if (std::filesystem::exists(history_file_)) throw std::runtime_error(history_file_ + " already exists");
  }
  if (o.connect) {
    at_ = *o.connect;
    return;
  }
  const auto port_file = o.work_dir + "/charla-ports";
  std::vector<std::string> argv{o.broker_path, "--bind", "127.0.0.1", "--port", "0", "--pub-port", "0",
                                "--port-file", port_file};
  if (!given("--log-level")) argv.insert(argv.end(), {"--log-level", "warn"});
  // F has one client broadcast as fast as the broker takes it, and D one client whisper
  // thousands of times a second: the default per-connection limit (50/s) would drop them.
  if (!given("--rate")) argv.insert(argv.end(), {"--rate", "0"});
  // Without --db a broker keeps its history in the user's own file (~/.local/state/charla/).
  if (!history_file_.empty()) {
    argv.insert(argv.end(), {"--db", history_file_});
  } else if (!given("--db")) {
    argv.insert(argv.end(), {"--db", ":memory:"});
  }
  argv.insert(argv.end(), o.broker_args.begin(), o.broker_args.end());
  ::unlink(port_file.c_str());
  // A log per system: the brokers of charla, charla-acked and charla-history run at the same time.
  const auto log = o.work_dir + "/" + name() + "-broker.log";
  broker_ = std::make_unique<Child>(argv, log);
  const auto text = wait_for_file(port_file, Clock::now() + std::chrono::seconds(10));
  if (!text) throw std::runtime_error("charla-broker did not write its ports (see " + log + ")");
  std::istringstream in(*text);
  in >> at_.port;
  at_.host = "127.0.0.1";
}

CharlaSystem::~CharlaSystem() {
  if (broker_) broker_->stop();
  if (!history_file_.empty()) {
    std::error_code ec;  // nothing to do if a file is not there
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(history_file_ + suffix, ec);
  }
}

std::string CharlaSystem::next_prefix() {
  const char* kind = numbered_ ? "n" : history_file_.empty() ? "r" : "h";
  return "b" + std::to_string(::getpid() % 1000) + kind + std::to_string(++rows_) + "_";
}

void CharlaSystem::make_talker(Member& m) const { keep_deliveries(m, numbered_); }

std::unique_ptr<FanoutClients> CharlaSystem::fanout(int subscribers, bool, Tally& tally, Clock::time_point deadline) {
  return std::make_unique<CharlaFanout>(*this, subscribers, tally, deadline);
}

std::unique_ptr<DirectClients> CharlaSystem::direct(Clock::time_point deadline) {
  return std::make_unique<CharlaDirect>(*this, deadline);
}

}  // namespace charla::bench
