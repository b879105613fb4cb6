#include "nats.hpp"

#include "nats_loop.hpp"

#include <fstream>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace charla::bench {
namespace {

void check(natsStatus s, const char* what) {
  if (s != NATS_OK) throw std::runtime_error(std::string("nats: ") + what + ": " + natsStatus_GetText(s));
}

// natsOptions with a deleter.
struct Options {
  natsOptions* o = nullptr;
  Options(const std::string& url, bool send_asap) {
    check(natsOptions_Create(&o), "options");
    check(natsOptions_SetURL(o, url.c_str()), "url");
    check(natsOptions_SetAllowReconnect(o, false), "reconnect");
    check(natsOptions_SetSendAsap(o, send_asap), "send asap");
  }
  ~Options() { natsOptions_Destroy(o); }
  Options(const Options&) = delete;
  Options& operator=(const Options&) = delete;
};

struct Conn {
  natsConnection* nc = nullptr;
  natsSubscription* sub = nullptr;
  Conn() = default;
  Conn(Conn&& o) noexcept : nc(std::exchange(o.nc, nullptr)), sub(std::exchange(o.sub, nullptr)) {}
  ~Conn() {
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
  }
  // Closes while the event loop still runs (cnats may need it to finish); destroyed later.
  void close() {
    if (nc != nullptr) natsConnection_Close(nc);
  }
  void subscribe(const char* subject) {
    check(natsConnection_SubscribeSync(&sub, nc, subject), "subscribe");
    check(natsSubscription_SetPendingLimits(sub, -1, -1), "pending limits");  // the client never drops either
  }
};

// Calls f for each message the connection's subscription holds.
template <class F>
void drain(NatsWatch& w, F&& f) {
  auto* sub = w.sub.load();
  if (sub == nullptr) return;
  natsMsg* m = nullptr;
  while (natsSubscription_NextMsg(&m, sub, 0) == NATS_OK) {
    f(std::string_view(natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m))));
    natsMsg_Destroy(m);
  }
}

class NatsFanout final : public FanoutClients {
 public:
  NatsFanout(const std::string& url, int n, bool paced, int threads, Tally& tally, Clock::time_point deadline) {
    const int t = std::max(1, std::min(threads, n));
    for (int k = 0; k < t; ++k) {
      loops_.push_back(std::make_unique<NatsLoop>([&tally](NatsWatch& w) {
        drain(w, [&](std::string_view data) { tally.on_payload(w.index, data, now_ns()); });
      }));
      loops_.back()->start();
    }
    for (int i = 0; i < n; ++i) {
      auto& loop = *loops_[static_cast<std::size_t>(i % t)];
      Options o(url, true);
      loop.configure(o.o);
      auto& c = subs_.emplace_back();
      check(natsConnection_Connect(&c.nc, o.o), "connect");
      c.subscribe("chat");
      auto* w = loop.find(c.nc);
      w->index = i;
      w->sub = c.sub;
    }
    for (auto& c : subs_) {  // a PING/PONG after the SUB: the server has registered it
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      check(natsConnection_FlushTimeout(c.nc, std::max<long long>(1, left)), "subscribe confirmation");
    }
    Options po(url, paced);
    check(natsConnection_Connect(&pub_.nc, po.o), "connect the publisher");
  }

  ~NatsFanout() override {
    for (auto& c : subs_) c.close();
    for (auto& l : loops_) l->stop();
    subs_.clear();
  }

  void publish(const Payload& p) override {
    check(natsConnection_Publish(pub_.nc, "chat", p.data(), static_cast<int>(p.size())), "publish");
  }
  void flush(Clock::time_point deadline) override {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    (void)natsConnection_FlushTimeout(pub_.nc, std::max<long long>(1, left));
  }

 private:
  std::vector<std::unique_ptr<NatsLoop>> loops_;
  std::vector<Conn> subs_;
  Conn pub_;
};

// A and B each subscribe to their own subject; B's loop thread publishes back what it gets.
class NatsDirect final : public DirectClients {
 public:
  NatsDirect(const std::string& url, Clock::time_point deadline)
      : loop_a_([this](NatsWatch& w) {
          drain(w, [&](std::string_view d) { got_ = got_ || same_index(d, want_); });
        }),
        loop_b_([this](NatsWatch& w) {
          drain(w, [&](std::string_view d) {
            (void)natsConnection_Publish(b_.nc, "u.a", d.data(), static_cast<int>(d.size()));
          });
        }) {
    for (auto [loop, conn, subject] : {std::tuple{&loop_a_, &a_, "u.a"}, std::tuple{&loop_b_, &b_, "u.b"}}) {
      Options o(url, true);
      loop->configure(o.o);
      loop->start();
      check(natsConnection_Connect(&conn->nc, o.o), "connect");
      conn->subscribe(subject);
      loop->find(conn->nc)->sub = conn->sub;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      check(natsConnection_FlushTimeout(conn->nc, std::max<long long>(1, left)), "subscribe confirmation");
    }
    loop_a_.stop();  // from now on round_trip() runs A's loop
  }
  ~NatsDirect() override {
    loop_a_.start();
    a_.close();
    b_.close();
    loop_a_.stop();
    loop_b_.stop();
  }

  bool round_trip(const Payload& p, Clock::time_point deadline) override {
    want_ = view(p);
    got_ = false;
    check(natsConnection_Publish(a_.nc, "u.b", p.data(), static_cast<int>(p.size())), "publish");
    while (!got_) {
      if (Clock::now() >= deadline) return false;
      loop_a_.run_once(100);
    }
    return true;
  }

 private:
  NatsLoop loop_a_, loop_b_;
  Conn a_, b_;
  std::string_view want_;
  bool got_ = false;
};

class NatsSystem final : public System {
 public:
  NatsSystem(const ClientConfig& c, const std::string& work_dir) : clients_(c) {
    const auto exe = find_program("nats-server");
    if (exe.empty()) throw std::runtime_error("nats-server is not installed (apt-get install nats-server)");
    const auto port = free_port();
    const auto conf = work_dir + "/nats.conf";
    std::ofstream(conf) << "listen: 127.0.0.1:" << port << "\n"
                        << "max_pending: 1073741824\n"   // bytes queued for one client before it is cut off
                        << "write_deadline: \"60s\"\n"  // a write that takes longer cuts the client off
                        << "max_payload: 1048576\n";
    server_ = std::make_unique<Child>(std::vector<std::string>{exe, "-c", conf}, work_dir + "/nats-server.log");
    if (!wait_for_port(port, Clock::now() + std::chrono::seconds(10))) {
      throw std::runtime_error("nats-server did not start (see " + work_dir + "/nats-server.log)");
    }
    url_ = "nats://127.0.0.1:" + std::to_string(port);
    check(nats_Open(-1), "library");
  }
  ~NatsSystem() override {
    server_->stop();
    nats_Close();
  }

  std::string name() const override { return "nats-server"; }
  pid_t server_pid() const override { return server_->pid(); }
  std::unique_ptr<FanoutClients> fanout(int n, bool paced, Tally& tally, Clock::time_point deadline) override {
    return std::make_unique<NatsFanout>(url_, n, paced, clients_.threads, tally, deadline);
  }
  std::unique_ptr<DirectClients> direct(Clock::time_point deadline) override {
    return std::make_unique<NatsDirect>(url_, deadline);
  }

 private:
  ClientConfig clients_;
  std::unique_ptr<Child> server_;
  std::string url_;
};

}  // namespace

std::unique_ptr<System> make_nats(const ClientConfig& clients, const std::string& work_dir) {
  return std::make_unique<NatsSystem>(clients, work_dir);
}

}  // namespace charla::bench
