// A broker under attack keeps serving everyone else: floods, stolen
// identities, connections that never finish their handshake, too many users.
#include "support/test_broker.hpp"
#include "support/test_client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace charla;
using namespace charla::test;
using Clock = std::chrono::steady_clock;

namespace {

// Round-trip latencies (ana says, bob receives) of `count` broadcasts, one after another.
std::vector<double> chat_latencies_us(TestClient& ana, TestClient& bob, int count, const std::string& tag) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i) {
    const auto text = tag + " " + std::to_string(i);
    const auto t0 = Clock::now();
    ana.send(msg::Say{text});
    const auto got = bob.next_pub<msg::Chat>([&](const msg::Chat& c) { return c.from == "ana"; });
    REQUIRE(got);
    REQUIRE(got->text == text);  // in order, none lost
    out.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(out.begin(), out.end());
  return out;
}

double percentile(const std::vector<double>& sorted, double p) {
  return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted.size())))];
}

}  // namespace

TEST_CASE("a flooding client is rate limited, and the others lose nothing", "[hostile][flood]") {
  auto cfg = fast_config();
  cfg.rate = 1000;  // ana's 200 quick round trips stay within burst and rate; the flood does not
  cfg.burst = 300;
  TestBroker broker(cfg);
  zmq::context_t ctx;
  auto ana = TestClient::join(ctx, broker, "ana");
  auto bob = TestClient::join(ctx, broker, "bob");
  const auto before = chat_latencies_us(ana, bob, 100, "antes");

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> sent{0}, limited{0};
  std::thread flooder([&] {
    zmq::context_t fctx;
    auto f = TestClient::join(fctx, broker, "flood");
    const auto frame = msg::encode_to_string(msg::Say{std::string(100, 'x')});
    const auto end = Clock::now() + std::chrono::seconds(2);
    // Bounded in count and time; stops early once the others are done.
    for (std::uint64_t i = 0; i < 2'000'000 && !stop && Clock::now() < end; ++i) {
      f.send_raw(frame);
      ++sent;
      if (i % 256 == 0) {
        while (auto d = f.recv(std::chrono::milliseconds(0))) {
          if (auto* e = std::get_if<msg::Error>(&d->msg); e && e->code == msg::ErrorCode::rate_limited) ++limited;
        }
      }
    }
    while (auto d = f.recv(std::chrono::milliseconds(50))) {
      if (auto* e = std::get_if<msg::Error>(&d->msg); e && e->code == msg::ErrorCode::rate_limited) ++limited;
    }
  });
  struct Joiner {  // the flooder stops and is joined however this test ends
    std::atomic<bool>& stop;
    std::thread& t;
    ~Joiner() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } joiner{stop, flooder};
  // Wait until the flood is on (bob sees it), then measure the others while it lasts.
  REQUIRE(bob.next_pub<msg::Chat>([](const msg::Chat& c) { return c.from == "flood"; }));
  const auto during = chat_latencies_us(ana, bob, 100, "durante");
  stop = true;
  flooder.join();

  CHECK(limited.load() >= 1);
  // The flood reached the others only up to its burst and rate: bob got a few hundred, not thousands.
  std::uint64_t flood_seen = 0;
  while (auto c = bob.next_pub<msg::Chat>([](const msg::Chat& c) { return c.from == "flood"; }, kQuiet)) ++flood_seen;
  CHECK(flood_seen < sent.load() / 10);
  std::cout << "flood: " << sent.load() << " frames sent, " << limited.load() << " rate_limited errors, "
            << "others' latency p50/p99 µs before " << percentile(before, 0.5) << "/" << percentile(before, 0.99)
            << ", during " << percentile(during, 0.5) << "/" << percentile(during, 0.99) << "\n";
}

TEST_CASE("a second connection with a taken routing id cannot speak as its owner", "[hostile][identity]") {
  auto cfg = fast_config();
  cfg.expiry_ms = 30000;  // the raw owner below never pings: its session must outlast the test on a busy machine
  TestBroker broker(cfg);
  zmq::context_t ctx;
  auto bob = TestClient::join(ctx, broker, "bob");
  const auto endpoint = "tcp://127.0.0.1:" + std::to_string(broker.port());

  zmq::socket_t owner(ctx, zmq::socket_type::dealer), thief(ctx, zmq::socket_type::dealer);
  for (auto* s : {&owner, &thief}) {
    s->set(zmq::sockopt::routing_id, "same-id");
    s->set(zmq::sockopt::linger, 0);
  }
  owner.connect(endpoint);
  owner.send(msg::encode(msg::Hello{"ana"}), zmq::send_flags::none);
  zmq::message_t reply;
  zmq::pollitem_t item{owner.handle(), 0, ZMQ_POLLIN, 0};
  REQUIRE(zmq::poll(&item, 1, kWait) == 1);
  REQUIRE(owner.recv(reply));
  REQUIRE(msg::decode(reply.data(), reply.size()));

  thief.connect(endpoint);
  thief.send(msg::encode(msg::Say{"soy ana, de verdad"}), zmq::send_flags::none);
  CHECK(bob.pub_quiet([](const msg::Message& m) {
    const auto* c = std::get_if<msg::Chat>(&m);
    return c != nullptr && c->text == "soy ana, de verdad";
  }, std::chrono::milliseconds(500)));

  owner.send(msg::encode(msg::Say{"la de verdad"}), zmq::send_flags::none);
  const auto got = bob.next_pub<msg::Chat>([](const msg::Chat& c) { return c.text == "la de verdad"; });
  REQUIRE(got);
  CHECK(got->from == "ana");
}

TEST_CASE("connections that never finish their handshake do not stop the broker serving others", "[hostile][halfopen]") {
  TestBroker broker;
  zmq::context_t ctx;
  std::vector<int> fds;
  for (int i = 0; i < 200; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(broker.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    if (i % 2 == 0) {
      const char partial[] = "\xff\0\0\0\0\0\0\0\x01\x7f\x03";  // the start of a ZMTP greeting, then silence
      REQUIRE(::write(fd, partial, sizeof partial - 1) > 0);
    }
    fds.push_back(fd);
  }
  auto ana = TestClient::join(ctx, broker, "ana");
  auto bob = TestClient::join(ctx, broker, "bob");
  ana.send(msg::Say{"sigo aquí"});
  const auto got = bob.next_pub<msg::Chat>();
  REQUIRE(got);
  CHECK(got->text == "sigo aquí");
  for (int fd : fds) ::close(fd);
}

TEST_CASE("past the maximum number of sessions a hello gets server_full, and a freed place can be taken", "[hostile][limits]") {
  auto cfg = fast_config();
  cfg.max_sessions = 2;
  TestBroker broker(cfg);
  zmq::context_t ctx;
  auto ana = TestClient::join(ctx, broker, "ana");
  {
    auto bob = TestClient::join(ctx, broker, "bob");
    TestClient eva(ctx, broker.port());
    eva.send(msg::Hello{"eva"});
    const auto e = eva.expect<msg::Error>();
    CHECK(e.code == msg::ErrorCode::server_full);
    bob.send(msg::Bye{});
    CHECK(bob.expect<msg::Ok>().re == "bye");
  }
  TestClient eva(ctx, broker.port());
  CHECK(eva.hello("eva").name == "eva");
}
