#include "chat_thread.hpp"

#include <stdexcept>
#include <system_error>
#include <utility>

#include <sys/eventfd.h>
#include <unistd.h>

namespace charla::gtk {

using client::ChatView;
using client::Link;
using client::OnlineUser;

// The core's ChatView in the network thread: copies each call and hands it to
// the window's ChatView in the GUI thread, in order.
class ChatThread::Relay : public ChatView {
 public:
  explicit Relay(ChatThread& t) : t_(t) {}
  void message(std::uint64_t ts, const std::string& from, const std::string& text, bool mine) override {
    t_.post([v = &t_.view_, ts, from, text, mine] { v->message(ts, from, text, mine); });
  }
  void private_message(std::uint64_t ts, const std::string& peer, const std::string& text, bool outgoing) override {
    t_.post([v = &t_.view_, ts, peer, text, outgoing] { v->private_message(ts, peer, text, outgoing); });
  }
  void notice(const std::string& text) override {
    t_.post([v = &t_.view_, text] { v->notice(text); });
  }
  void error(const std::string& text) override {
    t_.post([v = &t_.view_, text] { v->error(text); });
  }
  void help(const std::vector<std::string>& lines) override {
    t_.post([v = &t_.view_, lines] { v->help(lines); });
  }
  void link_state(const Link& link) override {
    t_.post([v = &t_.view_, link] { v->link_state(link); });
  }
  void own_status(msg::Status status, bool by_idleness) override {
    t_.post([v = &t_.view_, status, by_idleness] { v->own_status(status, by_idleness); });
  }
  void users_changed(const std::vector<OnlineUser>& users) override {
    t_.post([v = &t_.view_, users] { v->users_changed(users); });
  }
  void user_info(const msg::UserInfo& info) override {
    t_.post([v = &t_.view_, info] { v->user_info(info); });
  }
  // The window always lets its user choose another name (/nombre).
  bool name_taken(const std::string& name) override {
    t_.post([v = &t_.view_, name] { (void)v->name_taken(name); });
    return true;
  }

 private:
  ChatThread& t_;
};

ChatThread::ChatThread(client::Connection::Options options, ChatView& view, Callbacks callbacks)
    : view_(view), callbacks_(std::move(callbacks)) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  dispatcher_.connect(sigc::mem_fun(*this, &ChatThread::deliver));
  thread_ = std::thread([this, o = std::move(options)]() mutable { run(std::move(o)); });
}

ChatThread::~ChatThread() {
  leave();
  if (thread_.joinable()) thread_.join();
  ::close(wake_fd_);
}

void ChatThread::line(std::string text) {
  {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(text));
  }
  wake();
}

void ChatThread::leave() {
  {
    std::lock_guard lock(mutex_);
    leave_ = true;
  }
  wake();
}

void ChatThread::wake() {
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void ChatThread::post(std::function<void()> f) {
  {
    std::lock_guard lock(mutex_);
    to_gui_.push_back(std::move(f));
  }
  dispatcher_.emit();
}

void ChatThread::deliver() {
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(to_gui_);
  }
  for (auto& f : batch) f();
}

void ChatThread::run(client::Connection::Options options) {
  const auto name = options.name;
  client::Connection conn(std::move(options));
  try {
    conn.start();
  } catch (const std::exception& e) {
    return post([this, why = std::string(e.what())] { callbacks_.failed(why); });
  }
  post([this] { callbacks_.joined(); });
  Relay relay(*this);
  client::ChatCore core(conn, relay);
  core.start();
  std::vector<zmq::pollitem_t> extra{{nullptr, wake_fd_, ZMQ_POLLIN, 0}};
  std::deque<client::Event> events;
  while (!core.done()) {
    conn.poll(client::milliseconds(200), extra, events);
    for (; !events.empty(); events.pop_front()) core.handle(events.front());
    if (extra[0].revents & ZMQ_POLLIN) {
      std::uint64_t n;
      (void)!::read(wake_fd_, &n, sizeof n);
      std::deque<std::string> lines;
      bool leave;
      {
        std::lock_guard lock(mutex_);
        lines.swap(lines_);
        leave = leave_;
      }
      for (const auto& l : lines) core.line(l);
      if (leave) core.quit();
    }
    core.tick();
  }
  post([this, code = core.exit_code()] { callbacks_.finished(code); });
}

}  // namespace charla::gtk
