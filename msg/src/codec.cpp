#include <charla/msg/codec.hpp>
#include <charla/msg/overloaded.hpp>
#include <charla/msg/text.hpp>

#include <msgpack.hpp>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace charla::msg {
namespace {

// ---------------------------------------------------------------- encoding

// Writes one msgpack map. Every message has at most 15 entries, so the map
// header is a single fixmap byte, patched once the entries are counted.
class Writer {
 public:
  Writer(msgpack::sbuffer& buf, std::string_view type, std::uint64_t id) : buf_(buf), pk_(buf) {
    start_ = buf_.size();
    buf_.write("\x80", 1);
    put("v", std::uint64_t{kProtocolVersion});
    put("t", type);
    if (id != 0) put("id", id);
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer() {
    assert(count_ <= 15 && "a fixmap holds at most 15 entries");
    buf_.data()[start_] = static_cast<char>(0x80 | count_);
  }

  void put(std::string_view key, std::string_view value) {
    this->key(key);
    pk_.pack_str(static_cast<std::uint32_t>(value.size()));
    pk_.pack_str_body(value.data(), static_cast<std::uint32_t>(value.size()));
  }
  void put(std::string_view key, std::uint64_t value) {
    this->key(key);
    pk_.pack_uint64(value);
  }
  void put(std::string_view key, Status s) { put(key, to_string(s)); }
  // OPTIONAL fields: written only when set.
  void put_if(std::string_view key, std::uint64_t value) {
    if (value != 0) put(key, value);
  }
  void put_if(std::string_view key, std::string_view value) {
    if (!value.empty()) put(key, value);
  }
  void put_kept_list(std::string_view key, const std::vector<Kept>& kept) {
    this->key(key);
    pk_.pack_array(static_cast<std::uint32_t>(kept.size()));
    for (const auto& k : kept) {
      const bool numbered = k.n != 0;
      pk_.pack_map(numbered ? 6 : 4);
      pk_.pack("hid"), pk_.pack_uint64(k.hid);
      pk_.pack("from"), pk_.pack(k.from);
      pk_.pack("text"), pk_.pack(k.text);
      pk_.pack("ts"), pk_.pack_uint64(k.ts);
      if (numbered) pk_.pack("origin"), pk_.pack_uint64(k.origin), pk_.pack("n"), pk_.pack_uint64(k.n);
    }
  }
  void put_user_list(std::string_view key, const std::vector<UserEntry>& users) {
    this->key(key);
    pk_.pack_array(static_cast<std::uint32_t>(users.size()));
    for (const auto& u : users) {
      pk_.pack_map(5);
      pk_.pack("name"), pk_.pack(u.name);
      pk_.pack("status"), pk_.pack(std::string(to_string(u.status)));
      pk_.pack("ip"), pk_.pack(u.ip);
      pk_.pack("since"), pk_.pack_uint64(u.since);
      pk_.pack("idle_s"), pk_.pack_uint64(u.idle_s);
    }
  }

 private:
  void key(std::string_view k) {
    ++count_;
    pk_.pack_str(static_cast<std::uint32_t>(k.size()));
    pk_.pack_str_body(k.data(), static_cast<std::uint32_t>(k.size()));
  }

  msgpack::sbuffer& buf_;
  msgpack::packer<msgpack::sbuffer> pk_;
  std::size_t start_ = 0;
  unsigned count_ = 0;
};

void write_fields(msgpack::sbuffer& buf, const Message& m, std::uint64_t id) {
  Writer w(buf, type_name(m), id);
  std::visit(overloaded{
                 [&](const Hello& x) {
                   w.put("name", x.name), w.put_if("resume", x.resume), w.put_if("origin", x.origin);
                   w.put_if("ip", x.ip);
                 },
                 [&](const Say& x) { w.put("text", x.text), w.put_if("n", x.n); },
                 [&](const Whisper& x) { w.put("to", x.to), w.put("text", x.text), w.put_if("n", x.n); },
                 [&](const Got& x) { w.put("dseq", x.dseq); },
                 [&](const History& x) { w.put_if("before", x.before), w.put_if("limit", x.limit); },
                 [&](const Search& x) { w.put("text", x.text), w.put_if("limit", x.limit); },
                 [&](const Chats& x) {
                   w.put_kept_list("messages", x.messages), w.put("more", std::uint64_t{x.more ? 1u : 0u});
                 },
                 [&](const Held& x) { w.put("to", x.to), w.put("n", x.n); },
                 [&](const Delivered& x) { w.put("to", x.to), w.put("n", x.n); },
                 [&](const Info& x) { w.put("name", x.name); },
                 [&](const SetStatus& x) { w.put("status", x.status); },
                 [&](const Welcome& x) {
                   w.put("name", x.name);
                   w.put("pub_port", std::uint64_t{x.pub_port});
                   w.put("heartbeat_ms", std::uint64_t{x.heartbeat_ms});
                   w.put("expiry_ms", std::uint64_t{x.expiry_ms});
                   w.put("idle_timeout_s", std::uint64_t{x.idle_timeout_s});
                   w.put("instance", x.instance);
                   w.put("server", x.server);
                   w.put("max_text", std::uint64_t{x.max_text});
                   w.put("resume", x.resume);
                   w.put("resumed", std::uint64_t{x.resumed ? 1u : 0u});
                   w.put_if("origin", x.origin);
                   if (x.owned) w.put("owned", std::uint64_t{*x.owned ? 1u : 0u});
                 },
                 [&](const Users& x) { w.put("pseq", x.pseq), w.put_user_list("users", x.users); },
                 [&](const UserInfo& x) {
                   w.put("name", x.name), w.put("ip", x.ip), w.put("status", x.status);
                   w.put("connected_s", x.connected_s), w.put("idle_s", x.idle_s);
                 },
                 [&](const Private& x) {
                   w.put("from", x.from), w.put("text", x.text), w.put("ts", x.ts), w.put("dseq", x.dseq);
                   w.put_if("origin", x.origin), w.put_if("n", x.n), w.put_if("stored", std::uint64_t{x.stored ? 1u : 0u});
                 },
                 [&](const Ok& x) { w.put("re", x.re); },
                 [&](const Error& x) {
                   w.put("code", to_string(x.code)), w.put("text", x.text), w.put("re", x.re), w.put_if("n", x.n);
                 },
                 [&](const Ack& x) { w.put("n", x.n); },
                 [&](const Chat& x) {
                   w.put("seq", x.seq), w.put("from", x.from), w.put("text", x.text), w.put("ts", x.ts);
                   w.put_if("origin", x.origin), w.put_if("n", x.n);
                 },
                 [&](const Presence& x) {
                   w.put("seq", x.seq), w.put("event", to_string(x.event)), w.put("user", x.user);
                   w.put("status", x.status), w.put("ip", x.ip), w.put("ts", x.ts);
                   if (x.cause != Cause::none) w.put("cause", to_string(x.cause));
                 },
                 [&](const Beat& x) { w.put("pseq", x.pseq), w.put("cseq", x.cseq), w.put("instance", x.instance); },
                 [&](const Shutdown& x) { w.put("text", x.text); },
                 [&](const auto&) {},  // Who, Ping, Sync, Bye, Watch, Pong: no fields
             },
             m);
}

// ---------------------------------------------------------------- decoding

std::string_view as_view(const msgpack::object& o) noexcept { return {o.via.str.ptr, o.via.str.size}; }

// Reads the fields of one msgpack map; remembers the first problem.
class Reader {
 public:
  explicit Reader(const msgpack::object& map) : map_(map.via.map) {}

  const msgpack::object* find(std::string_view key) const noexcept {
    for (std::uint32_t i = 0; i < map_.size; ++i) {
      const auto& k = map_.ptr[i].key;
      if (k.type == msgpack::type::STR && as_view(k) == key) return &map_.ptr[i].val;
    }
    return nullptr;
  }

  std::string str(std::string_view key) { return std::string(str_view(key)); }

  // A known string field: a str (bad_field), at most kMaxStringBytes (too_long), UTF-8 (bad_utf8).
  std::string_view str_view(std::string_view key) {
    const auto* o = require(key, msgpack::type::STR, "una cadena");
    if (o == nullptr) return {};
    const auto v = as_view(*o);
    if (v.size() > kMaxStringBytes) {
      fail(ErrorCode::too_long, "el campo '" + std::string(key) + "' es demasiado largo");
    } else if (!valid_utf8(v)) {
      fail(ErrorCode::bad_utf8, "el campo '" + std::string(key) + "' no es UTF-8 válido");
    }
    return v;
  }

  std::uint64_t u64(std::string_view key) {
    const auto* o = require(key, msgpack::type::POSITIVE_INTEGER, "un entero no negativo");
    return o == nullptr ? 0 : o->via.u64;
  }
  // OPTIONAL fields: absent reads as 0 or "", present must be valid.
  std::uint64_t opt_u64(std::string_view key) { return find(key) == nullptr ? 0 : u64(key); }
  std::string opt_str(std::string_view key) { return find(key) == nullptr ? std::string() : str(key); }

  template <class T>
  T bounded(std::string_view key, std::uint64_t max) {
    const auto v = u64(key);
    if (v > max) bad(key, "fuera de rango");
    return static_cast<T>(v);
  }

  template <class E>
  E enumerated(std::string_view key, std::optional<E> (*parse)(std::string_view) noexcept, bool required = true) {
    if (!required && find(key) == nullptr) return E{};
    const auto s = str(key);
    if (error_) return E{};
    const auto e = parse(s);
    if (!e) bad(key, "con un valor desconocido: '" + s + "'");
    return e.value_or(E{});
  }

  std::vector<Kept> kept_list(std::string_view key) {
    return map_list<Kept>(key, [](Reader& r) {
      return Kept{r.u64("hid"), r.str("from"), r.str("text"), r.u64("ts"), r.opt_u64("origin"), r.opt_u64("n")};
    });
  }

  std::vector<UserEntry> user_list(std::string_view key) {
    return map_list<UserEntry>(key, [](Reader& r) {
      UserEntry u;
      u.name = r.str("name");
      u.status = r.enumerated<Status>("status", status_from_wire);
      u.ip = r.str("ip");
      u.since = r.u64("since");
      u.idle_s = r.u64("idle_s");
      return u;
    });
  }

  std::optional<DecodeError>& error() noexcept { return error_; }
  void fail(ErrorCode code, std::string detail) {
    if (!error_) error_ = DecodeError{code, std::move(detail)};
  }

 private:
  // A list of maps, each read by `read` with a Reader of its own; the first error stops it.
  template <class T, class Read>
  std::vector<T> map_list(std::string_view key, Read&& read) {
    const auto* o = require(key, msgpack::type::ARRAY, "una lista");
    std::vector<T> out;
    if (o == nullptr) return out;
    out.reserve(o->via.array.size);
    for (std::uint32_t i = 0; i < o->via.array.size && !error_; ++i) {
      const auto& item = o->via.array.ptr[i];
      if (item.type != msgpack::type::MAP) {
        bad(key, "con un elemento que no es un mapa");
        break;
      }
      Reader r(item);
      T t = read(r);
      if (r.error_) error_ = std::move(r.error_);
      out.push_back(std::move(t));
    }
    return out;
  }

  const msgpack::object* require(std::string_view key, msgpack::type::object_type type, const char* what) {
    const auto* o = find(key);
    if (o == nullptr) {
      bad(key, "ausente");
      return nullptr;
    }
    if (o->type != type) {
      bad(key, std::string("no es ") + what);
      return nullptr;
    }
    return o;
  }
  void bad(std::string_view key, const std::string& why) {
    fail(ErrorCode::bad_field, "campo '" + std::string(key) + "' " + why);
  }

  const msgpack::object_map& map_;
  std::optional<DecodeError> error_;
};

using DecodeFn = Message (*)(Reader&);

struct TypeEntry {
  std::string_view name;
  DecodeFn fn;
};

// One row per message type: its wire name and how to read its fields.
const std::array<TypeEntry, std::variant_size_v<Message>> kDecoders{{
    {"hello",
     [](Reader& r) -> Message {
       return Hello{r.str("name"), r.opt_str("resume"), r.opt_u64("origin"), r.opt_str("ip")};
     }},
    {"say", [](Reader& r) -> Message { return Say{r.str("text"), r.opt_u64("n")}; }},
    {"whisper", [](Reader& r) -> Message { return Whisper{r.str("to"), r.str("text"), r.opt_u64("n")}; }},
    {"who", [](Reader&) -> Message { return Who{}; }},
    {"info", [](Reader& r) -> Message { return Info{r.str("name")}; }},
    {"set_status", [](Reader& r) -> Message { return SetStatus{r.enumerated<Status>("status", status_from_wire)}; }},
    {"ping", [](Reader&) -> Message { return Ping{}; }},
    {"sync", [](Reader&) -> Message { return Sync{}; }},
    {"bye", [](Reader&) -> Message { return Bye{}; }},
    {"watch", [](Reader&) -> Message { return Watch{}; }},
    {"got", [](Reader& r) -> Message { return Got{r.u64("dseq")}; }},
    {"history", [](Reader& r) -> Message { return History{r.opt_u64("before"), r.opt_u64("limit")}; }},
    {"search", [](Reader& r) -> Message { return Search{r.str("text"), r.opt_u64("limit")}; }},
    {"welcome",
     [](Reader& r) -> Message {
       Welcome w;
       w.name = r.str("name");
       w.pub_port = r.bounded<std::uint16_t>("pub_port", 65535);
       w.heartbeat_ms = r.bounded<std::uint32_t>("heartbeat_ms", 0xffffffffu);
       w.expiry_ms = r.bounded<std::uint32_t>("expiry_ms", 0xffffffffu);
       w.idle_timeout_s = r.bounded<std::uint32_t>("idle_timeout_s", 0xffffffffu);
       w.instance = r.u64("instance");
       w.server = r.str("server");
       if (r.find("max_text") != nullptr) w.max_text = r.bounded<std::uint32_t>("max_text", 0xffffffffu);
       w.resume = r.str("resume");
       w.resumed = r.bounded<std::uint32_t>("resumed", 1) == 1;
       w.origin = r.opt_u64("origin");
       if (r.find("owned") != nullptr) w.owned = r.bounded<std::uint32_t>("owned", 1) == 1;
       return w;
     }},
    {"users",
     [](Reader& r) -> Message {
       Users u;
       u.pseq = r.u64("pseq");
       u.users = r.user_list("users");
       return u;
     }},
    {"user",
     [](Reader& r) -> Message {
       UserInfo u;
       u.name = r.str("name");
       u.ip = r.str("ip");
       u.status = r.enumerated<Status>("status", status_from_wire);
       u.connected_s = r.u64("connected_s");
       u.idle_s = r.u64("idle_s");
       return u;
     }},
    {"private",
     [](Reader& r) -> Message {
       return Private{r.str("from"), r.str("text"),      r.u64("ts"),
                      r.u64("dseq"), r.opt_u64("origin"), r.opt_u64("n"),
                      r.find("stored") != nullptr && r.bounded<std::uint32_t>("stored", 1) == 1};
     }},
    {"ok", [](Reader& r) -> Message { return Ok{r.str("re")}; }},
    {"pong", [](Reader&) -> Message { return Pong{}; }},
    {"error",
     [](Reader& r) -> Message {
       Error e;
       // New codes do not change the version (docs/protocol.md 15): an unknown one is kept as "unknown".
       const auto code = r.str("code");
       e.code = error_code_from_wire(code).value_or(ErrorCode::unknown);
       e.text = r.str("text");
       e.re = r.str("re");
       e.n = r.opt_u64("n");
       return e;
     }},
    {"ack", [](Reader& r) -> Message { return Ack{r.u64("n")}; }},
    {"chats",
     [](Reader& r) -> Message {
       Chats c;
       c.messages = r.kept_list("messages");
       c.more = r.bounded<std::uint32_t>("more", 1) == 1;
       return c;
     }},
    {"held", [](Reader& r) -> Message { return Held{r.str("to"), r.u64("n")}; }},
    {"delivered", [](Reader& r) -> Message { return Delivered{r.str("to"), r.u64("n")}; }},
    {"chat",
     [](Reader& r) -> Message {
       return Chat{r.u64("seq"), r.str("from"), r.str("text"), r.u64("ts"), r.opt_u64("origin"), r.opt_u64("n")};
     }},
    {"presence",
     [](Reader& r) -> Message {
       Presence p;
       p.seq = r.u64("seq");
       p.event = r.enumerated<PresenceEvent>("event", presence_event_from_wire);
       p.user = r.str("user");
       p.status = r.enumerated<Status>("status", status_from_wire);
       p.ip = r.str("ip");
       p.ts = r.u64("ts");
       p.cause = r.enumerated<Cause>("cause", cause_from_wire, false);
       return p;
     }},
    {"beat", [](Reader& r) -> Message { return Beat{r.u64("pseq"), r.u64("cseq"), r.u64("instance")}; }},
    {"shutdown", [](Reader& r) -> Message { return Shutdown{r.str("text")}; }},
}};

// Bounds on what the msgpack parser may allocate for one frame. msgpack-c counts
// an ext value's type byte: a limit of 1 admits only empty ext values.
const msgpack::unpack_limit kLimits(/*array*/ kMaxUsers, /*map*/ 32, /*str*/ kMaxStringBytes * 2,
                                    /*bin*/ 0, /*ext*/ 1, /*depth*/ 4);

bool no_copy(msgpack::type::object_type, std::size_t, void*) { return true; }

// Step 1: parses the msgpack value that starts at `offset` within the limits and
// moves `offset` past it. The first problem in byte order decides the error.
Result<msgpack::object_handle> parse_at(const char* data, std::size_t size, std::size_t& offset) noexcept {
  try {
    return msgpack::unpack(data, size, offset, no_copy, nullptr, kLimits);
  } catch (const msgpack::insufficient_bytes&) {
    return DecodeError{ErrorCode::bad_frame, "mensaje msgpack incompleto"};
  } catch (const msgpack::depth_size_overflow&) {
    return DecodeError{ErrorCode::bad_frame, "el mensaje msgpack está anidado demasiado"};
  } catch (const msgpack::size_overflow&) {
    return DecodeError{ErrorCode::too_long, "el mensaje msgpack excede los límites de tamaño"};
  } catch (const std::exception&) {
    return DecodeError{ErrorCode::bad_frame, "el mensaje no es msgpack válido"};
  }
}

// Steps 3 on: a map with "v", "t", "id" and the fields of its type.
DecodeResult interpret(const msgpack::object& root) {
  if (root.type != msgpack::type::MAP) return DecodeError{ErrorCode::bad_frame, "el mensaje no es un mapa msgpack"};
  Reader r(root);
  const auto* v = r.find("v");
  if (v == nullptr || v->type != msgpack::type::POSITIVE_INTEGER) {
    return DecodeError{ErrorCode::bad_version, "falta la versión del protocolo (campo 'v')"};
  }
  if (v->via.u64 != kProtocolVersion) {
    return DecodeError{ErrorCode::bad_version, "versión de protocolo " + std::to_string(v->via.u64) +
                                                   " no soportada; esta es la " + std::to_string(kProtocolVersion)};
  }
  const auto type = r.str_view("t");
  if (r.error()) return std::move(*r.error());
  const auto entry = std::find_if(kDecoders.begin(), kDecoders.end(), [&](const TypeEntry& e) { return e.name == type; });
  if (entry == kDecoders.end()) {
    return DecodeError{ErrorCode::unknown_type, "tipo de mensaje desconocido: '" + printable(type.substr(0, 32)) + "'"};
  }
  std::uint64_t id = 0;
  if (const auto* o = r.find("id")) {
    if (o->type != msgpack::type::POSITIVE_INTEGER) return DecodeError{ErrorCode::bad_field, "campo 'id' no es un entero"};
    id = o->via.u64;
  }
  Message m = entry->fn(r);
  if (r.error()) return std::move(*r.error());
  return Decoded{std::move(m), id};
}

// Hands the buffer to ZeroMQ: no copy; ZeroMQ frees it with std::free.
zmq::message_t to_message(msgpack::sbuffer& buf) {
  const auto size = buf.size();
  return zmq::message_t(buf.release(), size, [](void* p, void*) { std::free(p); }, nullptr);
}

}  // namespace

DecodeResult decode(const void* data, std::size_t size) noexcept {
  std::size_t offset = 0;
  auto parsed = parse_at(static_cast<const char*>(data), size, offset);
  if (!parsed) return parsed.error();
  if (offset != size) return DecodeError{ErrorCode::bad_frame, "bytes sobrantes tras el mensaje msgpack"};
  try {
    return interpret(parsed.value().get());
  } catch (const std::exception&) {  // bad_alloc
    return DecodeError{ErrorCode::too_long, "mensaje demasiado grande"};
  }
}

PublishedResult decode_published(const void* data, std::size_t size) noexcept {
  const std::string_view frame(static_cast<const char*>(data), size);
  for (const auto topic : {kTopicChat, kTopicPresence, kTopicSys}) {
    if (frame.substr(0, topic.size()) != topic) continue;
    if (frame.size() == topic.size()) return DecodeError{ErrorCode::bad_frame, "mensaje publicado sin cuerpo"};
    try {
      std::vector<Message> out;
      for (std::size_t offset = topic.size(); offset < frame.size();) {
        auto parsed = parse_at(frame.data(), frame.size(), offset);
        if (!parsed) return parsed.error();
        auto d = interpret(parsed.value().get());
        if (!d) return d.error();
        if (topic_of(d.value().msg) != topic) {
          return DecodeError{ErrorCode::bad_frame, "'" + std::string(type_name(d.value().msg)) +
                                                       "' publicado con el tema '" + std::string(topic) + "'"};
        }
        out.push_back(std::move(d.value().msg));
      }
      return out;
    } catch (const std::exception&) {  // bad_alloc
      return DecodeError{ErrorCode::too_long, "mensaje publicado demasiado grande"};
    }
  }
  return DecodeError{ErrorCode::bad_frame, "mensaje publicado sin un tema conocido"};
}

zmq::message_t encode(const Message& m, std::uint64_t id) {
  msgpack::sbuffer buf(128);
  write_fields(buf, m, id);
  return to_message(buf);
}

zmq::message_t encode_published(const Message& m) {
  const auto topic = topic_of(m);
  assert(!topic.empty() && "only chat, presence, beat and shutdown are published");
  msgpack::sbuffer buf(128 + topic.size());
  buf.write(topic.data(), topic.size());
  write_fields(buf, m, 0);
  return to_message(buf);
}

std::string encode_to_string(const Message& m, std::uint64_t id) {
  msgpack::sbuffer buf(128);
  write_fields(buf, m, id);
  return std::string(buf.data(), buf.size());
}

}  // namespace charla::msg
