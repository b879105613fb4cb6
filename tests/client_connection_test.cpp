// The client's Connection against a fake broker in this process: a real ROUTER
// and PUB over TCP on 127.0.0.1, scripted by the test to publish what a charla
// broker may send (several messages in one frame) and what it never would
// (frames that are not protocol 2). The client reads every message of a frame
// in order, and a frame it cannot read is one error event: the link stays up.
#include <charla/client/connection.hpp>

#include <charla/msg/codec.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <string>
#include <thread>
#include <vector>

namespace msg = charla::msg;
using charla::client::Connection;
using charla::client::Event;
using std::chrono::milliseconds;

namespace {

constexpr std::uint64_t kInstance = 77;

// Answers hello with a welcome and every sync with a beat; publishes on request.
class FakeBroker {
 public:
  FakeBroker() : router_(ctx_, zmq::socket_type::router), pub_(ctx_, zmq::socket_type::pub) {
    router_.set(zmq::sockopt::linger, 0);
    pub_.set(zmq::sockopt::linger, 0);
    router_.bind("tcp://127.0.0.1:*");
    pub_.bind("tcp://127.0.0.1:*");
  }
  static std::uint16_t port_of(zmq::socket_t& s) {
    const auto ep = s.get(zmq::sockopt::last_endpoint);
    return static_cast<std::uint16_t>(std::stoi(ep.substr(ep.rfind(':') + 1)));
  }
  std::uint16_t port() { return port_of(router_); }

  // Answers what the client sent, waiting up to `wait` for the first of it.
  void serve(milliseconds wait = milliseconds(0)) {
    zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, wait);
    zmq::message_t rid, body;
    while (router_.recv(rid, zmq::recv_flags::dontwait)) {
      (void)router_.recv(body);
      auto d = msg::decode(body.data(), body.size());
      if (!d) continue;
      if (std::holds_alternative<msg::Hello>(d.value().msg)) {
        const msg::Welcome w{"ana", port_of(pub_), 1000, 5000, 60, kInstance, "fake", 4096};
        router_.send(rid, zmq::send_flags::sndmore);
        router_.send(msg::encode(w, d.value().id), zmq::send_flags::none);
      } else if (std::holds_alternative<msg::Sync>(d.value().msg)) {
        publish(msg::encode_published(msg::Beat{0, 0, kInstance}).to_string());
      }
    }
  }
  void publish(const std::string& frame) { pub_.send(zmq::buffer(frame), zmq::send_flags::none); }

 private:
  zmq::context_t ctx_;
  zmq::socket_t router_, pub_;
};

std::string chat(std::uint64_t seq, const std::string& text) {
  return msg::encode_to_string(msg::Chat{seq, "ben", text, 1764000000000ull});
}

// Polls the connection (serving the fake broker between polls) until `count`
// chat or error events have come, or the deadline passes.
std::vector<msg::Message> collect(Connection& c, FakeBroker& b, std::size_t count) {
  std::vector<msg::Message> got;
  std::deque<Event> out;
  std::vector<zmq::pollitem_t> none;
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(5000);
  while (got.size() < count && std::chrono::steady_clock::now() < deadline) {
    b.serve();
    c.poll(milliseconds(20), none, out);
    for (auto& e : out) {
      auto* d = std::get_if<msg::Decoded>(&e);
      if (d != nullptr && (std::holds_alternative<msg::Chat>(d->msg) || std::holds_alternative<msg::Error>(d->msg))) {
        got.push_back(std::move(d->msg));
      }
    }
    out.clear();
  }
  return got;
}

}  // namespace

TEST_CASE("the client reads every message of a published frame, and a bad frame is one error", "[client][pub]") {
  FakeBroker broker;
  Connection c({"127.0.0.1", broker.port(), "ana", milliseconds(5000), "", "", ""});
  // start() returns once the subscription is live, which needs hello and sync
  // answered: a helper thread serves the fake until then, and hands its sockets
  // back to this thread when it ends.
  std::atomic<bool> joined{false};
  std::thread serving([&] {
    while (!joined.load()) broker.serve(milliseconds(10));
  });
  c.start();
  joined = true;
  serving.join();

  broker.publish("chat" + chat(1, "uno") + chat(2, "dos") + chat(3, "tres"));  // a burst in one frame
  broker.publish("chat" + chat(4, "cuatro") + "\xc1");                        // a bad body after a good one
  broker.publish("chats" + chat(5, "cinco"));                                 // an unknown topic (passes the filter)
  broker.publish("chat" + msg::encode_to_string(msg::Pong{}));               // a type never published
  broker.publish("chat" + chat(5, "cinco"));                                  // and the stream goes on
  const auto got = collect(c, broker, 7);
  REQUIRE(got.size() == 7);
  for (std::size_t i = 0; i < 3; ++i) {
    REQUIRE(std::holds_alternative<msg::Chat>(got[i]));
    CHECK(std::get<msg::Chat>(got[i]).seq == i + 1);
  }
  CHECK(std::get<msg::Chat>(got[1]).text == "dos");
  for (std::size_t i = 3; i < 6; ++i) {
    INFO("event " << i);
    REQUIRE(std::holds_alternative<msg::Error>(got[i]));
    CHECK(std::get<msg::Error>(got[i]).code == msg::ErrorCode::bad_frame);
    CHECK(std::get<msg::Error>(got[i]).text.find("mensaje inválido del servidor") == 0);
  }
  REQUIRE(std::holds_alternative<msg::Chat>(got[6]));
  CHECK(std::get<msg::Chat>(got[6]).text == "cinco");
  CHECK(c.up());
}
