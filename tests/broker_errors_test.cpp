// Bad input: malformed frames, oversized texts and frames, messages the
// session's state does not accept. Each gets its error, and the broker goes on
// serving everyone else.
#include "support/broker_setup.hpp"
#include "support/printing.hpp"
#include "support/raw_msgpack.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

namespace msg = charla::msg;
using namespace charla::test;
using msg::ErrorCode;

namespace {

// {"v": version, "t": type, "id": id} and `more` entries written by `write`.
template <class F>
std::string frame(std::string_view type, std::uint64_t id, std::uint32_t more, F&& write) {
  Raw r;
  r.map(3 + more).str("v").uint(msg::kProtocolVersion).str("t").str(type).str("id").uint(id);
  write(r);
  return r.bytes();
}

// One of every type that only the broker sends.
std::vector<msg::Message> broker_to_client() {
  return {msg::Welcome{"ana", 1, 1, 1, 1, 1, "x"}, msg::Users{}, msg::UserInfo{}, msg::Private{"ana", "x", 1},
          msg::Ok{"say"}, msg::Pong{}, msg::Error{ErrorCode::internal, "x", "say"}, msg::Chat{1, "ana", "x", 1},
          msg::Presence{}, msg::Beat{}, msg::Shutdown{"x"}};
}

// The broker still serves others: a broadcast from `from` reaches `to`.
void check_still_served(TestClient& from, TestClient& to) {
  from.send(msg::Say{"¿seguimos?"});
  const auto chat = to.next_pub<msg::Chat>([&](const msg::Chat& c) { return c.from == from.name(); });
  REQUIRE(chat);
  CHECK(chat->text == "¿seguimos?");
}

}  // namespace

TEST_CASE("a frame that is not msgpack is answered bad_frame and the broker serves the others", "[broker][errors]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  auto ben = s.join("ben");
  auto stranger = s.connect();
  for (auto* c : {&ana, &stranger}) {
    for (const auto& junk : {std::string("\xc1 no es msgpack"), std::string(), std::string("\x92\x01\x02")}) {
      c->send_raw(junk);
      const auto e = c->expect<msg::Error>();
      CHECK(e.code == ErrorCode::bad_frame);
      CHECK_FALSE(e.text.empty());
    }
  }
  check_still_served(ben, ana);
  ana.send(msg::Ping{});  // and the sender keeps its session
  ana.expect<msg::Pong>();
}

TEST_CASE("a message of several frames is answered bad_frame", "[broker][errors]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  ana.send_frames({msg::encode_to_string(msg::Say{"uno"}), msg::encode_to_string(msg::Say{"dos"})});
  CHECK(ana.expect<msg::Error>().code == ErrorCode::bad_frame);
  CHECK(ana.pub_quiet(any_chat));  // neither frame was taken as a broadcast
  ana.send(msg::Ping{});
  ana.expect<msg::Pong>();
}

TEST_CASE("a text over max_text is answered too_long and one of exactly max_text is delivered", "[broker][errors]") {
  BrokerSetup s;
  const auto max_text = s.broker.config().max_text;
  REQUIRE(max_text == 4096);
  auto ana = s.join("ana");
  auto ben = s.join("ben");
  ana.send(msg::Say{std::string(5000, 'a')}, 3);
  auto e = ana.expect<msg::Error>();
  CHECK(e.code == ErrorCode::too_long);
  CHECK(e.re == "say");
  CHECK(ana.last_id() == 3);
  ana.send(msg::Whisper{"ben", std::string(max_text + 1, 'a')}, 4);
  e = ana.expect<msg::Error>();
  CHECK(e.code == ErrorCode::too_long);
  CHECK(e.re == "whisper");
  CHECK(ana.last_id() == 4);
  CHECK(ben.quiet());

  std::string longest;
  while (longest.size() < max_text) longest += "ñ";  // 2 bytes each: exactly max_text bytes
  ana.send(msg::Say{longest});
  const auto chat = ben.next_pub<msg::Chat>();
  REQUIRE(chat);
  CHECK(chat->text == longest);
  ana.send(msg::Whisper{"ben", longest});
  CHECK(ben.expect<msg::Private>().text == longest);
}

TEST_CASE("an empty text is answered bad_field", "[broker][errors]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  auto ben = s.join("ben");
  ana.send(msg::Say{""}, 41);
  auto e = ana.expect<msg::Error>();
  CHECK(e.code == ErrorCode::bad_field);
  CHECK(e.re == "say");
  CHECK(ana.last_id() == 41);
  ana.send(msg::Whisper{"nadie", ""});  // the empty text is checked before the target
  e = ana.expect<msg::Error>();
  CHECK(e.code == ErrorCode::bad_field);
  CHECK(e.re == "whisper");
  ana.send(msg::Whisper{"ben", ""});
  CHECK(ana.expect<msg::Error>().code == ErrorCode::bad_field);
  CHECK(ben.pub_quiet(any_chat, 20ms));
  CHECK(ben.quiet(20ms));
}

TEST_CASE("invalid UTF-8 is answered bad_utf8 and goes nowhere", "[broker][errors]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  auto ben = s.join("ben");
  ana.send_raw(Raw().map(3).str("v").uint(msg::kProtocolVersion).str("t").str("say").str("text").str("hola \xff\x1b[2J").bytes());
  CHECK(ana.expect<msg::Error>().code == ErrorCode::bad_utf8);
  CHECK(ben.pub_quiet(any_chat));
}

TEST_CASE("a frame over max_frame drops only its sender's connection", "[broker][errors]") {
  BrokerSetup s;
  REQUIRE(s.broker.config().max_frame == 65536);
  auto mon = s.watch();
  auto ana = s.join("ana");
  auto ben = s.join("ben");
  auto eva = s.join("eva");
  ana.send_raw(std::string(1 << 20, 'x'));  // 1 MiB

  check_still_served(ben, eva);
  // ZeroMQ dropped ana's connection; the DEALER reconnects, and its requests
  // now arrive on a new connection, which has no session.
  std::optional<msg::Decoded> reply;
  REQUIRE(wait_for([&] {
    ana.send(msg::Ping{}, 1);
    reply = ana.recv(100ms);
    return reply.has_value();
  }));
  const auto* e = std::get_if<msg::Error>(&reply->msg);
  REQUIRE(e != nullptr);
  CHECK(e->code == ErrorCode::not_joined);
  // The old session, silent since, expires.
  const auto lost = mon.next_pub<msg::Presence>(
      [](const msg::Presence& p) { return p.user == "ana" && p.event != msg::PresenceEvent::join; },
      std::chrono::milliseconds(s.broker.config().expiry_ms) + kWait);
  REQUIRE(lost);
  CHECK(lost->event == msg::PresenceEvent::lost);
}

TEST_CASE("an unknown type is answered unknown_type", "[broker][errors]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  auto stranger = s.connect();
  for (auto* c : {&ana, &stranger}) {
    c->send_raw(Raw().map(2).str("v").uint(msg::kProtocolVersion).str("t").str("shout").bytes());
    const auto e = c->expect<msg::Error>();
    CHECK(e.code == ErrorCode::unknown_type);
    CHECK(e.re.empty());
  }
}

TEST_CASE("a type that only the broker sends is answered unknown_type", "[broker][errors]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  auto stranger = s.connect();
  for (auto* c : {&ana, &stranger}) {
    for (const auto& m : broker_to_client()) {
      INFO(msg::type_name(m) << (c == &ana ? " after hello" : " before hello"));
      c->send(m, 6);
      const auto e = c->expect<msg::Error>();
      CHECK(e.code == ErrorCode::unknown_type);
      CHECK(e.re == msg::type_name(m));
      CHECK(c->last_id() == 6);
    }
  }
  CHECK(ana.pub_quiet(any_chat, 20ms));  // the chat sent to the broker was not published
  // Its fields are checked first: a welcome without them is a decoding error.
  ana.send_raw(Raw().map(2).str("v").uint(msg::kProtocolVersion).str("t").str("welcome").bytes());
  const auto e = ana.expect<msg::Error>();
  CHECK(e.code == ErrorCode::bad_field);
  CHECK(e.re.empty());
}

TEST_CASE("commands before hello are answered not_joined", "[broker][errors]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  auto c = s.connect();
  const std::vector<msg::Message> commands{msg::Say{"hola"}, msg::Whisper{"ana", "hola"}, msg::Info{"ana"},
                                           msg::SetStatus{msg::Status::ocupado}, msg::Ping{}, msg::Bye{}};
  for (const auto& m : commands) {
    INFO(msg::type_name(m));
    c.send(m, 12);
    const auto e = c.expect<msg::Error>();
    CHECK(e.code == ErrorCode::not_joined);
    CHECK(e.re == msg::type_name(m));
    CHECK(c.last_id() == 12);
  }
  CHECK(ana.quiet(20ms));  // the whisper did not get through, no chat, no change of anyone's status
  CHECK(ana.pub_quiet([](const msg::Message& m) { return any_chat(m) || news_about("ana")(m); }));
}

TEST_CASE("who and sync need no hello", "[broker][errors]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  auto c = s.connect();
  c.send(msg::Who{});
  const auto users = c.expect<msg::Users>();
  REQUIRE(users.users.size() == 1);
  CHECK(users.users[0].name == "ana");
  c.send(msg::Sync{});
  CHECK(c.quiet());  // sync is answered on the PUB, with a beat, not with an error
}

TEST_CASE("a second hello on a connection is answered already_joined", "[broker][errors]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  for (const std::string name : {"otra", "ana", "_no_vale"}) {  // already_joined is checked first
    ana.send(msg::Hello{name}, 14);
    const auto e = ana.expect<msg::Error>();
    CHECK(e.code == ErrorCode::already_joined);
    CHECK(e.re == "hello");
    CHECK(ana.last_id() == 14);
  }
  ana.send(msg::Who{});
  const auto users = ana.expect<msg::Users>();
  REQUIRE(users.users.size() == 1);
  CHECK(users.users[0].name == "ana");
}

TEST_CASE("a frame of another protocol version is answered bad_version", "[broker][errors]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  auto stranger = s.connect();
  for (auto* c : {&ana, &stranger}) {
    // A client of version 1, whose hello is otherwise valid in version 2 too.
    c->send_raw(Raw().map(3).str("v").uint(1).str("t").str("hello").str("name").str("eva").bytes());
    const auto e = c->expect<msg::Error>();
    CHECK(e.code == ErrorCode::bad_version);
    CHECK_THAT(e.text, Catch::Contains("versión de protocolo 1 no soportada"));
    c->send_raw(Raw().map(1).str("t").str("ping").bytes());  // no version at all
    CHECK(c->expect<msg::Error>().code == ErrorCode::bad_version);
  }
  ana.send(msg::Who{});
  CHECK(ana.expect<msg::Users>().users.size() == 1);  // the version-1 hello joined no one
}

TEST_CASE("request ids are echoed in replies and errors", "[broker][errors]") {
  BrokerSetup s;
  auto ana = s.connect();
  ana.send(msg::Say{"hola"}, 101);
  ana.expect<msg::Error>();
  CHECK(ana.last_id() == 101);
  ana.hello("ana", 102);
  CHECK(ana.last_id() == 102);
  ana.send(msg::Who{}, 103);
  ana.expect<msg::Users>();
  CHECK(ana.last_id() == 103);
  ana.send(msg::Info{"ana"}, 104);
  ana.expect<msg::UserInfo>();
  CHECK(ana.last_id() == 104);
  ana.send(msg::Info{"nadie"}, 105);
  ana.expect<msg::Error>();
  CHECK(ana.last_id() == 105);
  ana.send(msg::SetStatus{msg::Status::ocupado}, 106);
  ana.expect<msg::Ok>();
  CHECK(ana.last_id() == 106);
  ana.send(msg::Ping{}, 107);
  ana.expect<msg::Pong>();
  CHECK(ana.last_id() == 107);
  ana.send(msg::Hello{"ana"}, 108);
  ana.expect<msg::Error>();
  CHECK(ana.last_id() == 108);
  ana.send(msg::Bye{}, 109);
  ana.expect<msg::Ok>();
  CHECK(ana.last_id() == 109);
  ana.send(msg::Ping{}, 0);  // no id, no id back
  ana.expect<msg::Error>();
  CHECK(ana.last_id() == 0);
}

TEST_CASE("an error about a request that fails to decode carries neither its id nor its type", "[broker][errors]") {
  // docs/protocol.md 5.2: decoding errors have re "" and no id, even when both were readable.
  BrokerSetup s;
  auto ana = s.join("ana");
  SECTION("an unknown type") {
    ana.send_raw(frame("shout", 21, 0, [](Raw&) {}));
    const auto e = ana.expect<msg::Error>();
    CHECK(e.code == ErrorCode::unknown_type);
    CHECK(ana.last_id() == 0);
    CHECK(e.re.empty());
  }
  SECTION("a field of the wrong type") {
    ana.send_raw(frame("say", 22, 1, [](Raw& r) { r.str("text").uint(5); }));
    const auto e = ana.expect<msg::Error>();
    CHECK(e.code == ErrorCode::bad_field);
    CHECK(ana.last_id() == 0);
    CHECK(e.re.empty());
  }
  SECTION("an unknown status") {
    ana.send_raw(frame("set_status", 23, 1, [](Raw& r) { r.str("status").str("activo"); }));
    const auto e = ana.expect<msg::Error>();
    CHECK(e.code == ErrorCode::bad_field);
    CHECK(ana.last_id() == 0);
    CHECK(e.re.empty());
  }
  SECTION("invalid UTF-8") {
    ana.send_raw(frame("say", 24, 1, [](Raw& r) { r.str("text").str("\xff"); }));
    const auto e = ana.expect<msg::Error>();
    CHECK(e.code == ErrorCode::bad_utf8);
    CHECK(ana.last_id() == 0);
    CHECK(e.re.empty());
  }
}

TEST_CASE("rate_limited answers the first dropped frame, then at most one a second", "[broker][errors][rate]") {
  auto cfg = fast_config();
  cfg.rate = 1;  // a token a second
  cfg.burst = 2;
  BrokerSetup s(cfg);
  auto c = s.connect();
  c.send(msg::Who{}, 1);  // two tokens: two answers
  c.send(msg::Who{}, 2);
  c.send(msg::Who{}, 3);  // dropped: the first drop is answered
  c.send(msg::Who{}, 4);  // dropped within the second: no answer
  CHECK(c.expect<msg::Users>().pseq == 0);
  CHECK(c.last_id() == 1);
  c.expect<msg::Users>();
  CHECK(c.last_id() == 2);
  const auto e = c.expect<msg::Error>();
  CHECK(e.code == ErrorCode::rate_limited);
  CHECK(e.re.empty());
  CHECK(c.last_id() == 0);  // the dropped frame was never decoded
  CHECK(c.quiet());
  // A second later the bucket holds a token again.
  const auto refill = std::chrono::steady_clock::now() + std::chrono::milliseconds(1100);
  CHECK_FALSE(c.recv(std::chrono::duration_cast<std::chrono::milliseconds>(refill - std::chrono::steady_clock::now())));
  c.send(msg::Who{}, 5);
  c.expect<msg::Users>();
  CHECK(c.last_id() == 5);
}
