// Liveness: ping and pong, the "lost" event for a client that falls silent,
// and the "leave" event for one that says bye.
#include "support/broker_setup.hpp"
#include "support/printing.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace msg = charla::msg;
using namespace charla::test;
using msg::ErrorCode;
using std::chrono::steady_clock;

namespace {

auto event_about(msg::PresenceEvent e, const std::string& user) {
  return [e, user](const msg::Presence& p) { return p.event == e && p.user == user; };
}

// Watches the monitor's presence stream until `who` is announced lost, calling
// each_turn() before every look (to keep another client talking). The events
// seen, the last being that "lost"; empty if it did not come by the deadline.
template <class EachTurn>
std::vector<msg::Presence> until_lost(TestClient& mon, const std::string& who, std::chrono::milliseconds within,
                                      EachTurn&& each_turn) {
  std::vector<msg::Presence> seen;
  const bool lost = wait_for(
      [&] {
        each_turn();
        if (auto p = mon.recv_pub(std::chrono::milliseconds(20))) {
          if (auto* e = std::get_if<msg::Presence>(&p->msg)) seen.push_back(*e);
        }
        return !seen.empty() && seen.back().event == msg::PresenceEvent::lost && seen.back().user == who;
      },
      within);
  if (!lost) seen.clear();
  return seen;
}

}  // namespace

TEST_CASE("a ping is answered with a pong", "[broker][heartbeat]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  ana.send(msg::Ping{}, 42);
  ana.expect<msg::Pong>();
  CHECK(ana.last_id() == 42);
}

TEST_CASE("a client that vanishes is announced lost within the expiry time", "[broker][heartbeat]") {
  BrokerSetup s;
  const auto expiry = std::chrono::milliseconds(s.broker.config().expiry_ms);
  auto mon = s.watch();
  auto ana = s.join("ana");
  ana.send(msg::Ping{});
  ana.expect<msg::Pong>();
  const auto last_word = ana.last_sent();
  ana.close();
  const auto lost = mon.next_pub<msg::Presence>(event_about(msg::PresenceEvent::lost, "ana"), expiry + kWait);
  const auto silence = steady_clock::now() - last_word;
  REQUIRE(lost);
  CHECK(lost->status == msg::Status::activo);
  CHECK(lost->cause == msg::Cause::none);
  CHECK(lost->ip == "127.0.0.1");
  CHECK(silence >= expiry);                                  // not before the expiry…
  CHECK(silence <= expiry + std::chrono::milliseconds(1500) * kSlowdown);  // …and soon after it
}

TEST_CASE("of two connected clients only the one that stopped pinging is announced lost", "[broker][heartbeat]") {
  BrokerSetup s;
  const auto expiry = std::chrono::milliseconds(s.broker.config().expiry_ms);
  auto mon = s.watch();
  auto ana = s.join("ana");  // keeps pinging (the fixture's keep-alive)
  auto ben = s.join("ben");
  ben.keepalive(false);  // still connected, but says nothing
  const auto last_word = ben.last_sent();
  const auto seen = until_lost(mon, "ben", expiry + kWait, [] {});
  REQUIRE_FALSE(seen.empty());
  CHECK(steady_clock::now() - last_word >= expiry);
  for (const auto& e : seen) {
    if (e.user == "ana") CHECK(e.event == msg::PresenceEvent::join);
  }
  // ben's connection is still open, but its session is gone.
  ben.send(msg::Say{"¿sigo aquí?"});
  CHECK(ben.expect<msg::Error>().code == ErrorCode::not_joined);
  ana.send(msg::Who{});
  const auto users = ana.expect<msg::Users>();
  REQUIRE(users.users.size() == 1);
  CHECK(users.users[0].name == "ana");
}

TEST_CASE("bye is confirmed and announced as a leave", "[broker][heartbeat]") {
  BrokerSetup s;
  auto mon = s.watch();
  auto ana = s.join("ana");
  auto ben = s.join("ben");
  ana.send(msg::SetStatus{msg::Status::ocupado});
  ana.expect<msg::Ok>();
  ana.send(msg::Bye{}, 9);
  const auto ok = ana.expect<msg::Ok>();
  CHECK(ok.re == "bye");
  CHECK(ana.last_id() == 9);
  for (auto* c : {&mon, &ben}) {
    const auto leave = c->next_pub<msg::Presence>([](const msg::Presence& p) {
      return p.user == "ana" && p.event != msg::PresenceEvent::join && p.event != msg::PresenceEvent::status;
    });
    REQUIRE(leave);
    CHECK(leave->event == msg::PresenceEvent::leave);
    CHECK(leave->status == msg::Status::ocupado);  // the last status ana had
    CHECK(leave->cause == msg::Cause::none);
    CHECK(leave->ip == "127.0.0.1");
  }
  ana.send(msg::Ping{});  // no session any more
  CHECK(ana.expect<msg::Error>().code == ErrorCode::not_joined);
  // No "lost" after the "leave", however long we wait past the expiry.
  CHECK(mon.pub_quiet(news_about("ana"), std::chrono::milliseconds(s.broker.config().expiry_ms) + kQuiet));
}

TEST_CASE("any message is proof of life, even one that cannot be decoded", "[broker][heartbeat]") {
  // docs/protocol.md 10.1: every message that reaches the broker keeps its session
  // alive, undecodable frames and messages of several frames included.
  BrokerSetup s;
  const auto expiry = std::chrono::milliseconds(s.broker.config().expiry_ms);
  auto mon = s.watch();
  auto ana = s.join("ana");
  auto ben = s.join("ben");
  ana.keepalive(false);
  ben.keepalive(false);
  const auto last_word = ben.last_sent();
  auto next_send = steady_clock::now();
  bool garbage = true;
  const auto seen = until_lost(mon, "ben", expiry + kWait, [&] {
    if (steady_clock::now() >= next_send) {  // ana says something unreadable every third of the expiry
      if (garbage) {
        ana.send_raw("\xc1 basura");
      } else {
        ana.send_frames({msg::encode_to_string(msg::Ping{}), msg::encode_to_string(msg::Ping{})});
      }
      garbage = !garbage;
      next_send += expiry / 3;
    }
  });
  REQUIRE_FALSE(seen.empty());
  CHECK(steady_clock::now() - last_word >= expiry);
  for (const auto& e : seen) {
    if (e.user == "ana") CHECK(e.event == msg::PresenceEvent::join);
  }
  ana.send(msg::Ping{});  // ana's garbage kept her session
  while (true) {
    const auto reply = ana.recv();
    REQUIRE(reply);
    if (std::holds_alternative<msg::Pong>(reply->msg)) break;
    REQUIRE(std::get<msg::Error>(reply->msg).code == ErrorCode::bad_frame);  // answers to the garbage
  }
}
