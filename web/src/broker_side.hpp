// The gateway's side towards the broker: one thread that owns every ZeroMQ socket
// (as the GTK window's network thread does), so that the asio thread, which owns
// the browsers' sockets, never waits on the broker and the broker's side never
// waits on a browser.
//
// It holds the one shared subscription (an observer Connection with `feed`) and a
// Tab per browser tab (its own session at the broker, without a SUB of its own);
// every published message the subscription receives is handed to each tab.
//
// asio -> here: the calls below queue a command and wake the loop (an eventfd it
// polls beside the ZeroMQ sockets). Here -> asio: what the tabs' views produced in
// one turn of the loop is posted to the io_context as one closure.
#pragma once

#include "tab.hpp"
#include "web_view.hpp"

#include <charla/client/connection.hpp>

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace charla::web {

class BrokerSide {
 public:
  struct Settings {
    client::Connection::Options broker;  // host, port, timeout, CURVE keys
    bool give_address = false;           // send each user's own address in hello (a trusted gateway)
  };

  // Watches the broker (the shared subscription) before returning: throws
  // client::JoinFailed if it cannot, with one readable sentence.
  BrokerSide(boost::asio::io_context& ioc, Settings settings);
  ~BrokerSide();
  BrokerSide(const BrokerSide&) = delete;
  BrokerSide& operator=(const BrokerSide&) = delete;

  // From the asio thread. `id` is the socket's, unique for the gateway's life.
  void join(std::uint64_t id, std::weak_ptr<Session> session, std::string name, std::string ip);
  void line(std::uint64_t id, std::string text);
  void leave(std::uint64_t id);   // the page said goodbye: bye to the broker, which tells everyone
  void drop(std::uint64_t id);    // the socket died without a word: the broker will find the user lost
  void resync(std::uint64_t id);  // the page missed messages: its state again
  // Every tab leaves (at most a couple of seconds); then `done` runs on the asio thread.
  void shutdown(std::function<void()> done);

  std::size_t tabs() const noexcept { return tab_count_.load(std::memory_order_relaxed); }
  // The thread stopped on an error (logged); the io_context was told to stop.
  bool failed() const noexcept { return failed_.load(); }
  const msg::Welcome& broker() const noexcept { return welcome_; }

 private:
  struct Join { std::weak_ptr<Session> session; std::string name, ip; };
  struct Line { std::string text; };
  struct Leave {};
  struct Drop {};
  struct Resync {};
  struct Command { std::uint64_t id; std::variant<Join, Line, Leave, Drop, Resync> what; };

  void submit(Command c);
  void run();
  void loop();
  void take_commands();
  void on_command(Command& c);
  void serve_feed(const std::vector<zmq::pollitem_t>& items, std::size_t count);
  void post_outbox();

  boost::asio::io_context& ioc_;
  Settings settings_;
  zmq::context_t ctx_;
  std::unique_ptr<client::Connection> feed_;
  msg::Welcome welcome_;
  int wake_fd_ = -1;

  // The loop's own (the broker side's thread).
  std::map<std::uint64_t, std::unique_ptr<Tab>> tabs_;
  Memo memo_;
  Outbox outbox_;
  std::vector<msg::Message> published_;  // this turn's, for every tab

  std::mutex mutex_;
  std::vector<Command> commands_;        // guarded by mutex_
  std::function<void()> on_shutdown_;    // guarded by mutex_
  bool shutting_down_ = false;           // guarded by mutex_
  std::atomic<std::size_t> tab_count_{0};
  std::atomic<bool> failed_{false};
  std::thread thread_;
};

}  // namespace charla::web
