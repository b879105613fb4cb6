// The codec: every message survives encode then decode, and every kind of
// malformed frame is refused with the error code that names the problem.
#include "support/printing.hpp"
#include "support/raw_msgpack.hpp"
#include "support/sample_messages.hpp"

#include <charla/msg/codec.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace msg = charla::msg;
using charla::test::Raw;
using charla::test::same;
using charla::test::samples;
using msg::ErrorCode;
using namespace std::string_literals;

namespace {

constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();

// Encodes, decodes, and checks that the same message and id came back.
void check_round_trip(const msg::Message& m, std::uint64_t id) {
  INFO("type " << msg::type_name(m) << ", id " << id);
  const auto bytes = msg::encode_to_string(m, id);
  const auto zmsg = msg::encode(m, id);
  CHECK(zmsg.to_string() == bytes);  // both encoders write the same bytes
  const auto r = msg::decode(bytes);
  REQUIRE(r);
  CHECK(same(r.value().msg, m));
  CHECK(r.value().id == id);
}

// {"v": version, "t": type} and `more` further entries, written by `write`.
template <class F>
std::string frame(std::string_view type, std::uint32_t more, F&& write) {
  Raw r;
  r.map(2 + more).str("v").uint(msg::kProtocolVersion).str("t").str(type);
  write(r);
  return r.bytes();
}
std::string frame(std::string_view type) {
  return frame(type, 0, [](Raw&) {});
}

struct Malformed {
  std::string what;
  std::string bytes;
  ErrorCode code;
};

std::vector<Malformed> malformed_frames() {
  const auto say = msg::encode_to_string(msg::Say{"hola"});
  const std::string nested(100, '\x91');  // 100 arrays, each holding the next
  return {
      // Not one msgpack map.
      {"an empty frame", "", ErrorCode::bad_frame},
      {"garbage bytes", "\xc1\xc1\xc1\xc1", ErrorCode::bad_frame},
      {"plain text", "hola, ¿qué tal?", ErrorCode::bad_frame},
      {"truncated msgpack", say.substr(0, say.size() - 3), ErrorCode::bad_frame},
      {"a msgpack array instead of a map", Raw().array(2).uint(1).str("ping").bytes(), ErrorCode::bad_frame},
      {"a msgpack string instead of a map", Raw().str("ping").bytes(), ErrorCode::bad_frame},
      {"msgpack nil instead of a map", Raw().nil().bytes(), ErrorCode::bad_frame},
      {"a trailing byte after the map", say + '\0', ErrorCode::bad_frame},
      {"two maps in one frame", say + say, ErrorCode::bad_frame},
      {"deep nesting inside a field",
       frame("say", 2, [&](Raw& r) { r.str("text").str("hola").str("x").verbatim(nested).uint(1); }),
       ErrorCode::bad_frame},
      {"deep nesting at the top", std::string(100000, '\x91') + '\x01', ErrorCode::bad_frame},
      // Version.
      {"no version", Raw().map(1).str("t").str("ping").bytes(), ErrorCode::bad_version},
      {"version 1 (one-frame PUB came in 2)", Raw().map(2).str("v").uint(1).str("t").str("ping").bytes(),
       ErrorCode::bad_version},
      {"version 2", Raw().map(2).str("v").uint(2).str("t").str("ping").bytes(), ErrorCode::bad_version},
      {"version 4", Raw().map(2).str("v").uint(4).str("t").str("ping").bytes(), ErrorCode::bad_version},
      {"version 0", Raw().map(2).str("v").uint(0).str("t").str("ping").bytes(), ErrorCode::bad_version},
      {"version as a string", Raw().map(2).str("v").str("1").str("t").str("ping").bytes(), ErrorCode::bad_version},
      {"a negative version", Raw().map(2).str("v").sint(-1).str("t").str("ping").bytes(), ErrorCode::bad_version},
      // Type.
      {"no type", Raw().map(1).str("v").uint(msg::kProtocolVersion).bytes(), ErrorCode::bad_field},
      {"type as an integer", Raw().map(2).str("v").uint(msg::kProtocolVersion).str("t").uint(3).bytes(), ErrorCode::bad_field},
      {"an unknown type", frame("shout"), ErrorCode::unknown_type},
      {"an empty type", frame(""), ErrorCode::unknown_type},
      {"a type in capitals", frame("PING"), ErrorCode::unknown_type},
      // Fields.
      {"a missing field", frame("say"), ErrorCode::bad_field},
      {"a missing field among several", frame("whisper", 1, [](Raw& r) { r.str("text").str("hola"); }),
       ErrorCode::bad_field},
      {"an integer for a string", frame("say", 1, [](Raw& r) { r.str("text").uint(5); }), ErrorCode::bad_field},
      {"nil for a string", frame("say", 1, [](Raw& r) { r.str("text").nil(); }), ErrorCode::bad_field},
      {"a boolean for a string", frame("hello", 1, [](Raw& r) { r.str("name").boolean(true); }),
       ErrorCode::bad_field},
      {"an array for a string", frame("say", 1, [](Raw& r) { r.str("text").array(1).str("hola"); }),
       ErrorCode::bad_field},
      {"a string for an integer",
       frame("chat", 4, [](Raw& r) { r.str("seq").str("1").str("from").str("ana").str("text").str("x").str("ts").uint(1); }),
       ErrorCode::bad_field},
      {"a negative integer",
       frame("chat", 4, [](Raw& r) { r.str("seq").sint(-1).str("from").str("ana").str("text").str("x").str("ts").uint(1); }),
       ErrorCode::bad_field},
      {"a negative request id", frame("ping", 1, [](Raw& r) { r.str("id").sint(-7); }), ErrorCode::bad_field},
      {"a request id as a string", frame("ping", 1, [](Raw& r) { r.str("id").str("7"); }), ErrorCode::bad_field},
      {"a float for an integer", frame("ping", 1, [](Raw& r) { r.str("id").verbatim("\xcb\x3f\xf0\0\0\0\0\0\0"s); }),
       ErrorCode::bad_field},
      {"a boolean for an integer", frame("ping", 1, [](Raw& r) { r.str("id").boolean(true); }), ErrorCode::bad_field},
      {"a float version", Raw().map(2).str("v").verbatim("\xca\x3f\x80\0\0"s).str("t").str("ping").bytes(),
       ErrorCode::bad_version},
      {"a boolean version", Raw().map(2).str("v").boolean(true).str("t").str("ping").bytes(), ErrorCode::bad_version},
      {"a welcome without its fields", frame("welcome"), ErrorCode::bad_field},
      {"a port above 65535", frame("welcome", 7, [](Raw& r) {
         r.str("name").str("ana").str("pub_port").uint(70000).str("heartbeat_ms").uint(1).str("expiry_ms").uint(1);
         r.str("idle_timeout_s").uint(1).str("instance").uint(1).str("server").str("x");
       }),
       ErrorCode::bad_field},
      {"an unknown status", frame("set_status", 1, [](Raw& r) { r.str("status").str("FOO"); }), ErrorCode::bad_field},
      {"a status in lower case", frame("set_status", 1, [](Raw& r) { r.str("status").str("activo"); }),
       ErrorCode::bad_field},
      {"an unknown presence event", frame("presence", 6, [](Raw& r) {
         r.str("seq").uint(1).str("event").str("exit").str("user").str("ana").str("status").str("ACTIVO");
         r.str("ip").str("127.0.0.1").str("ts").uint(1);
       }),
       ErrorCode::bad_field},
      {"an unknown cause", frame("presence", 7, [](Raw& r) {
         r.str("seq").uint(1).str("event").str("status").str("user").str("ana").str("status").str("ACTIVO");
         r.str("ip").str("127.0.0.1").str("ts").uint(1).str("cause").str("boredom");
       }),
       ErrorCode::bad_field},
      {"a user list item that is not a map",
       frame("users", 2, [](Raw& r) { r.str("pseq").uint(1).str("users").array(1).str("ana"); }), ErrorCode::bad_field},
      {"a user list entry without its ip", frame("users", 2, [](Raw& r) {
         r.str("pseq").uint(1).str("users").array(1).map(4);
         r.str("name").str("ana").str("status").str("ACTIVO").str("since").uint(1).str("idle_s").uint(0);
       }),
       ErrorCode::bad_field},
      // Text.
      {"an invalid UTF-8 byte", frame("say", 1, [](Raw& r) { r.str("text").str("hola \xff"); }), ErrorCode::bad_utf8},
      {"a cut UTF-8 sequence", frame("say", 1, [](Raw& r) { r.str("text").str("ni\xc3"); }), ErrorCode::bad_utf8},
      {"an overlong UTF-8 encoding", frame("say", 1, [](Raw& r) { r.str("text").str("\xc0\xaf"); }),
       ErrorCode::bad_utf8},
      {"a UTF-8 encoded surrogate", frame("say", 1, [](Raw& r) { r.str("text").str("\xed\xa0\x80"); }),
       ErrorCode::bad_utf8},
      {"invalid UTF-8 in a name", frame("hello", 1, [](Raw& r) { r.str("name").str("jos\xe9"); }),
       ErrorCode::bad_utf8},
      {"a string over 64 KiB", frame("say", 1, [](Raw& r) { r.str("text").str(std::string(65537, 'a')); }),
       ErrorCode::too_long},
      {"a string over the parser's limit", frame("say", 1, [](Raw& r) { r.str("text").str(std::string(200000, 'a')); }),
       ErrorCode::too_long},
      // Sizes claimed by headers.
      {"an array header claiming 4 billion elements",
       frame("users", 2, [](Raw& r) { r.str("pseq").uint(1).str("users").verbatim("\xdd\xff\xff\xff\xff"); }),
       ErrorCode::too_long},
      {"a map header claiming 4 billion entries", "\xdf\xff\xff\xff\xff", ErrorCode::too_long},
      {"bytes (bin) for a string", frame("say", 1, [](Raw& r) { r.str("text").bin("hola"); }), ErrorCode::too_long},
      {"an empty bin for a string", frame("say", 1, [](Raw& r) { r.str("text").bin(""); }), ErrorCode::bad_field},
      {"an ext value", frame("ping", 1, [](Raw& r) { r.str("x").ext(1, "ab"); }), ErrorCode::too_long},
      {"a fixext1 value", frame("ping", 1, [](Raw& r) { r.str("x").verbatim("\xd4\x05\x41"); }), ErrorCode::too_long},
      // The type.
      {"a type that is not UTF-8", Raw().map(2).str("v").uint(msg::kProtocolVersion).str("t").str("\xff\xfe").bytes(),
       ErrorCode::bad_utf8},
      {"a type over 64 KiB", Raw().map(2).str("v").uint(msg::kProtocolVersion).str("t").str(std::string(65537, 'p')).bytes(),
       ErrorCode::too_long},
      {"a type that is a number", Raw().map(2).str("v").uint(msg::kProtocolVersion).str("t").uint(1).bytes(),
       ErrorCode::bad_field},
      {"an unknown type", frame("shout"), ErrorCode::unknown_type},
      // Order: the frame, then v, then t, then id, then the fields.
      {"a bad version with bytes after the map", Raw().map(1).str("v").uint(1).uint(7).bytes(), ErrorCode::bad_frame},
      {"a non-map over the size limit", Raw().array(100001).bytes(), ErrorCode::too_long},
      {"a bad version and an unknown type", Raw().map(2).str("v").uint(1).str("t").str("shout").bytes(),
       ErrorCode::bad_version},
      {"an unknown type and a bad id", frame("shout", 1, [](Raw& r) { r.str("id").sint(-1); }), ErrorCode::unknown_type},
      {"a bad id and a missing field", frame("say", 1, [](Raw& r) { r.str("id").str("1"); }), ErrorCode::bad_field},
      {"a string header claiming 4 GiB", frame("say", 1, [](Raw& r) { r.str("text").verbatim("\xdb\xff\xff\xff\xff"); }),
       ErrorCode::bad_frame},
  };
}

}  // namespace

TEST_CASE("the samples hold one message of every type", "[codec]") {
  const auto all = samples();
  REQUIRE(all.size() == std::variant_size_v<msg::Message>);
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].index() == i);
    CHECK(msg::type_name(all[i]) == msg::type_name_at(i));
  }
}

TEST_CASE("every message type survives encode then decode", "[codec]") {
  const auto id = GENERATE(std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{4242}, kMax64);
  for (const auto& m : samples()) check_round_trip(m, id);
}

TEST_CASE("a published message is one frame holding its topic and then the body", "[codec][pub]") {
  const std::vector<std::pair<msg::Message, std::string>> published{
      {msg::Chat{7, "ana", "hola a todos", 1764000000456ull}, "chat"},
      {msg::Presence{3, msg::PresenceEvent::status, "José", msg::Status::inactivo, "::1", 9, msg::Cause::idle},
       "presence"},
      {msg::Beat{3, 7, 0xDEADBEEFCAFEF00Dull}, "sys"},
      {msg::Shutdown{"el servidor se está cerrando"}, "sys"},
  };
  for (const auto& [m, topic] : published) {
    INFO("type " << msg::type_name(m));
    CHECK(msg::topic_of(m) == topic);
    const auto frame = msg::encode_published(m).to_string();
    CHECK(frame == topic + msg::encode_to_string(m));  // the same body as on the ROUTER, after the topic
    auto r = msg::decode_published(frame.data(), frame.size());
    REQUIRE(r);
    REQUIRE(r.value().size() == 1);
    CHECK(same(r.value()[0], m));
  }
  // The specification's example (docs/protocol.md 2.2): topic bytes, then a fixmap.
  const auto beat = msg::encode_published(msg::Beat{1, 2, 3}).to_string();
  CHECK(beat.substr(0, 4) == "sys\x85"s);
  for (const auto& m : samples()) {
    const bool is_published = std::holds_alternative<msg::Chat>(m) || std::holds_alternative<msg::Presence>(m) ||
                              std::holds_alternative<msg::Beat>(m) || std::holds_alternative<msg::Shutdown>(m);
    CHECK(msg::topic_of(m).empty() == !is_published);
  }
}

TEST_CASE("a published frame may carry several messages of its topic, in order", "[codec][pub]") {
  std::vector<msg::Message> chats;
  std::string frame(msg::kTopicChat);
  for (std::uint64_t seq = 1; seq <= 40; ++seq) {
    chats.push_back(msg::Chat{seq, "ana", std::string(seq, 'x'), 1764000000000ull + seq});
    frame += msg::encode_to_string(chats.back());
  }
  auto r = msg::decode_published(frame.data(), frame.size());
  REQUIRE(r);
  REQUIRE(r.value().size() == chats.size());
  for (std::size_t i = 0; i < chats.size(); ++i) CHECK(same(r.value()[i], chats[i]));

  const auto beat = msg::encode_to_string(msg::Beat{1, 2, 3});
  const auto bye = msg::encode_to_string(msg::Shutdown{"adiós"});
  auto sys = msg::decode_published(("sys" + beat + bye).data(), 3 + beat.size() + bye.size());
  REQUIRE(sys);
  REQUIRE(sys.value().size() == 2);
  CHECK(std::holds_alternative<msg::Shutdown>(sys.value()[1]));
}

TEST_CASE("a published frame without its topic or under the wrong one is refused", "[codec][pub]") {
  const auto chat = msg::encode_to_string(msg::Chat{1, "ana", "x", 2});
  const auto beat = msg::encode_to_string(msg::Beat{1, 2, 3});
  const std::vector<std::pair<std::string, std::string>> bad{
      {"an empty frame", ""},
      {"a body without a topic", chat},
      {"a topic without a body", "chat"},
      {"an unknown topic", "news" + chat},
      {"a topic in capitals", "CHAT" + chat},
      {"a chat under presence", "presence" + chat},
      {"a beat under chat", "chat" + beat},
      {"a reply type under sys", "sys" + msg::encode_to_string(msg::Pong{})},
      {"a truncated body", "chat" + chat.substr(0, chat.size() - 1)},
      {"a good body, then a truncated one", "chat" + chat + chat.substr(0, chat.size() - 1)},
      {"a good body, then one of another topic", "chat" + chat + beat},
      {"a good body, then a trailing byte", "chat" + chat + '\0'},
      {"a good body, then one that is not a map", "chat" + chat + Raw().str("chat").bytes()},
      {"a body of version 1", "sys" + frame("beat", 3, [](Raw& r) {
                                r.str("pseq").uint(1).str("cseq").uint(1).str("instance").uint(1);
                              }).replace(3, 1, "\x01")},
  };
  for (const auto& [what, bytes] : bad) {
    INFO(what);
    const auto r = msg::decode_published(bytes.data(), bytes.size());
    REQUIRE_FALSE(r);
    CHECK_FALSE(r.error().detail.empty());
  }
}

TEST_CASE("every enum value survives encode then decode", "[codec]") {
  for (auto s : {msg::Status::activo, msg::Status::ocupado, msg::Status::inactivo}) {
    check_round_trip(msg::SetStatus{s}, 0);
    check_round_trip(msg::UserInfo{"ana", "127.0.0.1", s, 1, 2}, 0);
  }
  for (int c = 0; c <= static_cast<int>(ErrorCode::internal); ++c) {
    check_round_trip(msg::Error{static_cast<ErrorCode>(c), "texto", "say"}, 3);
  }
  for (auto e : {msg::PresenceEvent::join, msg::PresenceEvent::leave, msg::PresenceEvent::lost,
                 msg::PresenceEvent::status}) {
    for (auto c : {msg::Cause::none, msg::Cause::user, msg::Cause::idle, msg::Cause::activity}) {
      check_round_trip(msg::Presence{1, e, "ana", msg::Status::ocupado, "127.0.0.1", 2, c}, 0);
    }
  }
}

TEST_CASE("the extreme values of every field survive encode then decode", "[codec]") {
  check_round_trip(msg::Welcome{"", 0, 0, 0, 0, 0, "", 0, "", false}, 0);
  check_round_trip(msg::Welcome{"ana", 65535, 0xffffffffu, 0xffffffffu, 0xffffffffu, kMax64, "x", 0xffffffffu, "t", true},
                   kMax64);
  check_round_trip(msg::Welcome{"ana", 1, 1, 1, 1, 1, "x", 1, "t", false, true}, 0);   // owned:1 (2.7)
  check_round_trip(msg::Welcome{"ana", 1, 1, 1, 1, 1, "x", 1, "t", false, false}, 0);  // owned:0
  check_round_trip(msg::Users{0, {}}, 0);
  check_round_trip(msg::Chat{kMax64, "ana", "", kMax64, kMax64, kMax64}, 0);
  check_round_trip(msg::Private{"ana", "x", kMax64, kMax64, kMax64, kMax64}, 0);
  check_round_trip(msg::Ack{kMax64}, 0);
  check_round_trip(msg::Got{kMax64}, 0);
  check_round_trip(msg::Say{std::string(msg::kMaxStringBytes, 'a')}, 0);
  check_round_trip(msg::Say{"\xc2\x80 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xe2\x80\xae"}, 0);  // U+0080, 😀, U+10FFFF, RLO
}

TEST_CASE("malformed frames are refused with the error code that names the problem", "[codec]") {
  for (const auto& c : malformed_frames()) {
    INFO(c.what);
    const auto r = msg::decode(c.bytes);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == c.code);
    CHECK_FALSE(r.error().detail.empty());
  }
}

TEST_CASE("every proper prefix of a valid frame is refused as incomplete", "[codec]") {
  for (const auto& m : samples()) {
    const auto bytes = msg::encode_to_string(m, 77);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      const auto r = msg::decode(bytes.substr(0, n));
      if (r || r.error().code != ErrorCode::bad_frame) {
        FAIL_CHECK(msg::type_name(m) << " cut to " << n << " bytes was not refused as bad_frame");
      }
    }
  }
}

TEST_CASE("a header claiming four billion elements is refused at once", "[codec]") {
  const auto huge_array =
      frame("users", 2, [](Raw& r) { r.str("pseq").uint(1).str("users").verbatim("\xdd\xff\xff\xff\xff"); });
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) {
    const auto r = msg::decode(huge_array);
    REQUIRE_FALSE(r);
    // too_long is the limit check, which runs before the parser allocates; an
    // attempted 96 GB allocation would fail as bad_frame (or abort under ASan).
    REQUIRE(r.error().code == ErrorCode::too_long);
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
}

TEST_CASE("a key that is not a string is ignored like an unknown key", "[codec]") {
  // docs/protocol.md 3.1: "with string keys (keys of other types are ignored)".
  const auto bytes = Raw().map(3).uint(1).uint(1).str("v").uint(msg::kProtocolVersion).str("t").str("ping").bytes();
  const auto r = msg::decode(bytes);
  REQUIRE(r);
  CHECK(std::holds_alternative<msg::Ping>(r.value().msg));
}

TEST_CASE("unknown keys are ignored and a repeated key counts once", "[codec]") {
  const auto extra = frame("say", 2, [](Raw& r) { r.str("text").str("hola").str("color").array(1).str("rojo"); });
  const auto r = msg::decode(extra);
  REQUIRE(r);
  CHECK(std::get<msg::Say>(r.value().msg).text == "hola");
  const auto twice = frame("say", 2, [](Raw& r) { r.str("text").str("primero").str("text").str("segundo"); });
  const auto r2 = msg::decode(twice);
  REQUIRE(r2);
  CHECK(std::get<msg::Say>(r2.value().msg).text == "primero");  // 3.1: the first occurrence is used
}

TEST_CASE("non-negative integers are accepted in any encoding", "[codec]") {
  // v as int8 3, id as int64 5: signed encodings of non-negative values (3.1).
  const auto bytes = "\x83\xa1v\xd0\x03\xa1t\xa4ping\xa2id\xd3\0\0\0\0\0\0\0\x05"s;
  const auto r = msg::decode(bytes);
  REQUIRE(r);
  CHECK(std::holds_alternative<msg::Ping>(r.value().msg));
  CHECK(r.value().id == 5);
  CHECK(msg::decode(Raw().map(2).str("v").verbatim("\xcf\0\0\0\0\0\0\0\x03"s).str("t").str("who").bytes()));
}

// True when decode refuses the frame with that code.
bool refused(const std::string& bytes, ErrorCode code) {
  const auto r = msg::decode(bytes);
  return !r && r.error().code == code;
}

TEST_CASE("the decoder's limits are those of the specification", "[codec]") {
  // docs/protocol.md 3.1: depth 4 (counting the outer map), 32 entries per map,
  // 100000 elements per array, 131072 bytes per str (65536 in a known field).
  auto nested = [](int depth) {  // an unknown key holding depth-1 nested arrays
    return frame("ping", 1, [&](Raw& r) {
      r.str("x");
      for (int i = 1; i < depth; ++i) r.array(1);
      r.uint(1);
    });
  };
  CHECK(msg::decode(nested(4)));
  CHECK(refused(nested(5), ErrorCode::bad_frame));

  auto entries = [](std::uint32_t n) {
    return frame("ping", n - 2, [&](Raw& r) {
      for (std::uint32_t i = 2; i < n; ++i) r.str("k" + std::to_string(i)).uint(i);
    });
  };
  CHECK(msg::decode(entries(32)));
  CHECK(refused(entries(33), ErrorCode::too_long));

  auto elements = [](std::uint32_t n) {
    return frame("ping", 1, [&](Raw& r) {
      r.str("x").array(n);
      for (std::uint32_t i = 0; i < n; ++i) r.uint(0);
    });
  };
  CHECK(msg::decode(elements(100000)));
  CHECK(refused(elements(100001), ErrorCode::too_long));

  auto unknown_str = [](std::size_t n) { return frame("ping", 1, [&](Raw& r) { r.str("x").str(std::string(n, 'a')); }); };
  CHECK(msg::decode(unknown_str(131072)));
  CHECK(refused(unknown_str(131073), ErrorCode::too_long));

  auto known_str = [](std::size_t n) { return frame("say", 1, [&](Raw& r) { r.str("text").str(std::string(n, 'a')); }); };
  CHECK(msg::decode(known_str(65536)));
  CHECK(refused(known_str(65537), ErrorCode::too_long));

  // bin and ext values must be empty, so empty ones pass under an unknown key.
  CHECK(msg::decode(frame("ping", 1, [](Raw& r) { r.str("x").bin(""); })));
  CHECK(msg::decode(frame("ping", 1, [](Raw& r) { r.str("x").verbatim("\xc7\x00\x05"s); })));      // ext8, empty
  CHECK(msg::decode(frame("ping", 1, [](Raw& r) { r.str("x").verbatim("\xc8\x00\x00\x05"s); })));  // ext16, empty
  CHECK(refused(frame("ping", 1, [](Raw& r) { r.str("x").verbatim("\xc7\x01\x05\x41"); }), ErrorCode::too_long));
}

TEST_CASE("the encoder writes the bytes of the specification's example", "[codec]") {
  // docs/protocol.md 3.3.
  CHECK(msg::encode_to_string(msg::Say{"hola"}) ==
        "\x83\xa1\x76\x03\xa1\x74\xa3\x73\x61\x79\xa4\x74\x65\x78\x74\xa4\x68\x6f\x6c\x61"s);
  CHECK(msg::encode_to_string(msg::Say{"hola"}, 7) ==
        "\x84\xa1\x76\x03\xa1\x74\xa3\x73\x61\x79\xa2\x69\x64\x07\xa4\x74\x65\x78\x74\xa4\x68\x6f\x6c\x61"s);
  const auto chat = msg::encode_to_string(msg::Chat{1, "ana", "x", 1700000000000ull});
  CHECK(chat.find("\xa2ts\xcf\x00\x00\x01\x8b\xcf\xe5\x68\x00"s) != std::string::npos);
}

TEST_CASE("a welcome from a broker that does not announce max_text decodes with 0", "[codec]") {
  const auto bytes = frame("welcome", 9, [](Raw& r) {
    r.str("name").str("ana").str("pub_port").uint(8083).str("heartbeat_ms").uint(1000).str("expiry_ms").uint(5000);
    r.str("idle_timeout_s").uint(60).str("instance").uint(9).str("server").str("charla-broker 0.0.9");
    r.str("resume").str("").str("resumed").uint(0);
  });
  const auto r = msg::decode(bytes);
  REQUIRE(r);
  CHECK(std::get<msg::Welcome>(r.value().msg).max_text == 0);
}

TEST_CASE("an error with a code this version does not know is still accepted", "[codec]") {
  // docs/protocol.md 5.1 and 15: new error codes do not change v, and a client
  // "MUST accept unknown error codes" and treat them as a failure of the request in re.
  const auto bytes = frame("error", 3, [](Raw& r) {
    r.str("code").str("quota_exceeded").str("text").str("demasiados mensajes hoy").str("re").str("say");
  });
  const auto r = msg::decode(bytes);
  REQUIRE(r);
  const auto& e = std::get<msg::Error>(r.value().msg);
  CHECK(e.code == ErrorCode::unknown);
  CHECK(e.re == "say");
  CHECK(e.text == "demasiados mensajes hoy");
}

TEST_CASE("a map with only keys that are not strings is refused", "[codec]") {
  const auto bytes = Raw().map(2).uint(0).uint(1).uint(1).str("ping").bytes();
  const auto r = msg::decode(bytes);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::bad_version);
}

TEST_CASE("decoding mutated frames never throws and whatever it accepts encodes again", "[codec][fuzz]") {
  std::vector<std::string> seeds;
  for (const auto& m : samples()) seeds.push_back(msg::encode_to_string(m, 99));
  const std::string interesting("\x00\x7f\x80\x8f\x90\x9f\xa0\xbf\xc0\xc1\xc2\xc3\xcc\xcf\xd0\xd3\xd9\xdb\xdc\xdd\xde\xdf\xff",
                                23);
  std::mt19937_64 rng(20261125);  // fixed: the same 20000 mutations every run
  auto below = [&](std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); };
  int accepted = 0, refused = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string f = seeds[below(seeds.size())];
    const int edits = 1 + static_cast<int>(below(3));
    for (int e = 0; e < edits && !f.empty(); ++e) {
      switch (below(6)) {
        case 0: f[below(f.size())] ^= static_cast<char>(1u << below(8)); break;
        case 1: f[below(f.size())] = static_cast<char>(rng()); break;
        case 2: f[below(f.size())] = interesting[below(interesting.size())]; break;
        case 3: f.resize(below(f.size())); break;
        case 4: f.insert(below(f.size() + 1), 1, interesting[below(interesting.size())]); break;
        default: f.erase(below(f.size()), 1); break;
      }
    }
    // An exact-size copy, so that a read past the end shows under AddressSanitizer.
    const auto buf = std::make_unique<char[]>(f.size() + 1);
    std::copy(f.begin(), f.end(), buf.get());
    const auto r = msg::decode(buf.get(), f.size());
    if (!r) {
      ++refused;
      if (r.error().detail.empty()) FAIL_CHECK("mutation " << i << " was refused without a detail");
      continue;
    }
    ++accepted;
    const auto again = msg::decode(msg::encode_to_string(r.value().msg, r.value().id));
    if (!again || !same(again.value().msg, r.value().msg) || again.value().id != r.value().id) {
      FAIL_CHECK("mutation " << i << " was accepted as " << msg::type_name(r.value().msg)
                             << " but does not survive encode then decode");
    }
  }
  CHECK(accepted > 100);  // the loop exercised both paths
  CHECK(refused > 10000);
}
