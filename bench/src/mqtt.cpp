#include "mqtt.hpp"

#include <mosquitto.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <functional>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace charla::bench {
namespace {

void check(int rc, const char* what) {
  if (rc != MOSQ_ERR_SUCCESS) throw std::runtime_error(std::string("mqtt: ") + what + ": " + mosquitto_strerror(rc));
}

// One MQTT client; what its callbacks do is set by its owner.
struct Client {
  mosquitto* m = nullptr;
  int index = -1;
  std::atomic<bool> subscribed{false};
  std::function<void(std::string_view)> on_message;

  Client(const std::string& id, std::uint16_t port) {
    m = mosquitto_new(id.c_str(), true, this);
    if (m == nullptr) throw std::runtime_error("mqtt: mosquitto_new failed");
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_subscribe_callback_set(m, [](mosquitto*, void* self, int, int, const int*) {
      static_cast<Client*>(self)->subscribed = true;
    });
    mosquitto_message_callback_set(m, [](mosquitto*, void* self, const mosquitto_message* msg) {
      auto* c = static_cast<Client*>(self);
      if (c->on_message) c->on_message({static_cast<const char*>(msg->payload), static_cast<std::size_t>(msg->payloadlen)});
    });
    check(mosquitto_connect(m, "127.0.0.1", port, 60), "connect");
  }
  ~Client() {
    mosquitto_disconnect(m);
    mosquitto_destroy(m);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  int fd() const { return mosquitto_socket(m); }
  void subscribe(const char* topic) { check(mosquitto_subscribe(m, nullptr, topic, 0), "subscribe"); }
  // Reads every complete packet the socket holds (libmosquitto reads one per call).
  void read_all() {
    for (int i = 0; i < 4096; ++i) {
      if (mosquitto_loop_read(m, 1) != MOSQ_ERR_SUCCESS) return;
      int pending = 0;
      if (::ioctl(fd(), FIONREAD, &pending) != 0 || pending == 0) return;
    }
  }
  void publish(const char* topic, const void* data, int size) {
    check(mosquitto_publish(m, nullptr, topic, size, data, 0, false), "publish");
    while (mosquitto_want_write(m)) {  // the socket is full: wait until the broker takes more
      pollfd p{fd(), POLLOUT, 0};
      ::poll(&p, 1, 100);
      mosquitto_loop_write(m, 1);
    }
  }
  // Processes packets until `done` or the deadline (used while no thread reads this client).
  template <class Pred>
  void pump_until(Pred done, Clock::time_point deadline, const char* what) {
    while (!done()) {
      if (Clock::now() >= deadline) throw std::runtime_error(std::string("mqtt: ") + what + " timed out");
      pollfd p{fd(), POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) read_all();
    }
  }
};

class MqttFanout final : public FanoutClients {
 public:
  MqttFanout(std::uint16_t port, const std::string& prefix, int n, int threads, Tally& tally,
             Clock::time_point deadline) {
    for (int i = 0; i < n; ++i) {
      auto& c = *subs_.emplace_back(std::make_unique<Client>(prefix + "s" + std::to_string(i), port));
      c.index = i;
      c.on_message = [&tally, i](std::string_view d) { tally.on_payload(i, d, now_ns()); };
      c.subscribe("chat");
    }
    const int t = std::max(1, std::min(threads, n));
    for (int k = 0; k < t; ++k) threads_.emplace_back([this, k, t, n] { receive(k * n / t, (k + 1) * n / t); });
    for (auto& c : subs_) {  // the SUBACK says the broker has the subscription
      while (!c->subscribed) {
        if (Clock::now() >= deadline) throw std::runtime_error("mqtt: not every subscriber got its SUBACK in time");
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
    pub_ = std::make_unique<Client>(prefix + "p", port);
  }
  ~MqttFanout() override {
    stop_ = true;
    for (auto& th : threads_) th.join();
  }
  void publish(const Payload& p) override { pub_->publish("chat", p.data(), static_cast<int>(p.size())); }

 private:
  void receive(int begin, int end) {
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    for (int i = begin; i < end; ++i) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = subs_[static_cast<std::size_t>(i)].get();
      ::epoll_ctl(ep, EPOLL_CTL_ADD, subs_[static_cast<std::size_t>(i)]->fd(), &ev);
    }
    std::array<epoll_event, 64> events{};
    auto next_misc = Clock::now();
    while (!stop_.load(std::memory_order_relaxed)) {
      const int k = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 20);
      for (int i = 0; i < k; ++i) static_cast<Client*>(events[static_cast<std::size_t>(i)].data.ptr)->read_all();
      if (Clock::now() >= next_misc) {  // keepalive pings
        for (int i = begin; i < end; ++i) mosquitto_loop_misc(subs_[static_cast<std::size_t>(i)]->m);
        next_misc = Clock::now() + std::chrono::seconds(1);
      }
    }
    ::close(ep);
  }

  std::vector<std::unique_ptr<Client>> subs_;
  std::unique_ptr<Client> pub_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

// A subscribes to u/a, B to u/b; B's thread publishes back to u/a whatever it gets.
class MqttDirect final : public DirectClients {
 public:
  MqttDirect(std::uint16_t port, const std::string& prefix, Clock::time_point deadline)
      : a_(prefix + "a", port), b_(prefix + "b", port) {
    a_.on_message = [this](std::string_view d) { got_ = got_ || same_index(d, want_); };
    b_.on_message = [this](std::string_view d) { echo_queue_.emplace_back(d); };
    a_.subscribe("u/a");
    b_.subscribe("u/b");
    a_.pump_until([&] { return a_.subscribed.load(); }, deadline, "subscribe");
    b_.pump_until([&] { return b_.subscribed.load(); }, deadline, "subscribe");
    echo_ = std::thread([this] { echo(); });
  }
  ~MqttDirect() override {
    stop_ = true;
    echo_.join();
  }

  bool round_trip(const Payload& p, Clock::time_point deadline) override {
    want_ = view(p);
    got_ = false;
    a_.publish("u/b", p.data(), static_cast<int>(p.size()));
    try {
      a_.pump_until([&] { return got_; }, deadline, "round trip");
    } catch (const std::runtime_error&) {
      return false;
    }
    return true;
  }

 private:
  void echo() {
    while (!stop_.load(std::memory_order_relaxed)) {
      pollfd p{b_.fd(), POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) b_.read_all();
      // Published outside the message callback, where libmosquitto writes at once.
      for (const auto& d : echo_queue_) b_.publish("u/a", d.data(), static_cast<int>(d.size()));
      echo_queue_.clear();
    }
  }

  Client a_, b_;
  std::string_view want_;
  bool got_ = false;
  std::vector<std::string> echo_queue_;
  std::thread echo_;
  std::atomic<bool> stop_{false};
};

class MqttSystem final : public System {
 public:
  MqttSystem(const ClientConfig& c, const std::string& work_dir) : clients_(c) {
    const auto exe = find_program("mosquitto");
    if (exe.empty()) throw std::runtime_error("mosquitto is not installed (apt-get install mosquitto)");
    port_ = free_port();
    const auto conf = work_dir + "/mosquitto.conf";
    std::ofstream(conf) << "listener " << port_ << " 127.0.0.1\n"
                        << "allow_anonymous true\n"
                        << "persistence false\n"
                        << "max_queued_messages 0\n"    // no limit: queue, never drop
                        << "max_queued_bytes 0\n"
                        << "max_inflight_messages 0\n"
                        << "set_tcp_nodelay true\n"     // as ZeroMQ and NATS do
                        << "log_dest stderr\n"
                        << "log_type error\nlog_type warning\n";
    server_ = std::make_unique<Child>(std::vector<std::string>{exe, "-c", conf}, work_dir + "/mosquitto.log");
    if (!wait_for_port(port_, Clock::now() + std::chrono::seconds(10))) {
      throw std::runtime_error("mosquitto did not start (see " + work_dir + "/mosquitto.log)");
    }
    mosquitto_lib_init();
  }
  ~MqttSystem() override {
    server_->stop();
    mosquitto_lib_cleanup();
  }

  std::string name() const override { return "mosquitto"; }
  pid_t server_pid() const override { return server_->pid(); }
  std::unique_ptr<FanoutClients> fanout(int n, bool, Tally& tally, Clock::time_point deadline) override {
    return std::make_unique<MqttFanout>(port_, prefix(), n, clients_.threads, tally, deadline);
  }
  std::unique_ptr<DirectClients> direct(Clock::time_point deadline) override {
    return std::make_unique<MqttDirect>(port_, prefix(), deadline);
  }

 private:
  std::string prefix() { return "bench-r" + std::to_string(++rows_) + "-"; }  // client ids unique per row

  ClientConfig clients_;
  std::unique_ptr<Child> server_;
  std::uint16_t port_ = 0;
  int rows_ = 0;
};

}  // namespace

std::unique_ptr<System> make_mqtt(const ClientConfig& clients, const std::string& work_dir) {
  return std::make_unique<MqttSystem>(clients, work_dir);
}

}  // namespace charla::bench
