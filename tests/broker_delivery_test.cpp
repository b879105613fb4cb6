// Delivery you can count on (docs/protocol.md 2.6): every numbered message is
// acknowledged or refused, never lost in silence; a resend is not handled
// twice; private messages wait for their target's confirmation, are sent again
// to a resumed session and reported when they cannot be delivered; what the
// broker keeps for a connection is bounded in bytes.
#include "support/broker_setup.hpp"
#include "support/printing.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace msg = charla::msg;
using namespace charla::test;
using msg::ErrorCode;

namespace {

// What came back for numbered messages: the highest ack, and the errors by number.
struct Outcomes {
  std::uint64_t acked = 0;
  std::map<std::uint64_t, ErrorCode> refused;
  // Takes one reply; false if it was none of these.
  bool take(const msg::Message& m) {
    if (const auto* a = std::get_if<msg::Ack>(&m)) {
      acked = std::max(acked, a->n);
      return true;
    }
    if (const auto* e = std::get_if<msg::Error>(&m); e != nullptr && e->n != 0) {
      refused[e->n] = e->code;
      return true;
    }
    return false;
  }
  // Every number up to `last` answered one way or the other.
  bool settled(std::uint64_t last) const { return acked >= last || (!refused.empty() && refused.rbegin()->first >= last && acked + refused.size() >= last); }
};

// Reads replies until every numbered message up to `last` is answered.
Outcomes answers(TestClient& c, std::uint64_t last) {
  Outcomes o;
  while (o.acked < last && (o.refused.empty() || o.refused.rbegin()->first < last)) {
    auto d = c.recv();
    if (!d) throw std::runtime_error("no answer for the numbered messages up to " + std::to_string(last));
    if (!o.take(d->msg)) throw std::runtime_error("unexpected " + describe(d->msg));
  }
  return o;
}

// Reads private messages until `count` have come or the deadline passes; confirms them.
std::vector<msg::Private> privates(TestClient& c, std::size_t count, std::chrono::milliseconds wait = kWait) {
  std::vector<msg::Private> got;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (got.size() < count && std::chrono::steady_clock::now() < deadline) {
    auto d = c.recv(std::chrono::milliseconds(50));
    if (!d) continue;
    if (auto* p = std::get_if<msg::Private>(&d->msg)) {
      got.push_back(std::move(*p));
      c.send(msg::Got{got.back().dseq});
    }
  }
  return got;
}

charla::broker::Config with_defaults() {
  auto cfg = fast_config();
  cfg.rate = charla::broker::Config{}.rate;  // charla-broker's default limits
  cfg.burst = charla::broker::Config{}.burst;
  return cfg;
}

}  // namespace

TEST_CASE("numbered broadcasts are acknowledged, and a resend is acknowledged but not published again",
          "[broker][delivery]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  auto ben = s.join("ben");
  for (std::uint64_t n = 1; n <= 3; ++n) ana.send(msg::Say{"mensaje " + std::to_string(n), n});
  CHECK(answers(ana, 3).refused.empty());
  ana.send(msg::Say{"mensaje 2", 2});  // as after a reconnection
  CHECK(answers(ana, 2).refused.empty());
  std::vector<std::string> heard;
  while (auto c = ben.next_pub<msg::Chat>(kQuiet)) heard.push_back(c->text);
  CHECK(heard == std::vector<std::string>{"mensaje 1", "mensaje 2", "mensaje 3"});
}

TEST_CASE("a refused numbered message carries its number, and a resend gets the same refusal", "[broker][delivery]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  ana.send(msg::Whisper{"nadie", "hola", 1});
  auto first = answers(ana, 1);
  REQUIRE(first.refused.count(1) == 1);
  CHECK(first.refused[1] == ErrorCode::no_such_user);
  ana.send(msg::Whisper{"nadie", "hola", 1});
  auto again = ana.expect<msg::Error>();
  CHECK(again.code == ErrorCode::no_such_user);
  CHECK(again.n == 1);
}

TEST_CASE("eight senders whispering at once to one reader lose nothing", "[broker][delivery][fanin]") {
  BrokerSetup s(with_defaults());
  auto target = s.join("diana");
  std::vector<TestClient> senders;
  for (int i = 0; i < 8; ++i) senders.push_back(s.join("s" + std::to_string(i)));
  constexpr std::uint64_t kEach = 190;  // within the burst of 200
  for (std::uint64_t n = 1; n <= kEach; ++n) {
    for (auto& c : senders) c.send(msg::Whisper{"diana", c.name() + " " + std::to_string(n), n});
  }
  const auto got = privates(target, 8 * kEach);
  std::set<std::string> distinct;
  for (const auto& p : got) distinct.insert(p.text);
  CHECK(got.size() == 8 * kEach);
  CHECK(distinct.size() == 8 * kEach);
  for (auto& c : senders) CHECK(answers(c, kEach).refused.empty());
}

TEST_CASE("a reader that stops reading gets what fits and every other sender is told", "[broker][delivery][slow]") {
  auto cfg = fast_config();  // no rate limit
  cfg.max_queue = 256 * 1024;
  BrokerSetup s(cfg);
  auto target = s.join("diana");
  auto ana = s.join("ana");
  const std::string text(4000, 'x');
  constexpr std::uint64_t kSent = 400;  // 1.6 MB for a queue of 256 KiB
  for (std::uint64_t n = 1; n <= kSent; ++n) ana.send(msg::Whisper{"diana", std::to_string(n) + text, n});
  const auto o = answers(ana, kSent);
  for (const auto& [n, code] : o.refused) CHECK(code == ErrorCode::queue_full);
  CHECK(!o.refused.empty());
  const auto got = privates(target, kSent - o.refused.size());
  CHECK(got.size() + o.refused.size() == kSent);  // delivered or reported, every one
  std::set<std::uint64_t> numbers;
  for (const auto& p : got) numbers.insert(p.n);
  CHECK(numbers.size() == got.size());  // none twice
  for (const auto& [n, code] : o.refused) CHECK(numbers.count(n) == 0);
}

TEST_CASE("a thousand pipelined pings all get their pong", "[broker][delivery][ping]") {
  BrokerSetup s;  // no rate limit
  auto ana = s.join("ana");
  ana.keepalive(false);
  for (std::uint64_t id = 1; id <= 3000; ++id) ana.send(msg::Ping{}, id);
  std::uint64_t pongs = 0;
  while (pongs < 3000) {
    (void)ana.expect<msg::Pong>();
    CHECK(ana.last_id() == ++pongs);  // in order, none lost
  }
}

TEST_CASE("a private message waits for its confirmation and goes again to the resumed session",
          "[broker][delivery][resume]") {
  BrokerSetup s;
  auto mon = s.watch();
  TestClient ana1 = s.connect();
  const auto w = ana1.hello(msg::Hello{"ana", "", 77});
  CHECK_FALSE(w.resumed);
  REQUIRE(w.resume.size() == 32);
  auto ben = s.join("ben");
  ben.send(msg::Whisper{"ana", "¿sigues ahí?", 1});
  const auto first = ana1.expect<msg::Private>();  // arrives, but ana never confirms it
  CHECK(first.dseq == 1);
  ana1.close();  // her connection goes away

  auto ana2 = s.connect();
  const auto w2 = ana2.hello(msg::Hello{"ANA", w.resume, 77});
  CHECK(w2.resumed);
  CHECK(w2.name == "ana");
  const auto again = ana2.expect<msg::Private>();
  CHECK(again.text == "¿sigues ahí?");
  CHECK(again.dseq == 1);
  ana2.send(msg::Got{1});
  const auto back = mon.next_pub<msg::Presence>([](const msg::Presence& p) { return p.user == "ana" && p.event != msg::PresenceEvent::join; });
  REQUIRE(back);
  CHECK(back->event == msg::PresenceEvent::resume);  // no leave, no join
  ana2.send(msg::Info{"ana"}, 5);
  CHECK(ana2.expect<msg::UserInfo>().name == "ana");
}

TEST_CASE("a resume token that is not the session's is refused as name_taken", "[broker][delivery][resume]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  auto other = s.connect();
  other.send(msg::Hello{"ana", "00000000000000000000000000000000", 5}, 1);
  const auto e = other.expect<msg::Error>();
  CHECK(e.code == ErrorCode::name_taken);
  ana.send(msg::Ping{}, 2);  // ana keeps her session
  ana.expect<msg::Pong>();
}

TEST_CASE("private messages never confirmed are reported to their sender when the session ends",
          "[broker][delivery][undelivered]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  auto ben = s.join("ben");
  ben.send(msg::Whisper{"ana", "uno", 1});
  ben.send(msg::Whisper{"ana", "dos", 2});
  CHECK(answers(ben, 2).refused.empty());
  const auto p1 = ana.expect<msg::Private>();
  (void)ana.expect<msg::Private>();
  ana.send(msg::Got{p1.dseq});  // only the first
  ana.close();                  // and vanishes: lost after the expiry
  const auto e = ben.expect<msg::Error>(std::chrono::milliseconds(s.broker.config().expiry_ms) + kWait);
  CHECK(e.code == ErrorCode::undelivered);
  CHECK(e.n == 2);
  CHECK(e.text.find("dos") != std::string::npos);
  CHECK(ben.quiet());  // nothing about the confirmed one
}

TEST_CASE("an unnumbered private message never confirmed ends with the session without a word",
          "[broker][delivery][undelivered]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  auto ben = s.join("ben");  // no origin in his hello: the unnumbered letter's origin (0) is his
  ben.send(msg::Whisper{"ana", "sin número"});
  CHECK(ana.expect<msg::Private>().n == 0);
  ana.send(msg::Bye{}, 3);  // without confirming it
  ana.expect<msg::Ok>();
  CHECK(ben.quiet());  // no undelivered: ben has no number to match it to
}

TEST_CASE("a connection that sends only garbage is cut off and others are served", "[broker][delivery][garbage]") {
  BrokerSetup s;
  auto ben = s.join("ben");
  auto junk = s.connect();
  for (unsigned i = 0; i < charla::broker::kMaxBadInARow; ++i) {
    junk.send_raw("\xc1");
    CHECK(junk.expect<msg::Error>().code == ErrorCode::bad_frame);
  }
  junk.send(msg::Who{}, 1);  // cut off: no answer any more
  CHECK(junk.quiet());
  ben.send(msg::Who{}, 2);
  CHECK(ben.expect<msg::Users>().users.size() == 1);
}

TEST_CASE("messages of several frames count against the rate limit", "[broker][delivery][rate]") {
  auto cfg = fast_config();
  cfg.rate = 0.001;
  cfg.burst = 3;
  BrokerSetup s(cfg);
  auto c = s.connect();
  for (int i = 0; i < 2; ++i) {
    c.send_frames({"a", "b"});
    CHECK(c.expect<msg::Error>().code == ErrorCode::bad_frame);
  }
  c.send(msg::Who{}, 1);
  c.expect<msg::Users>();
  c.send_frames({"a", "b"});  // the bucket is empty: the first drop is answered
  CHECK(c.expect<msg::Error>().code == ErrorCode::rate_limited);
  c.send_frames({"a", "b"});
  CHECK(c.quiet());
}
