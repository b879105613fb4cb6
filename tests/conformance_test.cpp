// The conformance section of docs/protocol.md (17), run against the real broker:
// every `exchange` block is read from the document and its bytes are sent and
// matched as they are written there, so the document cannot drift from the code.
// Nothing here uses charla's codec: the point is to check it against the document.
#include "support/test_broker.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>
#include <msgpack.hpp>
#include <zmq.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <deque>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using namespace charla::test;

namespace {

// ---------------------------------------------------------------- the document

// One byte; a placeholder for one MessagePack value, which may capture it under
// a name; or the bytes captured earlier under a name (17.1).
struct Piece {
  enum Kind { literal, any_uint, any_str, captured } kind;
  std::uint8_t value = 0;  // literal
  std::string name{};      // any_uint, any_str: the capture's name ("" = none); captured: which
};
using Pattern = std::vector<Piece>;
using Captures = std::map<std::string, std::string>;  // name -> the bytes of one MessagePack value

struct Step {
  int line;      // in protocol.md
  char client;   // 'A'..'Z'
  char op;       // '>' send, '<' DEALER, '~' SUB
  std::string topic;            // '~'
  std::vector<Pattern> frames;  // '>': literal bytes and captured values
  Pattern expected;             // '<' and '~'
};

struct Exchange {
  std::string name;
  int line = 0;
  std::map<std::string, double> broker;  // "--max-text" -> 16, ...
  std::set<std::string> captures;        // the names its lines capture
  std::vector<Step> steps;
};

struct Document {
  std::vector<Exchange> exchanges;
  std::vector<std::string> errors;  // "protocol.md:LINE: what is wrong"
};

constexpr std::array<std::string_view, 3> kTopics{"chat", "presence", "sys"};
// The options a 'broker' line may give, with the ranges charla-broker's command line takes
// (broker/src/options.cpp): an exchange must be true of a real broker (17.1).
struct BrokerOption {
  std::string_view name;
  double min, max;
};
constexpr std::array<BrokerOption, 5> kBrokerOptions{{{"--max-text", 1, 60000},
                                                      {"--max-sessions", 1, 1000000},
                                                      {"--max-queue", 65536, 4294967296.0},
                                                      {"--rate", 0, 1e9},
                                                      {"--burst", 1, 1e9}}};

std::vector<std::string> words(std::string_view s) {
  std::istringstream in{std::string(s)};
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool valid_capture_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// A placeholder, "(uint)" or "(str)", or one that captures, "(uint:T)" or "(str:T)".
std::optional<Piece> placeholder(std::string_view w) {
  for (const auto& [kind, open] : {std::pair{Piece::any_uint, std::string_view("(uint")},
                                   std::pair{Piece::any_str, std::string_view("(str")}}) {
    if (w.size() < open.size() + 1 || w.substr(0, open.size()) != open || w.back() != ')') continue;
    const auto rest = w.substr(open.size(), w.size() - open.size() - 1);  // "" or ":T"
    if (rest.empty()) return Piece{kind};
    if (rest[0] == ':') return Piece{kind, 0, std::string(rest.substr(1))};
  }
  return std::nullopt;
}

// Fills the step's bytes from its words; returns what is wrong, or "".
// `known`: the names captured by the lines before this one.
std::string read_bytes(Step& s, const std::vector<std::string>& ws, std::size_t from, std::set<std::string>& known) {
  Pattern* into = &s.expected;
  if (s.op == '>') into = &s.frames.emplace_back();
  std::vector<std::string> named_here;  // captured by this line: usable from the next one
  for (std::size_t i = from; i < ws.size(); ++i) {
    const auto& w = ws[i];
    if (s.op == '>' && w == "|") {
      into = &s.frames.emplace_back();
    } else if (auto p = placeholder(w)) {
      if (s.op == '>') return "a placeholder in a '>' line: what a client sends is known, '" + w + "'";
      if (w.find(':') != std::string::npos) {
        if (!valid_capture_name(p->name)) return "a capture needs a name of letters, digits and '_': '" + w + "'";
        if (known.count(p->name) != 0 || std::count(named_here.begin(), named_here.end(), p->name) != 0) {
          return "'" + p->name + "' is captured twice";
        }
        named_here.push_back(p->name);
      }
      into->push_back(std::move(*p));
    } else if (w.size() > 2 && w.front() == '{' && w.back() == '}') {
      const auto name = w.substr(1, w.size() - 2);
      if (known.count(name) == 0) return "'" + w + "' before a line that captures " + name;
      into->push_back({Piece::captured, 0, name});
    } else {
      unsigned v = 0;
      std::size_t times = 1;  // "78*3": three bytes 78
      const auto [end, ec] = std::from_chars(w.data(), w.data() + std::min<std::size_t>(w.size(), 2), v, 16);
      const auto* const last = w.data() + w.size();
      bool valid = w.size() >= 2 && ec == std::errc() && end == w.data() + 2;
      if (valid && end != last) {
        const auto [rend, rec] = std::from_chars(end + 1, last, times);
        valid = *end == '*' && rec == std::errc() && rend == last && times > 0;
      }
      if (!valid) return "not a hex byte, nor one repeated (HH*N): '" + w + "'";
      into->insert(into->end(), times, Piece{Piece::literal, static_cast<std::uint8_t>(v)});
    }
  }
  if (s.op != '>' && s.expected.empty()) return "no bytes to expect";
  known.insert(named_here.begin(), named_here.end());
  return {};
}

// One logical line of a block (continuations joined); returns what is wrong, or "".
std::string read_line(Exchange& ex, int line, std::string_view text) {
  const auto ws = words(text);
  if (ws[0] == "broker") {
    if (!ex.steps.empty() || !ex.broker.empty()) return "'broker' must be the first line after the comments";
    if (ws.size() == 1) return "a 'broker' line without options";
    for (std::size_t i = 1; i < ws.size(); i += 2) {
      const auto* option = std::find_if(kBrokerOptions.begin(), kBrokerOptions.end(),
                                        [&](const BrokerOption& o) { return o.name == ws[i]; });
      if (option == kBrokerOptions.end()) return "unknown broker option '" + ws[i] + "'";
      double v = 0;
      const auto* arg = i + 1 < ws.size() ? &ws[i + 1] : nullptr;
      if (arg == nullptr || std::from_chars(arg->data(), arg->data() + arg->size(), v).ptr != arg->data() + arg->size()) {
        return "broker option '" + ws[i] + "' needs a number";
      }
      if (v < option->min || v > option->max) {
        return "broker option '" + ws[i] + "' " + *arg + " is one charla-broker refuses";
      }
      ex.broker[ws[i]] = v;
    }
    return {};
  }
  const auto& head = ws[0];
  if (head.size() != 2 || head[0] < 'A' || head[0] > 'Z' || std::string_view("><~").find(head[1]) == std::string_view::npos) {
    return "unknown line kind '" + head + "' (expected A>, A<, A~, broker, # or an indented continuation)";
  }
  Step s{line, head[0], head[1], {}, {}, {}};
  std::size_t from = 1;
  if (s.op == '~') {
    if (ws.size() < 2 || std::find(kTopics.begin(), kTopics.end(), ws[1]) == kTopics.end()) {
      return "a '~' line needs a topic: chat, presence or sys";
    }
    s.topic = ws[1];
    from = 2;
  }
  if (auto problem = read_bytes(s, ws, from, ex.captures); !problem.empty()) return problem;
  ex.steps.push_back(std::move(s));
  return {};
}

// Every ```exchange block of the document, or the reasons it cannot be read.
Document parse_exchanges(std::string_view markdown) {
  Document doc;
  std::istringstream in{std::string(markdown)};
  std::optional<Exchange> ex;
  std::vector<std::pair<int, std::string>> logical;  // the current block's lines, continuations joined
  std::string heading;
  bool named = false;  // by the block's first comment
  const auto error = [&](int line, const std::string& what) {
    doc.errors.push_back("protocol.md:" + std::to_string(line) + ": " + what);
  };
  int n = 0;
  for (std::string raw; std::getline(in, raw);) {
    ++n;
    if (!ex) {
      if (raw.rfind("### ", 0) == 0) heading = raw.substr(4);
      if (raw == "```exchange") {
        ex = Exchange{heading + " (line " + std::to_string(n) + ")", n, {}, {}, {}};
        named = false;
      }
      continue;
    }
    if (raw.rfind("```", 0) == 0) {
      for (const auto& [line, text] : logical) {
        if (auto problem = read_line(*ex, line, text); !problem.empty()) error(line, problem);
      }
      if (ex->steps.empty()) error(ex->line, "an exchange without steps");
      const auto same_name = [&](const Exchange& e) { return e.name == ex->name; };
      if (std::any_of(doc.exchanges.begin(), doc.exchanges.end(), same_name)) {
        error(ex->line, "a second exchange named '" + ex->name + "' (each runs as a section of that name)");
      }
      doc.exchanges.push_back(std::move(*ex));
      ex.reset();
      logical.clear();
      continue;
    }
    const auto trimmed = raw.find_first_not_of(" \t");
    if (trimmed == std::string::npos) continue;
    if (raw[trimmed] == '#') {
      const auto text = raw.find_first_not_of("# ", trimmed);
      if (!named && logical.empty() && text != std::string::npos) ex->name = raw.substr(text);
      named = true;
      continue;
    }
    const auto text = raw.substr(0, raw.find(" #"));  // a trailing comment
    if (trimmed == 0) {
      logical.emplace_back(n, text);
    } else if (logical.empty()) {
      error(n, "an indented continuation with no line to continue");
    } else {
      logical.back().second += " " + text;
    }
  }
  if (ex) error(ex->line, "an exchange block that is never closed");
  return doc;
}

std::string read_document() {
  std::ifstream f(CHARLA_PROTOCOL_MD, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// ---------------------------------------------------------------- matching bytes

std::string hex(std::string_view bytes) {
  std::string out;
  for (const unsigned char c : bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    if (!out.empty()) out += ' ';
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string hex(const Pattern& p) {
  std::string out;
  for (const auto& piece : p) {
    if (!out.empty()) out += ' ';
    const auto named = piece.name.empty() ? std::string(")") : ":" + piece.name + ")";
    if (piece.kind == Piece::any_uint) out += "(uint" + named;
    else if (piece.kind == Piece::any_str) out += "(str" + named;
    else if (piece.kind == Piece::captured) out += "{" + piece.name + "}";
    else out += hex(std::string_view(reinterpret_cast<const char*>(&piece.value), 1));
  }
  return out;
}

// The bytes of a '>' frame, captured values filled in.
std::string render(const Pattern& p, const Captures& captures) {
  std::string out;
  for (const auto& piece : p) {
    if (piece.kind == Piece::captured) out += captures.at(piece.name);
    else out += static_cast<char>(piece.value);
  }
  return out;
}

std::uint64_t big_endian(std::string_view b, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = v << 8 | static_cast<unsigned char>(b[at + i]);
  return v;
}

// The size of the MessagePack value at `at` if it is of the placeholder's kind, else 0.
std::size_t placeholder_size(Piece::Kind kind, std::string_view b, std::size_t at) {
  const auto c = static_cast<unsigned char>(b[at]);
  std::size_t header = 0, body = 0;
  if (kind == Piece::any_uint) {
    if (c <= 0x7f) header = 1;
    else if (c >= 0xcc && c <= 0xcf) header = 1 + (std::size_t{1} << (c - 0xcc));
    else return 0;
  } else if (c >= 0xa0 && c <= 0xbf) {
    header = 1, body = c & 0x1f;
  } else if (c >= 0xd9 && c <= 0xdb) {
    const std::size_t len = std::size_t{1} << (c - 0xd9);  // 1, 2 or 4 bytes of length
    if (at + 1 + len > b.size()) return 0;
    header = 1 + len, body = big_endian(b, at + 1, len);
  } else {
    return 0;
  }
  return at + header + body <= b.size() ? header + body : 0;
}

// The size of what `piece` matches at `at`, or 0 if it does not match there.
std::size_t match_size(const Piece& piece, std::string_view actual, std::size_t at, const Captures& captures) {
  if (at >= actual.size()) return 0;
  switch (piece.kind) {
    case Piece::literal: return static_cast<std::uint8_t>(actual[at]) == piece.value ? 1 : 0;
    case Piece::captured: {
      const auto& bytes = captures.at(piece.name);
      return actual.substr(at, bytes.size()) == bytes ? bytes.size() : 0;
    }
    case Piece::any_uint:
    case Piece::any_str: return placeholder_size(piece.kind, actual, at);
  }
  return 0;
}

// Empty when `actual` is exactly `expected`, and then what it captured is in
// `captures`; otherwise where it is not.
std::string mismatch(const Pattern& expected, std::string_view actual, Captures& captures) {
  std::size_t at = 0;
  Captures found;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& piece = expected[i];
    const auto size = match_size(piece, actual, at, captures);
    if (size == 0) return "they differ at byte " + std::to_string(at) + " (expected piece " + std::to_string(i) + ")";
    if (!piece.name.empty() && piece.kind != Piece::captured) found[piece.name] = actual.substr(at, size);
    at += size;
  }
  if (at != actual.size()) return std::to_string(actual.size() - at) + " bytes more than expected";
  captures.merge(found);
  return {};
}

// ---------------------------------------------------------------- running

constexpr std::string_view kSync = "\x82\xa1v\x03\xa1t\xa4sync";
constexpr std::string_view kProbe = "\x83\xa1v\x03\xa1t\xa5watch\xa2id\xcd\xff\xff";  // {v:3, t:"watch", id:65535}
constexpr std::string_view kProbeReply = "\xa1v\x03\xa1t\xa7welcome\xa2id\xcd\xff\xff";  // after its map header
constexpr std::string_view kBeat = "\x85\xa1v\x03\xa1t\xa4" "beat";

struct Body {
  std::string topic;  // empty: the frame had no known topic or a malformed body
  std::string bytes;
};

struct Client {
  Client(zmq::context_t& ctx, const TestBroker& broker)
      : dealer(ctx, zmq::socket_type::dealer), sub(ctx, zmq::socket_type::sub) {
    dealer.set(zmq::sockopt::linger, 0);
    sub.set(zmq::sockopt::linger, 0);
    dealer.connect("tcp://127.0.0.1:" + std::to_string(broker.port()));
    sub.connect("tcp://127.0.0.1:" + std::to_string(broker.pub_port()));
    for (const auto topic : kTopics) sub.set(zmq::sockopt::subscribe, topic);  // sys last
  }

  // Reads one SUB frame, if one comes within `timeout`, into its bodies (2.2).
  bool read_sub(std::chrono::milliseconds timeout) {
    zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0) return false;
    zmq::message_t frame;
    (void)sub.recv(frame);
    const auto f = frame.to_string_view();
    const auto topic = std::find_if(kTopics.begin(), kTopics.end(), [&](auto t) { return f.rfind(t, 0) == 0; });
    if (topic == kTopics.end() || f.size() == topic->size()) {
      bodies.push_back({"", std::string(f)});  // matches no '~' line, and shows what came
      return true;
    }
    for (std::size_t at = topic->size(); at < f.size();) {
      const auto start = at;
      try {
        (void)msgpack::unpack(f.data(), f.size(), at);
      } catch (const std::exception&) {
        bodies.push_back({"", std::string(f)});
        return true;
      }
      bodies.push_back({std::string(*topic), std::string(f.substr(start, at - start))});
    }
    return true;
  }

  zmq::socket_t dealer;
  zmq::socket_t sub;
  std::deque<Body> bodies;  // read from SUB, not yet matched
  int sent = 0;             // messages sent on the DEALER
};

using Clients = std::map<char, Client>;

// 9.2 step 2 for every client: sync (from a connection of the runner's own, so
// that the clients' rate buckets stay full) until something arrives on each SUB.
void prove_live(zmq::context_t& ctx, const TestBroker& broker, Clients& clients) {
  zmq::socket_t helper(ctx, zmq::socket_type::dealer);
  helper.set(zmq::sockopt::linger, 0);
  helper.connect("tcp://127.0.0.1:" + std::to_string(broker.port()));
  const bool live = wait_for([&] {
    (void)helper.send(zmq::buffer(kSync), zmq::send_flags::dontwait);
    bool all = true;
    for (auto& [name, c] : clients) all = (!c.bodies.empty() || c.read_sub(20ms)) && all;
    return all;
  });
  REQUIRE(live);
}

void send(Client& c, const Step& s, const Captures& captures) {
  for (std::size_t i = 0; i < s.frames.size(); ++i) {
    const auto more = i + 1 < s.frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
    REQUIRE(c.dealer.send(zmq::buffer(render(s.frames[i], captures)), more));
  }
  ++c.sent;
}

std::optional<std::string> next_reply(Client& c) {
  zmq::pollitem_t item{c.dealer.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, kWait) == 0) return std::nullopt;
  zmq::message_t frame;
  (void)c.dealer.recv(frame);
  REQUIRE_FALSE(frame.more());  // every reply is one frame (2.1)
  return frame.to_string();
}

// The next body under `topic`, skipping beats unless the topic is sys.
std::optional<Body> next_body(Client& c, const std::string& topic) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  for (;;) {
    while (!c.bodies.empty()) {
      auto b = std::move(c.bodies.front());
      c.bodies.pop_front();
      if (topic != "sys" && b.topic == "sys" && b.bytes.rfind(kBeat, 0) == 0) continue;
      return b;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= 0ms || !c.read_sub(left)) return std::nullopt;
  }
}

void expect(const Step& s, const std::optional<std::string>& actual, const std::string& what, Captures& captures) {
  INFO("expected: " << hex(s.expected));
  if (!actual) FAIL("nothing arrived within " << kWait.count() << " ms");
  INFO("  actual: " << what << hex(*actual));
  const auto why = mismatch(s.expected, *actual, captures);
  if (!why.empty()) FAIL(why);
}

void run_step(Clients& clients, const Step& s, Captures& captures) {
  auto& c = clients.at(s.client);
  INFO("protocol.md:" << s.line << ": " << s.client << s.op << ' ' << s.topic);
  if (s.op == '>') {
    send(c, s, captures);
  } else if (s.op == '<') {
    expect(s, next_reply(c), "", captures);
  } else {
    const auto body = next_body(c, s.topic);
    const auto topic = body ? body->topic : std::string();
    expect(s, body ? std::optional(body->bytes) : std::nullopt, "(topic '" + topic + "') ", captures);
    REQUIRE(topic == s.topic);
  }
}

// Proves that nothing unlisted waits on any DEALER (17.1), except where the
// probe would find the rate bucket empty.
void probe(Clients& clients, const charla::broker::Config& cfg) {
  for (auto& [name, c] : clients) {
    if (cfg.rate > 0 && c.sent >= cfg.burst) continue;
    INFO("the end probe of client " << name);
    REQUIRE(c.dealer.send(zmq::buffer(kProbe)));
    const auto reply = next_reply(c);
    REQUIRE(reply);
    INFO("got: " << hex(*reply));
    CHECK(reply->substr(1, kProbeReply.size()) == kProbeReply);
  }
}

charla::broker::Config config_for(const Exchange& ex) {
  // What 17.1 says: fast_config's heartbeat of 100 ms and 4 workers, on 127.0.0.1; expiry_ms fixed
  // (fast_config lengthens it under sanitizers, and it is in every welcome); nobody goes idle.
  auto cfg = fast_config();
  cfg.expiry_ms = 5000;
  cfg.idle_timeout_s = 60;
  cfg.max_text = 4096;
  cfg.max_sessions = 20000;
  cfg.max_queue = 1 << 20;
  cfg.rate = 0;
  for (const auto& [option, v] : ex.broker) {
    if (option == "--max-text") cfg.max_text = static_cast<std::size_t>(v);
    if (option == "--max-sessions") cfg.max_sessions = static_cast<std::size_t>(v);
    if (option == "--max-queue") cfg.max_queue = static_cast<std::size_t>(v);
    if (option == "--rate") cfg.rate = v;
    if (option == "--burst") cfg.burst = v;
  }
  return cfg;
}

void run(const Exchange& ex) {
  TestBroker broker(config_for(ex));
  zmq::context_t ctx;
  Clients clients;
  for (const auto& s : ex.steps) clients.try_emplace(s.client, ctx, broker);
  prove_live(ctx, broker, clients);
  Captures captures;
  for (const auto& s : ex.steps) run_step(clients, s, captures);
  probe(clients, broker.config());
}

}  // namespace

TEST_CASE("the broker reproduces every exchange of the protocol's conformance section", "[conformance]") {
  const auto doc = parse_exchanges(read_document());
  INFO("read from " CHARLA_PROTOCOL_MD);
  for (const auto& e : doc.errors) UNSCOPED_INFO(e);
  REQUIRE(doc.errors.empty());
  REQUIRE(doc.exchanges.size() >= 73);  // a section deleted or renamed away fails here
  for (const auto& ex : doc.exchanges) {
    DYNAMIC_SECTION(ex.name) { run(ex); }
  }
}

TEST_CASE("a malformed exchange block is an error, not skipped", "[conformance]") {
  const auto errors_of = [](const std::string& block) {
    return parse_exchanges("### 17.9 Test\n```exchange\n# a test\n" + block + "```\n").errors;
  };
  for (const std::string bad : {"A? 00\n", "A> 8g\n", "A> 800\n", "A> (uint)\n", "A< \n", "A~ news 80\n",
                                "A~ chat\n", "A< 80 | 80\n", "a> 80\n", "A> 80\nbroker --rate 1\n",
                                "broker --max-frame 9\n", "broker --rate x\n", "broker\n", "   80\n", "",
                                // what charla-broker's command line refuses (17.1)
                                "broker --max-queue 150\n", "broker --max-text 60001\n", "broker --burst 0\n",
                                // a repeated byte: HH*N, N at least 1
                                "A> 78*0\n", "A> 78*\n", "A> 78*x\n", "A> 78+3\n", "A> 7*3\n", "A> 78*3*2\n",
                                // captures: named once, used after, never in what is sent
                                "A> {T}\n", "A< {T}\nA< (str:T)\n", "A< (str:T) {T}\n", "A< (str:T)\nB< (uint:T)\n",
                                "A< (str:T) (str:T)\n", "A> (str:T)\n", "A< (str:)\n", "A< (str:a-b)\n",
                                "A< (text:T)\n", "A< (str:T\n", "A< (str:T)\nA> {T\n", "A< (str:T)\nA> {}\n",
                                "A< (str:T)\nA> {U}\n"}) {
    INFO("block: " << bad);
    const auto errors = errors_of(bad);
    REQUIRE_FALSE(errors.empty());
    CHECK_THAT(errors[0], Catch::StartsWith("protocol.md:"));
  }
  CHECK(parse_exchanges("```exchange\nA> 80\n").errors.size() == 1);  // never closed
  CHECK(parse_exchanges("```exchange\n# twice\nA> 80\n```\n```exchange\n# twice\nA> 80\n```\n").errors.size() == 1);

  const auto good = parse_exchanges(
      "### 17.9 Test\n```exchange\n# sends two frames\nbroker --max-text 16\nA> 81 | a1 74   # a comment\n"
      "   a0\nB~ sys 81 (uint)\n   (str)\n```\n");
  REQUIRE(good.errors.empty());
  REQUIRE(good.exchanges.size() == 1);
  const auto& ex = good.exchanges[0];
  CHECK(ex.name == "sends two frames");
  CHECK(ex.broker.at("--max-text") == 16);
  REQUIRE(ex.steps.size() == 2);
  REQUIRE(ex.steps[0].frames.size() == 2);
  CHECK(render(ex.steps[0].frames[0], {}) == "\x81");
  CHECK(render(ex.steps[0].frames[1], {}) == "\xa1t\xa0");
  CHECK(hex(ex.steps[1].expected) == "81 (uint) (str)");
  const auto repeated = parse_exchanges("```exchange\n# repeats\nA> 92 78*3 0a\n```\n");
  REQUIRE(repeated.errors.empty());
  CHECK(render(repeated.exchanges[0].steps[0].frames[0], {}) == "\x92xxx\n");
  Captures none;
  CHECK(mismatch(ex.steps[1].expected, "\x81\xcd\x01\x02\xa2hi", none).empty());
  CHECK_FALSE(mismatch(ex.steps[1].expected, "\x81\xd0\x01\xa2hi", none).empty());  // an int 8 is not a uint
  CHECK_FALSE(mismatch(ex.steps[1].expected, "\x81\x01\xa3hi", none).empty());      // a str cut short
  CHECK(none.empty());
}

TEST_CASE("a captured value is sent and expected again byte for byte", "[conformance]") {
  const auto doc = parse_exchanges(
      "### 17.9 Test\n```exchange\n# captures\nA< 82 (str:Tok) (uint:n_1)\nB> a1 {Tok} | {n_1}\n"
      "B< {Tok} 00\n```\n");
  REQUIRE(doc.errors.empty());
  const auto& steps = doc.exchanges.at(0).steps;
  REQUIRE(steps.size() == 3);
  CHECK(hex(steps[0].expected) == "82 (str:Tok) (uint:n_1)");
  CHECK(hex(steps[2].expected) == "{Tok} 00");

  Captures c;
  CHECK_FALSE(mismatch(steps[0].expected, "\x82\xa2hi\xcd\x01", c).empty());  // a uint cut short
  CHECK(c.empty());                                                              // captures nothing
  REQUIRE(mismatch(steps[0].expected, "\x82\xa2hi\xcd\x01\x02", c).empty());
  CHECK(c == Captures{{"Tok", "\xa2hi"}, {"n_1", "\xcd\x01\x02"}});  // the whole value, its header too
  REQUIRE(steps[1].frames.size() == 2);
  CHECK(render(steps[1].frames[0], c) == "\xa1\xa2hi");
  CHECK(render(steps[1].frames[1], c) == "\xcd\x01\x02");
  using namespace std::string_view_literals;
  CHECK(mismatch(steps[2].expected, "\xa2hi\x00"sv, c).empty());
  CHECK_FALSE(mismatch(steps[2].expected, "\xa2ho\x00"sv, c).empty());  // another value
  CHECK_FALSE(mismatch(steps[2].expected, "\xa1h\x00"sv, c).empty());
}
