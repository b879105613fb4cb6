#include "broker_side.hpp"

#include <charla/msg/overloaded.hpp>

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>
#include <system_error>

#include <sys/eventfd.h>
#include <unistd.h>

namespace charla::web {
namespace {

constexpr auto kTurn = std::chrono::milliseconds(50);       // timers of every connection at least this often
constexpr auto kShutdownWait = std::chrono::seconds(3);     // for the tabs' goodbyes

bool is_published(const msg::Message& m) {
  return std::holds_alternative<msg::Chat>(m) || std::holds_alternative<msg::Presence>(m) ||
         std::holds_alternative<msg::Beat>(m) || std::holds_alternative<msg::Shutdown>(m);
}

}  // namespace

BrokerSide::BrokerSide(boost::asio::io_context& ioc, Settings settings)
    : ioc_(ioc), settings_(std::move(settings)), ctx_(1) {
  ctx_.set(zmq::ctxopt::max_sockets, 65535);  // a DEALER per tab, and a handshake monitor while it joins
  auto o = settings_.broker;
  o.name.clear();
  o.feed = true;
  feed_ = std::make_unique<client::Connection>(o, ctx_);
  welcome_ = feed_->start();
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  thread_ = std::thread([this] { run(); });
}

BrokerSide::~BrokerSide() {
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
  }
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  ::close(wake_fd_);
}

void BrokerSide::submit(Command c) {
  {
    std::lock_guard lock(mutex_);
    commands_.push_back(std::move(c));
  }
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void BrokerSide::join(std::uint64_t id, std::weak_ptr<Session> session, std::string name, std::string ip) {
  submit({id, Join{std::move(session), std::move(name), std::move(ip)}});
}
void BrokerSide::line(std::uint64_t id, std::string text) { submit({id, Line{std::move(text)}}); }
void BrokerSide::leave(std::uint64_t id) { submit({id, Leave{}}); }
void BrokerSide::drop(std::uint64_t id) { submit({id, Drop{}}); }
void BrokerSide::resync(std::uint64_t id) { submit({id, Resync{}}); }

void BrokerSide::shutdown(std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    on_shutdown_ = std::move(done);
    shutting_down_ = true;
  }
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void BrokerSide::on_command(Command& c) {
  if (auto* j = std::get_if<Join>(&c.what)) {
    auto o = settings_.broker;
    o.name = j->name;
    o.shared_sub = true;
    if (settings_.give_address) o.ip = j->ip;
    tabs_[c.id] = std::make_unique<Tab>(std::move(j->session), std::move(o), ctx_, memo_, outbox_);
    return;
  }
  const auto it = tabs_.find(c.id);
  if (it == tabs_.end()) return;
  auto& tab = *it->second;
  std::visit(msg::overloaded{
                 [&](Line& l) { tab.line(l.text); },
                 [&](Leave&) { tab.leave(); },
                 [&](Drop&) { tabs_.erase(it); },  // no bye: to the broker, the user vanished
                 [&](Resync&) { tab.resync(); },
                 [&](Join&) {},
             },
             c.what);
}

void BrokerSide::take_commands() {
  std::uint64_t n;
  (void)!::read(wake_fd_, &n, sizeof n);
  std::vector<Command> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(commands_);
  }
  for (auto& c : batch) on_command(c);
}

void BrokerSide::serve_feed(const std::vector<zmq::pollitem_t>& items, std::size_t count) {
  std::deque<client::Event> events;
  feed_->serve(std::span<const zmq::pollitem_t>(items.data() + 1, count), events);
  for (auto& e : events) {
    if (auto* d = std::get_if<msg::Decoded>(&e); d != nullptr && is_published(d->msg)) {
      published_.push_back(std::move(d->msg));
    } else if (auto* l = std::get_if<client::link::Lost>(&e)) {
      spdlog::warn("suscripción compartida perdida: {}; reconectando", l->why);
    } else if (std::holds_alternative<client::link::Rejoined>(e)) {
      spdlog::info("suscripción compartida de nuevo en marcha");
    }
  }
}

void BrokerSide::run() {
  try {
    loop();
  } catch (const std::exception& e) {
    spdlog::critical("el lado del servidor de charla se detuvo: {}", e.what());
    failed_ = true;
    boost::asio::post(ioc_, [&ioc = ioc_] { ioc.stop(); });
  }
}

void BrokerSide::loop() {
  std::vector<zmq::pollitem_t> items;
  std::vector<std::pair<Tab*, std::size_t>> polled;  // each tab's first item and count
  std::optional<std::chrono::steady_clock::time_point> shutdown_deadline;
  for (;;) {
    items.clear();
    polled.clear();
    items.push_back({nullptr, wake_fd_, ZMQ_POLLIN, 0});
    const auto feed_count = feed_->watch(items);
    for (auto& [id, tab] : tabs_) {
      const auto first = items.size();
      polled.emplace_back(tab.get(), first);
      (void)tab->connection().watch(items);
    }
    try {
      zmq::poll(items.data(), items.size(), kTurn);
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
      for (auto& it : items) it.revents = 0;
    }
    serve_feed(items, feed_count);
    for (std::size_t k = 0; k < polled.size(); ++k) {
      auto& [tab, first] = polled[k];
      const auto end = k + 1 < polled.size() ? polled[k + 1].second : items.size();
      auto& conn = tab->connection();
      conn.serve(std::span<const zmq::pollitem_t>(items.data() + first, end - first), tab->events());
      for (const auto& m : published_) conn.feed(m, tab->events());
      tab->step();
    }
    published_.clear();
    if (items[0].revents & ZMQ_POLLIN) take_commands();
    std::erase_if(tabs_, [](const auto& t) { return t.second->over(); });
    tab_count_.store(tabs_.size(), std::memory_order_relaxed);
    post_outbox();

    std::function<void()> done;
    {
      std::lock_guard lock(mutex_);
      if (shutting_down_ && !shutdown_deadline) {
        shutdown_deadline = std::chrono::steady_clock::now() + kShutdownWait;
        for (auto& [id, tab] : tabs_) tab->leave_quietly();
      }
      if (shutdown_deadline && (tabs_.empty() || std::chrono::steady_clock::now() >= *shutdown_deadline)) {
        done = std::move(on_shutdown_);
      } else {
        continue;
      }
    }
    tabs_.clear();
    post_outbox();
    if (done) boost::asio::post(ioc_, std::move(done));
    return;
  }
}

void BrokerSide::post_outbox() {
  if (outbox_.empty()) return;
  boost::asio::post(ioc_, [batch = std::move(outbox_)] {
    for (const auto& [to, m] : batch) {
      if (auto s = to.lock()) {
        if (m) {
          s->deliver(m);
        } else {
          s->finish();
        }
      }
    }
  });
  outbox_.clear();
}

}  // namespace charla::web
