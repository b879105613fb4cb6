// Questions (history, search: docs/protocol.md 2.4, 2.7) are bounded in cost and
// kept apart from what acknowledges and delivers messages: a flood of searches
// does not delay anyone's acknowledgements; a search's words are the index's
// tokens, a few of them; history takes any number as its arguments.
#include "support/broker_setup.hpp"
#include "support/raw_msgpack.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace msg = charla::msg;
using namespace charla::test;
using Clock = std::chrono::steady_clock;

namespace {

// Says each of `count` lines "<word> <i>" and waits until the last is published (and so kept).
void say_many(TestClient& c, int count, const std::string& word) {
  for (int i = 1; i <= count; ++i) c.send(msg::Say{word + " " + std::to_string(i)});
  const auto last = word + " " + std::to_string(count);
  REQUIRE(c.next_pub<msg::Chat>([&](const msg::Chat& ch) { return ch.text == last; }, kWait * 4));
}

// The reply to one request, which must be an error; its code and re.
msg::Error refused(TestClient& c, const msg::Message& m, std::uint64_t id) {
  c.send(m, id);
  auto e = c.expect<msg::Error>();
  CHECK(c.last_id() == id);
  return e;
}

msg::Error refused_raw(TestClient& c, const std::string& frame) {
  c.send_raw(frame);
  return c.expect<msg::Error>();
}

// Connections that ask as fast as their general rate limit lets them, until told to stop.
class Flood {
 public:
  Flood(const TestBroker& broker, int connections, msg::Message question) {
    for (int i = 0; i < connections; ++i) {
      threads_.emplace_back([this, &broker, question] {
        zmq::context_t ctx;
        TestClient c(ctx, broker.port());
        std::uint64_t id = 0;
        while (!stop_) {
          c.send(question, ++id);
          ++asked_;
          // One question each 20 ms (50 a second, the general limit), and whatever came back meanwhile.
          const auto next = Clock::now() + std::chrono::milliseconds(20);
          while (Clock::now() < next) {
            if (auto d = c.recv(std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()))) ++answered_;
          }
        }
      });
    }
  }
  ~Flood() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }
  std::uint64_t asked() const { return asked_; }
  std::uint64_t answered() const { return answered_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> asked_{0}, answered_{0};
  std::vector<std::thread> threads_;
};

}  // namespace

TEST_CASE("a flood of searches does not delay an honest user's acknowledgements", "[broker][query][flood]") {
  BrokerSetup s;  // each flooder keeps to 50 questions a second, the default general limit
  auto ana = s.join("ana");
  say_many(ana, 3000, "hola");
  Flood flood(s.broker, 20, msg::Search{"hola"});
  REQUIRE(wait_for([&] { return flood.answered() >= 100; }));

  std::vector<double> ms;
  for (std::uint64_t n = 1; n <= 40; ++n) {
    const auto t0 = Clock::now();
    ana.send(msg::Say{"dígalo " + std::to_string(n), n});
    const auto ack = ana.expect<msg::Ack>(kWait * 4);
    REQUIRE(ack.n == n);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::cout << "acks during a search flood (" << flood.asked() << " asked): median " << ms[ms.size() / 2]
            << " ms, worst " << ms.back() << " ms\n";
  CHECK(ms[ms.size() / 2] < 250.0 * kSlowdown);
  CHECK(ms.back() < 1000.0 * kSlowdown);
}

TEST_CASE("a search whose text holds a NUL is answered", "[broker][query][search]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  say_many(ana, 2, "hola");
  ana.send(msg::Search{std::string("hola\0mundo", 10)}, 1);
  const auto d = ana.recv();
  REQUIRE(d);
  CHECK(ana.last_id() == 1);
  CHECK(std::holds_alternative<msg::Chats>(d->msg));  // two words: "hola", "mundo"; none has both
  ana.send(msg::Search{std::string("\0hola\0", 6)}, 2);
  CHECK(ana.expect<msg::Chats>().messages.size() == 2);
}

TEST_CASE("a search with no word in it is bad_field", "[broker][query][search]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  say_many(ana, 1, "hola");
  std::uint64_t id = 0;
  const std::vector<std::string> texts{"*", "-", "()", "\"\"", "^", ":", "+", "\xF0\x9F\x98\x80", " \t ", std::string("\0", 1), std::string(60000, '(')};
  for (const auto& text : texts) {
    INFO("text: " << text);
    const auto e = refused(ana, msg::Search{text}, ++id);
    CHECK(e.code == msg::ErrorCode::bad_field);
    CHECK(e.re == "search");
  }
}

TEST_CASE("a search of more than 256 bytes or 8 words is too_long", "[broker][query][search]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  std::string huge;
  while (huge.size() < 60 * 1024) huge += "ab* ";
  auto e = refused(ana, msg::Search{huge}, 1);
  CHECK(e.code == msg::ErrorCode::too_long);
  CHECK(e.re == "search");
  e = refused(ana, msg::Search{"uno dos tres cuatro cinco seis siete ocho nueve"}, 2);
  CHECK(e.code == msg::ErrorCode::too_long);
  CHECK(e.re == "search");
  ana.send(msg::Search{"uno dos tres cuatro cinco seis siete ocho ocho uno"}, 3);  // 8 distinct words
  CHECK(ana.expect<msg::Chats>().messages.empty());
}

TEST_CASE("a search finds what was said a moment ago and what the index holds", "[broker][query][search]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  say_many(ana, 1500, "viejo");  // more than the store leaves unindexed at a commit
  ana.send(msg::Say{"ÑANDÚ recién dicho"});
  REQUIRE(ana.next_pub<msg::Chat>([](const msg::Chat& c) { return c.text == "ÑANDÚ recién dicho"; }));
  ana.send(msg::Search{"nandu"}, 1);
  const auto fresh = ana.expect<msg::Chats>();
  REQUIRE(fresh.messages.size() == 1);
  CHECK(fresh.messages[0].text == "ÑANDÚ recién dicho");
  ana.send(msg::Search{"viejo 1", 300}, 2);  // "1", "10", …, "1500": newest first, a page at most
  const auto old = ana.expect<msg::Chats>();
  CHECK(old.messages.size() == 200);
  CHECK(old.more);
  CHECK(old.messages.front().text == "viejo 1500");
  CHECK(std::is_sorted(old.messages.begin(), old.messages.end(), [](auto& a, auto& b) { return a.hid > b.hid; }));
}

TEST_CASE("history takes any number as its arguments", "[broker][query][history]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  say_many(ana, 250, "m");
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  const auto newest = [&](std::uint64_t before, std::uint64_t limit, std::uint64_t id) {
    ana.send(msg::History{before, limit}, id);
    return ana.expect<msg::Chats>();
  };
  SECTION("before 2^63 or more is below none: the newest") {
    for (const auto before : {std::uint64_t{1} << 63, kMax}) {
      const auto c = newest(before, 1, 1);
      REQUIRE(c.messages.size() == 1);
      CHECK(c.messages[0].text == "m 250");
      CHECK(c.more);
    }
  }
  SECTION("limit 0 is the default, 50") {
    const auto c = newest(0, 0, 2);
    CHECK(c.messages.size() == 50);
    CHECK(c.messages.back().text == "m 250");
  }
  SECTION("a limit over 200, 2^64-1 too, is 200") {
    for (const auto limit : {std::uint64_t{201}, std::uint64_t{1} << 63, kMax}) {
      const auto c = newest(0, limit, 3);
      CHECK(c.messages.size() == 200);
      CHECK(c.more);
      CHECK(c.messages.front().text == "m 51");
    }
    ana.send(msg::Search{"m", kMax}, 4);
    CHECK(ana.expect<msg::Chats>().messages.size() == 200);
  }
  SECTION("before 1 is below the first: nothing") {
    const auto c = newest(1, kMax, 5);
    CHECK(c.messages.empty());
    CHECK_FALSE(c.more);
  }
  SECTION("arguments of the wrong type are decoding errors") {
    const auto bad = [&](auto&& write) {
      Raw r;
      r.map(4).str("v").uint(3).str("t").str("history").str("id").uint(7);
      write(r);
      const auto e = refused_raw(ana, r.bytes());
      CHECK(e.code == msg::ErrorCode::bad_field);
      CHECK(e.re.empty());
    };
    bad([](Raw& r) { r.str("before").sint(-1); });
    bad([](Raw& r) { r.str("limit").sint(-5); });
    bad([](Raw& r) { r.str("limit").str("10"); });
    bad([](Raw& r) { r.str("before").nil(); });
    bad([](Raw& r) { r.str("limit").verbatim(std::string_view("\xcb\x40\x24\0\0\0\0\0\0", 9)); });  // 10.0
    bad([](Raw& r) { r.str("before").boolean(true); });
  }
}

TEST_CASE("a connection may have a few questions waiting; one more is busy, one after another never is",
          "[broker][query]") {
  auto cfg = fast_config();
  cfg.query_pending = 2;
  BrokerSetup s(cfg);
  auto ana = s.join("ana");
  say_many(ana, 2000, "hola");
  // One after another, each answered before the next: never refused, however many.
  for (std::uint64_t id = 1; id <= 300; ++id) {
    ana.send(msg::History{id, 7}, id);
    REQUIRE(ana.expect<msg::Chats>().messages.size() <= 7);
  }
  // Many at once: past the two waiting, busy with their id, and a say still goes through.
  for (std::uint64_t id = 1; id <= 40; ++id) ana.send(msg::Search{"hola", 200}, id);
  int answered = 0, busy = 0;
  for (int i = 0; i < 40; ++i) {
    const auto d = ana.recv();
    REQUIRE(d);
    if (const auto* e = std::get_if<msg::Error>(&d->msg)) {
      CHECK(e->code == msg::ErrorCode::busy);
      CHECK(e->re == "search");
      CHECK(ana.last_id() != 0);
      ++busy;
    } else {
      CHECK(std::holds_alternative<msg::Chats>(d->msg));
      ++answered;
    }
  }
  CHECK(answered >= 2);
  CHECK(busy >= 20);
  CHECK(answered + busy == 40);
  ana.send(msg::Say{"hablar sigue permitido", 1});
  CHECK(ana.expect<msg::Ack>(kWait).n == 1);
}

TEST_CASE("a question over the reader's queue is answered busy at once", "[broker][query]") {
  auto cfg = fast_config();
  cfg.query_queue = 2;
  cfg.query_pending = 100;
  BrokerSetup s(cfg);
  auto ana = s.join("ana");
  say_many(ana, 2000, "hola");
  std::atomic<int> busy{0}, chats{0}, other{0};
  std::vector<std::thread> askers;
  for (int k = 0; k < 8; ++k) {
    askers.emplace_back([&] {
      zmq::context_t ctx;
      TestClient c(ctx, s.broker.port());
      for (std::uint64_t id = 1; id <= 50; ++id) c.send(msg::Search{"hola", 200}, id);
      for (int i = 0; i < 50; ++i) {
        const auto d = c.recv(kWait);
        if (!d) return;
        const auto* e = std::get_if<msg::Error>(&d->msg);
        if (e != nullptr && e->code == msg::ErrorCode::busy && e->re == "search" && c.last_id() != 0) {
          ++busy;
        } else if (std::holds_alternative<msg::Chats>(d->msg)) {
          ++chats;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : askers) t.join();
  CHECK(busy + chats == 8 * 50);  // every question answered
  CHECK(other == 0);
  CHECK(busy > 0);
  CHECK(chats > 0);
}
