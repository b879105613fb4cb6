#include "web_system.hpp"

#include "charla_delivery.hpp"
#include "charla_session.hpp"

#include <charla/msg/codec.hpp>

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace charla::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// Quiet on the tabs for this long after the last join: the presence events of
// the joins (each tab hears of every later one) have been delivered.
constexpr auto kSettled = std::chrono::milliseconds(300);

// The payload of a "message" from the gateway, as docs/web.md writes it:
// {"from":…,"mine":…,"t":"message","text":"…","ts":…}. The bench's payloads
// are plain ASCII, which JSON carries unescaped. Empty when it is something else.
std::string_view message_text(std::string_view json) noexcept {
  if (json.find(R"("t":"message")") == std::string_view::npos) return {};
  constexpr std::string_view key = R"("text":")";
  const auto at = json.find(key);
  if (at == std::string_view::npos) return {};
  const auto begin = at + key.size();
  const auto end = json.find('"', begin);
  return end == std::string_view::npos ? std::string_view{} : json.substr(begin, end - begin);
}

class WebFanout;

// One browser tab: connects, upgrades (without Origin, as a client that is not a
// browser page may), joins, then reads until closed. Every handler runs on the
// one io_context thread of its WebFanout.
class Tab {
 public:
  Tab(net::io_context& ioc, WebFanout& owner, int index, std::string name)
      : ws_(ioc), owner_(owner), index_(index), join_(R"({"t":"join","name":")" + name + R"("})") {}

  void start(const tcp::endpoint& at, std::uint16_t port);
  void close();

 private:
  void read();
  void fail(const char* what, const beast::error_code& ec);

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buf_;
  WebFanout& owner_;
  const int index_;
  const std::string join_;
  bool open_ = false;
};

class WebFanout final : public FanoutClients {
 public:
  WebFanout(zmq::context_t& ctx, const Endpoint& broker, std::uint16_t http_port, pid_t gateway,
            const std::string& prefix, int n, Tally& tally, Clock::time_point deadline)
      : tally_(tally), gateway_(gateway), n_(n) {
    sender_.resize(1);
    sender_[0].name = prefix + "p";
    keep_deliveries(sender_[0], false);
    info_ = join(ctx, broker, sender_, {}, false, deadline);
    const long before = sample(gateway_).rss_kb;
    std::promise<void> done;
    io_done_ = done.get_future();
    const tcp::endpoint at{net::ip::make_address("127.0.0.1"), http_port};
    for (int i = 0; i < n; ++i) tabs_.push_back(std::make_unique<Tab>(ioc_, *this, i, prefix + "s" + std::to_string(i)));
    for (auto& t : tabs_) t->start(at, http_port);
    io_ = std::thread([this, done = std::move(done)]() mutable {
      ioc_.run();
      done.set_value();
    });
    try {
      await_joins(deadline);
    } catch (...) {
      stop();
      leave(sender_);
      throw;
    }
    const long after = sample(gateway_).rss_kb;
    if (before >= 0 && after >= 0) kib_per_session_ = static_cast<double>(after - before) / n;
  }

  ~WebFanout() override {
    stop();
    leave(sender_);
  }

  void publish(const Payload& p) override {
    send(sender_[0], msg::encode(msg::Say{std::string(view(p))}));
    if (++sent_ % 4096 == 0) keepalive(sender_, info_.heartbeat, Clock::now());
  }

  void flush(Clock::time_point deadline) override {
    await_acks(sender_, deadline);
    keepalive(sender_, info_.heartbeat, Clock::now());  // counts errors
  }

  std::string note() const override {
    DeliveryReport r;
    r.add(sender_);
    std::string out = r.note();
    std::lock_guard lock(mu_);
    if (!problem_.empty()) out += (out.empty() ? "" : "; ") + problem_;
    return out;
  }

  double kib_per_session() const override { return kib_per_session_; }

  // From the io thread.
  void on_joined() {
    std::lock_guard lock(mu_);
    ++joined_;
    cv_.notify_all();
  }
  void on_text(int tab, std::string_view json) {
    const auto t = now_ns();
    last_rx_ns_.store(t, std::memory_order_relaxed);
    if (json.find(R"("t":"joined")") != std::string_view::npos) return on_joined();
    if (json.find(R"("t":"refused")") != std::string_view::npos) return on_problem("refused: " + std::string(json));
    const auto text = message_text(json);
    if (text.empty()) return;  // presence, notices, status: not the bench's
    tally_.on_payload(tab, text, t);
  }
  void on_problem(std::string what) {
    std::lock_guard lock(mu_);
    if (problem_.empty()) problem_ = "a tab: " + what;
    ++problems_;
    cv_.notify_all();
  }

 private:
  // Until every tab has joined, then until the tabs have been quiet for kSettled.
  void await_joins(Clock::time_point deadline) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, deadline, [&] { return joined_ == n_ || problems_ > 0; });
      if (joined_ != n_) {
        throw std::runtime_error(std::to_string(joined_) + " of " + std::to_string(n_) + " tabs joined" +
                                 (problem_.empty() ? "" : " (" + problem_ + ")"));
      }
    }
    const auto settle_by = std::min(deadline, Clock::now() + std::chrono::seconds(10));
    while (Clock::now() < settle_by) {
      const auto quiet = std::chrono::nanoseconds(now_ns() - last_rx_ns_.load(std::memory_order_relaxed));
      if (quiet >= kSettled) return;
      std::this_thread::sleep_for(kSettled - quiet);
    }
  }

  // Closes every tab (a goodbye: the gateway has each session leave), then ends the io thread.
  void stop() {
    if (!io_.joinable()) return;
    net::post(ioc_, [this] {
      for (auto& t : tabs_) t->close();
    });
    // Every close answered, the loop runs out of work; a gateway that does not answer is cut off.
    if (io_done_.wait_for(std::chrono::seconds(5)) != std::future_status::ready) ioc_.stop();
    io_.join();
  }

  Tally& tally_;
  const pid_t gateway_;
  const int n_;
  BrokerInfo info_;
  std::vector<Member> sender_;
  std::uint64_t sent_ = 0;
  net::io_context ioc_{1};
  std::vector<std::unique_ptr<Tab>> tabs_;  // after ioc_: destroyed before it
  std::thread io_;
  std::future<void> io_done_;
  std::atomic<std::int64_t> last_rx_ns_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int joined_ = 0, problems_ = 0;
  std::string problem_;
  double kib_per_session_ = -1;
};

void Tab::start(const tcp::endpoint& at, std::uint16_t port) {
  beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(20));
  beast::get_lowest_layer(ws_).async_connect(at, [this, port](beast::error_code ec) {
    if (ec) return fail("connect", ec);
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_.async_handshake("127.0.0.1:" + std::to_string(port), "/ws", [this](beast::error_code e) {
      if (e) return fail("handshake", e);
      open_ = true;
      ws_.text(true);
      ws_.async_write(net::buffer(join_), [this](beast::error_code w, std::size_t) {
        if (w) return fail("join", w);
        read();
      });
    });
  });
}

void Tab::read() {
  ws_.async_read(buf_, [this](beast::error_code ec, std::size_t) {
    if (ec) {
      if (open_) fail("read", ec);
      return;
    }
    const auto data = buf_.cdata();
    owner_.on_text(index_, std::string_view(static_cast<const char*>(data.data()), data.size()));
    buf_.consume(buf_.size());
    read();
  });
}

void Tab::close() {
  if (!open_) {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    return;
  }
  open_ = false;  // the read pending ends with the close: not a failure
  ws_.async_close(websocket::close_code::normal, [](beast::error_code) {});
}

void Tab::fail(const char* what, const beast::error_code& ec) {
  open_ = false;
  owner_.on_problem(std::string(what) + ": " + ec.message());
}

class WebSystem final : public System {
 public:
  WebSystem(const WebOptions& o, const ClientConfig& clients) : ctx_(clients.io_threads) {
    ctx_.set(zmq::ctxopt::max_sockets, 65535);
    start_broker(o);
    start_gateway(o);
  }
  ~WebSystem() override {
    if (gateway_) gateway_->stop();
    if (broker_) broker_->stop();
  }

  std::string name() const override { return "charla-web"; }
  pid_t server_pid() const override { return broker_ ? broker_->pid() : -1; }
  bool has_direct() const override { return false; }
  // A flood is not what browsers ask for, and the gateway drops what a tab cannot take in time
  // (docs/web.md, --max-queue): F would measure its shedding, not its delivery.
  bool has_full_rate() const override { return false; }
  std::unique_ptr<FanoutClients> fanout(int subscribers, bool, Tally& tally, Clock::time_point deadline) override {
    const auto prefix = "b" + std::to_string(::getpid() % 1000) + "w" + std::to_string(++rows_) + "_";
    return std::make_unique<WebFanout>(ctx_, at_, http_port_, gateway_->pid(), prefix, subscribers, tally, deadline);
  }
  std::unique_ptr<DirectClients> direct(Clock::time_point) override {
    throw std::runtime_error("charla-web has no D rows");
  }

 private:
  // As CharlaSystem starts its broker: free ports, keeping nothing, no rate limit.
  void start_broker(const WebOptions& o) {
    const auto port_file = o.work_dir + "/web-broker-ports";
    std::vector<std::string> argv{o.broker_path, "--bind", "127.0.0.1", "--port", "0", "--pub-port", "0",
                                  "--port-file", port_file, "--log-level", "warn", "--rate", "0", "--db", ":memory:"};
    argv.insert(argv.end(), o.broker_args.begin(), o.broker_args.end());
    ::unlink(port_file.c_str());
    const auto log = o.work_dir + "/charla-web-broker.log";
    broker_ = std::make_unique<Child>(argv, log);
    const auto text = wait_for_file(port_file, Clock::now() + std::chrono::seconds(10));
    if (!text) throw std::runtime_error("charla-broker did not write its ports (see " + log + ")");
    std::istringstream in(*text);
    in >> at_.port;
  }

  // On 127.0.0.1 and a free port, room for the largest row's tabs.
  void start_gateway(const WebOptions& o) {
    const auto port_file = o.work_dir + "/web-http-port";
    ::unlink(port_file.c_str());
    const auto log = o.work_dir + "/charla-web.log";
    gateway_ = std::make_unique<Child>(
        std::vector<std::string>{o.web_path, "127.0.0.1", std::to_string(at_.port), "--listen", "127.0.0.1",
                                 "--http-port", "0", "--port-file", port_file, "--max-sessions", "5000",
                                 "--log-level", "warn"},
        log);
    const auto text = wait_for_file(port_file, Clock::now() + std::chrono::seconds(10));
    if (!text) throw std::runtime_error("charla-web did not write its port (see " + log + ")");
    int port = 0;
    std::istringstream(*text) >> port;
    if (port <= 0 || port > 65535) throw std::runtime_error("charla-web wrote no port (see " + log + ")");
    http_port_ = static_cast<std::uint16_t>(port);
  }

  zmq::context_t ctx_;
  std::unique_ptr<Child> broker_, gateway_;
  Endpoint at_;
  std::uint16_t http_port_ = 0;
  int rows_ = 0;
};

}  // namespace

std::unique_ptr<System> make_web(const WebOptions& o, const ClientConfig& clients) {
  return std::make_unique<WebSystem>(o, clients);
}

}  // namespace charla::bench
