#include "support/test_client.hpp"

#include <algorithm>
#include <msgpack.hpp>
#include <utility>

namespace charla::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kSlice{20};  // longest single poll, so that the keep-alive keeps its pace

// The clients of this thread, for the keep-alive. Each thread has its own:
// a socket is only ever used by the thread that made it.
thread_local std::vector<TestClient*> t_clients;

milliseconds left_until(Clock::time_point deadline) {
  return std::max(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()), milliseconds(0));
}

// Polls one socket for at most `timeout`; true when a message is waiting.
bool readable(zmq::socket_t& s, milliseconds timeout) {
  zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, timeout);
  return (item.revents & ZMQ_POLLIN) != 0;
}

// docs/protocol.md 2.2's table, written out here rather than taken from
// msg::topic_of, so that a wrong topic in the library shows in the tests.
std::string_view expected_topic(const msg::Message& m) {
  if (std::holds_alternative<msg::Chat>(m)) return msg::kTopicChat;
  if (std::holds_alternative<msg::Presence>(m)) return msg::kTopicPresence;
  if (std::holds_alternative<msg::Beat>(m) || std::holds_alternative<msg::Shutdown>(m)) return msg::kTopicSys;
  return "(not a published type)";
}

}  // namespace

std::string describe(const msg::Message& m) {
  std::string s(msg::type_name(m));
  if (const auto* e = std::get_if<msg::Error>(&m)) {
    s += " " + std::string(msg::to_string(e->code)) + " (" + e->text + ") re '" + e->re + "'";
  } else if (const auto* p = std::get_if<msg::Presence>(&m)) {
    s += " #" + std::to_string(p->seq) + " " + std::string(msg::to_string(p->event)) + " " + p->user + " " +
         std::string(msg::to_string(p->status));
  } else if (const auto* c = std::get_if<msg::Chat>(&m)) {
    s += " #" + std::to_string(c->seq) + " " + c->from + ": " + c->text.substr(0, 40);
  } else if (const auto* o = std::get_if<msg::Ok>(&m)) {
    s += " re '" + o->re + "'";
  }
  return s;
}

Curve Curve::fresh(const std::string& server_public) {
  char pub[41] = "", sec[41] = "";
  if (zmq_curve_keypair(pub, sec) != 0) {
    throw std::runtime_error("zmq_curve_keypair failed: is libzmq built with CURVE?");
  }
  return Curve{server_public, pub, sec};
}

TestClient::TestClient(zmq::context_t& ctx, std::uint16_t port)
    : dealer_(ctx, zmq::socket_type::dealer), sub_(ctx, zmq::socket_type::sub) {
  dealer_.set(zmq::sockopt::linger, 0);
  sub_.set(zmq::sockopt::linger, 0);
  dealer_.connect("tcp://127.0.0.1:" + std::to_string(port));
  t_clients.push_back(this);
}

TestClient::TestClient(zmq::context_t& ctx, std::uint16_t port, const Curve& curve)
    : dealer_(ctx, zmq::socket_type::dealer), sub_(ctx, zmq::socket_type::sub) {
  for (auto* s : {&dealer_, &sub_}) {
    s->set(zmq::sockopt::linger, 0);
    s->set(zmq::sockopt::curve_serverkey, curve.server_public);
    s->set(zmq::sockopt::curve_publickey, curve.public_key);
    s->set(zmq::sockopt::curve_secretkey, curve.secret_key);
  }
  dealer_.connect("tcp://127.0.0.1:" + std::to_string(port));
  t_clients.push_back(this);
}

TestClient::TestClient(TestClient&& other) noexcept
    : dealer_(std::move(other.dealer_)),
      sub_(std::move(other.sub_)),
      welcome_(std::move(other.welcome_)),
      joined_(std::exchange(other.joined_, false)),
      keepalive_(other.keepalive_),
      last_sent_(other.last_sent_),
      last_id_(other.last_id_),
      pending_(std::move(other.pending_)) {
  t_clients.push_back(this);
}

TestClient& TestClient::operator=(TestClient&& other) noexcept {
  dealer_ = std::move(other.dealer_);
  sub_ = std::move(other.sub_);
  welcome_ = std::move(other.welcome_);
  joined_ = std::exchange(other.joined_, false);
  keepalive_ = other.keepalive_;
  last_sent_ = other.last_sent_;
  last_id_ = other.last_id_;
  pending_ = std::move(other.pending_);
  return *this;
}

TestClient::~TestClient() { t_clients.erase(std::remove(t_clients.begin(), t_clients.end(), this), t_clients.end()); }

TestClient TestClient::join(zmq::context_t& ctx, const TestBroker& broker, const std::string& name) {
  TestClient c(ctx, broker.port());
  const auto w = c.hello(name);
  c.subscribe(w.pub_port);
  return c;
}

TestClient TestClient::watch(zmq::context_t& ctx, const TestBroker& broker) {
  TestClient c(ctx, broker.port());
  c.send(msg::Watch{});
  c.welcome_ = c.expect<msg::Welcome>();
  c.subscribe(c.welcome_.pub_port, {std::string(msg::kTopicPresence), std::string(msg::kTopicSys)});
  return c;
}

msg::Welcome TestClient::hello(const std::string& name, std::uint64_t id) { return hello(msg::Hello{name}, id); }

msg::Welcome TestClient::hello(const msg::Hello& h, std::uint64_t id) {
  send(h, id);
  welcome_ = expect<msg::Welcome>();
  joined_ = true;
  return welcome_;
}

void TestClient::subscribe(std::uint16_t pub_port, const std::vector<std::string>& topics) {
  if (std::find(topics.begin(), topics.end(), msg::kTopicSys) == topics.end()) {
    throw std::logic_error("subscribe: without 'sys' there is no beat to confirm the subscription");
  }
  for (const auto& t : topics) sub_.set(zmq::sockopt::subscribe, t);
  sub_.connect("tcp://127.0.0.1:" + std::to_string(pub_port));
  const auto deadline = Clock::now() + kWait;
  while (Clock::now() < deadline) {
    send(msg::Sync{});
    if (readable(sub_, kSlice)) {
      zmq::message_t frame;
      (void)sub_.recv(frame);
      read_published(frame);  // kept for recv_pub
      return;
    }
  }
  throw std::runtime_error("the subscription to port " + std::to_string(pub_port) + " never became live");
}

void TestClient::send(const msg::Message& m, std::uint64_t id) {
  dealer_.send(msg::encode(m, id), zmq::send_flags::none);
  last_sent_ = Clock::now();
  if (std::holds_alternative<msg::Bye>(m)) joined_ = false;
}

void TestClient::send_raw(std::string_view frame) {
  dealer_.send(zmq::buffer(frame), zmq::send_flags::none);
  last_sent_ = Clock::now();
}

void TestClient::send_frames(const std::vector<std::string>& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    dealer_.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
  last_sent_ = Clock::now();
}

std::optional<msg::Decoded> TestClient::recv(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    pump_all();
    if (readable(dealer_, std::min(left_until(deadline), kSlice))) {
      zmq::message_t frame;
      (void)dealer_.recv(frame);
      if (frame.more()) throw std::runtime_error("the broker sent a reply of several frames");
      auto d = msg::decode(frame.data(), frame.size());
      if (!d) throw std::runtime_error("the broker sent an undecodable reply: " + d.error().detail);
      if (d.value().id == kKeepaliveId) continue;
      last_id_ = d.value().id;
      return std::move(d.value());
    }
    if (Clock::now() >= deadline) return std::nullopt;
  }
}

std::optional<PubMessage> TestClient::recv_pub(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (pending_.empty()) {  // a frame may hold several messages: they wait in pending_
    pump_all();
    if (readable(sub_, std::min(left_until(deadline), kSlice))) {
      zmq::message_t frame;
      (void)sub_.recv(frame);
      read_published(frame);
    } else if (Clock::now() >= deadline) {
      return std::nullopt;
    }
  }
  auto p = std::move(pending_.front());
  pending_.pop_front();
  return p;
}

void TestClient::read_published(const zmq::message_t& frame) {
  if (frame.more()) throw std::runtime_error("the broker published a message of more than one frame");
  // Read here without the library's decode_published, so that the tests check the
  // wire format and not only that the codec agrees with itself: the topic's
  // letters, then one or more msgpack maps back to back, all under that topic.
  const auto bytes = frame.to_string_view();
  const auto start = bytes.find_first_not_of("abcdefghijklmnopqrstuvwxyz");
  if (start == std::string_view::npos) throw std::runtime_error("the broker published a topic without a body");
  const std::string topic(bytes.substr(0, start));
  std::size_t bodies = 0;
  for (std::size_t offset = start; offset < bytes.size(); ++bodies) {
    const auto begin = offset;
    (void)msgpack::unpack(bytes.data(), bytes.size(), offset);  // throws on a truncated body
    auto d = msg::decode(bytes.substr(begin, offset - begin));
    if (!d) throw std::runtime_error("the broker published an undecodable message: " + d.error().detail);
    if (topic != expected_topic(d.value().msg)) {
      throw std::runtime_error("'" + describe(d.value().msg) + "' published under topic '" + topic + "'");
    }
    pending_.push_back(PubMessage{topic, std::move(d.value().msg)});
  }
  most_per_frame_ = std::max(most_per_frame_, bodies);
}

void TestClient::pump_all() {
  for (auto* c : t_clients) c->pump();
}

void TestClient::pump() {
  if (!joined_ || !keepalive_ || welcome_.heartbeat_ms == 0) return;
  if (Clock::now() - last_sent_ >= milliseconds(welcome_.heartbeat_ms)) send(msg::Ping{}, kKeepaliveId);
}

void TestClient::close() {
  joined_ = false;
  dealer_.close();
  sub_.close();
}

}  // namespace charla::test
