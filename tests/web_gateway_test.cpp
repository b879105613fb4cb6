// charla-web's session handling and limits: the page's wire format, the bounded
// send queue and its "missed" notice, the Origin check, the address it vouches
// for, and a real gateway (broker side, listener, WebSocket sessions) on
// 127.0.0.1 in front of a real broker, spoken to by Beast WebSocket clients.
#include "e2e/binaries.hpp"
#include "e2e/process.hpp"
#include "support/test_broker.hpp"
#include "support/wait.hpp"

#include <address.hpp>
#include <broker_side.hpp>
#include <http_session.hpp>
#include <listener.hpp>
#include <send_queue.hpp>
#include <shared_state.hpp>
#include <wire.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace web = charla::web;
using nlohmann::json;
using namespace std::chrono_literals;
using charla::test::kWait;

// ---- the wire format -------------------------------------------------------------------

TEST_CASE("the page's messages decode, and anything else is a value saying what was wrong", "[web][wire]") {
  CHECK(std::get<web::page::Join>(web::decode_page(R"({"t":"join","name":"ana"})")).name == "ana");
  CHECK(std::get<web::page::Line>(web::decode_page(R"({"t":"line","text":"@bea hola"})")).text == "@bea hola");
  CHECK(std::holds_alternative<web::page::Leave>(web::decode_page(R"({"t":"leave"})")));
  const auto bad = [](std::string_view text) {
    const auto m = web::decode_page(text);
    REQUIRE(std::holds_alternative<web::page::Bad>(m));
    return std::get<web::page::Bad>(m).why;
  };
  CHECK(bad("no es JSON") == "no es JSON");
  CHECK(bad(R"({"t":"line","text":"sin cerrar)") == "no es JSON");
  CHECK(bad("") == "no es JSON");
  CHECK(bad("[1,2]") == "se esperaba un objeto JSON");
  CHECK(bad(R"("join")") == "se esperaba un objeto JSON");
  CHECK(bad(R"({"name":"ana"})") == "falta el tipo (\"t\")");
  CHECK(bad(R"({"t":5})") == "falta el tipo (\"t\")");
  CHECK(bad(R"({"t":"despega"})") == "tipo desconocido");
  CHECK(bad(R"({"t":"join"})") == "join sin nombre");
  CHECK(bad(R"({"t":"join","name":7})") == "join sin nombre");
  CHECK(bad(R"({"t":"line","text":null})") == "line sin texto");
}

TEST_CASE("what the gateway sends is JSON with its type, and text that is not UTF-8 is replaced, not thrown",
          "[web][wire]") {
  const auto m = json::parse(*web::out::message(1700000000000, "ana", "<b>hola</b>", true));
  CHECK(m["t"] == "message");
  CHECK(m["from"] == "ana");
  CHECK(m["text"] == "<b>hola</b>");  // as text: the page puts it in with textContent
  CHECK(m["mine"] == true);
  CHECK(json::parse(*web::out::missed(7))["count"] == 7);
  CHECK(json::parse(*web::out::refused("name_taken", "ya está en uso"))["code"] == "name_taken");
  const auto broken = json::parse(*web::out::notice(std::string("mal \xff formado")));
  CHECK(broken["t"] == "notice");
}

// ---- the send queue ------------------------------------------------------------------------

TEST_CASE("a browser's send queue is bounded in bytes and tells it how many messages it missed", "[web][queue]") {
  const auto msg = web::out::notice(std::string(90, 'x'));  // about 110 bytes encoded
  const auto size = msg->size();
  web::SendQueue q(10 * size);
  int queued = 0;
  for (int i = 0; i < 25; ++i) queued += q.push(msg) ? 1 : 0;
  CHECK(queued == 10);
  CHECK(q.bytes() <= 10 * size);
  CHECK(q.missed() == 15);
  // Read down to half: the notice goes in before anything newer, once.
  bool told = false;
  for (int i = 0; i < 5; ++i) told = q.pop() || told;
  CHECK(told);
  CHECK(q.missed() == 0);
  CHECK(q.dropped_total() == 15);
  CHECK(q.push(msg));
  std::vector<json> rest;
  while (!q.empty()) {
    rest.push_back(json::parse(*q.front()));
    (void)q.pop();
  }
  REQUIRE(rest.size() == 7);  // 5 left, the notice, the newer one
  CHECK(rest[5]["t"] == "missed");
  CHECK(rest[5]["count"] == 15);
  CHECK(rest[6]["t"] == "notice");
  CHECK(q.bytes() == 0);
}

TEST_CASE("while a browser is behind, nothing newer jumps ahead of what it missed", "[web][queue]") {
  const auto msg = web::out::notice(std::string(90, 'x'));
  web::SendQueue q(4 * msg->size());
  for (int i = 0; i < 4; ++i) REQUIRE(q.push(msg));
  CHECK_FALSE(q.push(msg));  // full: dropped
  (void)q.pop();             // room for one, but not down to half: still dropping, so the order holds
  CHECK_FALSE(q.push(msg));
  CHECK(q.missed() == 2);
}

// ---- who the browser is --------------------------------------------------------------------

TEST_CASE("a WebSocket upgrade is allowed from the gateway's own origin, a listed one, or no browser at all",
          "[web][origin]") {
  const std::vector<std::string> none, listed{"https://chat.example.org"}, any{"*"};
  CHECK(web::origin_allowed("", "127.0.0.1:8080", false, none));  // not a browser: no page to forge from
  CHECK(web::origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", false, none));
  CHECK(web::origin_allowed("HTTP://Chat.Example.org:8080", "chat.example.org:8080", false, none));
  CHECK_FALSE(web::origin_allowed("http://malo.example", "127.0.0.1:8080", false, none));
  CHECK_FALSE(web::origin_allowed("http://localhost:8080", "127.0.0.1:8080", false, none));
  CHECK_FALSE(web::origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", true, none));  // the scheme counts
  CHECK_FALSE(web::origin_allowed("null", "127.0.0.1:8080", false, none));
  CHECK(web::origin_allowed("https://chat.example.org", "127.0.0.1:8080", false, listed));
  CHECK_FALSE(web::origin_allowed("https://chat.example.org.malo.example", "127.0.0.1:8080", false, listed));
  CHECK(web::origin_allowed("http://malo.example", "127.0.0.1:8080", false, any));
}

TEST_CASE("the user's address is the peer's, or the last a trusted proxy added", "[web][origin]") {
  CHECK(web::client_address("::ffff:192.0.2.4", "", false) == "192.0.2.4");
  CHECK(web::client_address("192.0.2.4", "203.0.113.50", false) == "192.0.2.4");  // not trusted: ignored
  CHECK(web::client_address("192.0.2.4", "203.0.113.50, 198.51.100.7", true) == "198.51.100.7");
  CHECK(web::client_address("192.0.2.4", "203.0.113.50, no es una ip", true) == "192.0.2.4");
  CHECK(web::client_address("192.0.2.4", "", true) == "192.0.2.4");
  CHECK(web::client_address("192.0.2.4", " 2001:db8::1 ", true) == "2001:db8::1");
}

// ---- a real gateway --------------------------------------------------------------------------

namespace {

namespace net = web::net;
namespace beast = web::beast;
namespace http = web::http;
namespace websocket = web::websocket;
using web::tcp;

// charla-web in this process, on 127.0.0.1 and a free port, in front of a real broker.
class Gateway {
 public:
  explicit Gateway(web::Limits limits, web::Policy policy = {}) : ioc_(std::make_unique<net::io_context>(1)) {
    web::BrokerSide::Settings s;
    s.broker.host = "127.0.0.1";
    s.broker.port = broker_.port();
    s.broker.timeout = kWait;
    side_ = std::make_unique<web::BrokerSide>(*ioc_, s);
    state_ = std::make_unique<web::SharedState>(*side_, limits, std::move(policy));
    listener_ = std::make_shared<web::Listener>(*ioc_, tcp::endpoint{net::ip::make_address("127.0.0.1"), 0}, *state_,
                                                nullptr);
    listener_->run();
    port_ = listener_->port();
    thread_ = std::thread([this] { ioc_->run(); });
  }
  ~Gateway() {
    ioc_->stop();
    thread_.join();
    side_.reset();  // its thread may still post to the stopped loop: it goes before the loop
    listener_.reset();
    ioc_.reset();   // the sockets' handlers go while the state they use is still there
    state_.reset();
  }
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  std::uint16_t port() const noexcept { return port_; }

 private:
  charla::test::TestBroker broker_;
  std::unique_ptr<net::io_context> ioc_;
  std::unique_ptr<web::BrokerSide> side_;
  std::unique_ptr<web::SharedState> state_;
  std::shared_ptr<web::Listener> listener_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// A browser tab, as far as the gateway can tell: a Beast WebSocket client that
// reads with a deadline.
class Tab {
 public:
  // Connects and asks for the upgrade; status() is 101 when upgraded, -1 when not.
  Tab(std::uint16_t port, const std::string& origin) {
    beast::get_lowest_layer(ws_).connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
    ws_.set_option(websocket::stream_base::decorator([origin](websocket::request_type& req) {
      if (!origin.empty()) req.set(http::field::origin, origin);
    }));
    websocket::response_type res;
    beast::error_code ec;
    ws_.handshake(res, "127.0.0.1:" + std::to_string(port), "/ws", ec);
    status_ = ec ? -1 : static_cast<int>(res.result_int());
  }

  int status() const noexcept { return status_; }

  void send(const json& m) { ws_.write(net::buffer(m.dump())); }

  // The next message for which pred holds, read within the deadline; nullopt if none (or closed).
  template <class Pred>
  std::optional<json> next(Pred pred, std::chrono::milliseconds timeout = kWait) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      beast::flat_buffer buf;
      bool done = false;
      beast::error_code ec;
      ws_.async_read(buf, [&](beast::error_code e, std::size_t) { done = true, ec = e; });
      ioc_.restart();
      ioc_.run_until(deadline);
      if (!done) {
        beast::get_lowest_layer(ws_).cancel();
        ioc_.restart();
        ioc_.run_for(kWait);
        return std::nullopt;
      }
      if (ec) return std::nullopt;
      auto m = json::parse(beast::buffers_to_string(buf.data()), nullptr, false);
      if (!m.is_discarded() && pred(m)) return m;
    }
    return std::nullopt;
  }
  std::optional<json> next_of(const std::string& type) {
    return next([&](const json& m) { return m.value("t", "") == type; });
  }

 private:
  net::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_{ioc_};
  int status_ = 0;
};

// The HTTP status the gateway answers an upgrade request with, read as plain HTTP.
int upgrade_status(std::uint16_t port, const std::string& origin) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
  http::request<http::empty_body> req{http::verb::get, "/ws", 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  req.set(http::field::sec_websocket_version, "13");
  req.set(http::field::origin, origin);
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  return static_cast<int>(res.result_int());
}

std::string own_origin(const Gateway& g) { return "http://127.0.0.1:" + std::to_string(g.port()); }

}  // namespace

TEST_CASE("a cross-origin WebSocket upgrade is refused with 403; the page's own origin joins", "[web][gateway]") {
  Gateway g(web::Limits{});
  CHECK(upgrade_status(g.port(), "http://malo.example") == 403);
  CHECK(upgrade_status(g.port(), "http://localhost:" + std::to_string(g.port())) == 403);
  Tab foreign(g.port(), "http://malo.example");
  CHECK(foreign.status() == -1);
  Tab own(g.port(), own_origin(g));
  REQUIRE(own.status() == 101);
  own.send({{"t", "join"}, {"name", "ana"}});
  const auto joined = own.next_of("joined");
  REQUIRE(joined);
  CHECK((*joined)["name"] == "ana");
}

TEST_CASE("past --max-sessions a tab is refused in the page, and the tabs inside chat on", "[web][gateway]") {
  web::Limits limits;
  limits.max_sessions = 1;
  Gateway g(limits);
  Tab ana(g.port(), own_origin(g));
  ana.send({{"t", "join"}, {"name", "ana"}});
  REQUIRE(ana.next_of("joined"));
  Tab bea(g.port(), own_origin(g));
  REQUIRE(bea.status() == 101);
  bea.send({{"t", "join"}, {"name", "bea"}});
  const auto refused = bea.next_of("refused");
  REQUIRE(refused);
  CHECK((*refused)["code"] == "server_full");
  ana.send({{"t", "line"}, {"text", "sigo aquí"}});
  const auto back = ana.next_of("message");
  REQUIRE(back);
  CHECK((*back)["text"] == "sigo aquí");
  CHECK((*back)["mine"] == true);
}

TEST_CASE("sockets that have not joined are bounded: one past the limit is not upgraded", "[web][gateway]") {
  web::Limits limits;
  limits.max_waiting = 2;
  Gateway g(limits);
  Tab one(g.port(), ""), two(g.port(), "");
  REQUIRE(one.status() == 101);
  REQUIRE(two.status() == 101);
  Tab three(g.port(), "");
  CHECK(three.status() != 101);
  one.send({{"t", "join"}, {"name", "uno"}});  // the waiting ones are unharmed
  CHECK(one.next_of("joined"));
}

TEST_CASE("a message that is not the page's gets an error, and the socket can still join", "[web][gateway]") {
  Gateway g(web::Limits{});
  Tab tab(g.port(), own_origin(g));
  tab.send("no es un objeto");
  const auto error = tab.next_of("error");
  REQUIRE(error);
  CHECK((*error)["text"].get<std::string>().find("se esperaba un objeto JSON") != std::string::npos);
  tab.send({{"t", "line"}, {"text", "antes de entrar"}});
  const auto early = tab.next_of("error");
  REQUIRE(early);
  CHECK((*early)["text"] == "primero entra con un nombre");
  tab.send({{"t", "join"}, {"name", "con espacios"}});
  const auto invalid = tab.next_of("refused");
  REQUIRE(invalid);
  CHECK((*invalid)["code"] == "name_invalid");
}

// ---- the binary ----------------------------------------------------------------------------

TEST_CASE("charla-web answers --help and --version and exits 0", "[web][cli]") {
  for (const char* flag : {"--help", "--version"}) {
    charla::test::Process p({CHARLA_WEB_BIN, flag});
    REQUIRE(p.wait_exit(kWait) == 0);
    CHECK_FALSE(p.out().empty());
  }
}

TEST_CASE("charla-web ends cleanly on SIGINT and SIGTERM, and says in one line when the broker is not there",
          "[web][cli]") {
  charla::test::BrokerProcess broker;
  const int sig = GENERATE(SIGINT, SIGTERM);
  charla::test::Process web({CHARLA_WEB_BIN, "127.0.0.1", broker.port_str(), "--http-port", "0"});
  REQUIRE(web.wait_for_line("abre http://127.0.0.1:", kWait, true));
  web.signal(sig);
  CHECK(web.wait_exit(kWait) == 0);
  CHECK(web.wait_for_line("charla-web: fin", kWait, true));

  charla::test::Process nobody({CHARLA_WEB_BIN, "127.0.0.1", "1", "--http-port", "0", "--timeout", "0.5"});
  CHECK(nobody.wait_exit(kWait) == 1);
  CHECK(nobody.wait_for_line("no se pudo conectar con el servidor 127.0.0.1:1", kWait, true));
}
