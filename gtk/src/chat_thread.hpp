// The network side of the window: a thread that owns the Connection and the
// chat core (client library) and runs the poll loop, so that the GUI never
// waits on the network — not while joining, not while the broker is down.
//
// GUI → network: lines typed and "leave now" go into a queue, and an eventfd
// that the poll loop watches beside the ZeroMQ sockets wakes it at once.
// Network → GUI: every call of the core on its ChatView, and the thread's own
// news (joined, could not join, finished), is copied into a closure queued for
// the GTK main loop and announced with a Glib::Dispatcher; the window's
// ChatView runs there. Nothing else crosses: the ZeroMQ sockets stay in the
// network thread, GTK in the main one.
#pragma once

#include <charla/client/chat_core.hpp>

#include <glibmm/dispatcher.h>

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace charla::gtk {

class ChatThread {
 public:
  struct Callbacks {  // run in the GUI thread
    std::function<void()> joined;
    std::function<void(const std::string& why)> failed;  // could not join; the thread has ended
    std::function<void(int exit_code)> finished;         // left (or gave up); the thread has ended
  };

  // Starts joining at once. `view` lives in the GUI thread and outlives this.
  ChatThread(client::Connection::Options options, client::ChatView& view, Callbacks callbacks);
  // Leaves if still there (waits for it: about two seconds at most) and joins the thread.
  ~ChatThread();
  ChatThread(const ChatThread&) = delete;
  ChatThread& operator=(const ChatThread&) = delete;

  // GUI thread: a line the user typed, for the core.
  void line(std::string text);
  // GUI thread: leave now (window closed, Ctrl-Q, SIGTERM).
  void leave();

 private:
  class Relay;
  void run(client::Connection::Options options);
  void post(std::function<void()> f);  // network thread → GUI thread
  void deliver();                       // GUI thread: runs what was posted
  void wake();

  client::ChatView& view_;
  Callbacks callbacks_;
  Glib::Dispatcher dispatcher_;
  int wake_fd_ = -1;
  std::mutex mutex_;
  std::deque<std::function<void()>> to_gui_;  // guarded by mutex_
  std::deque<std::string> lines_;             // guarded by mutex_
  bool leave_ = false;                        // guarded by mutex_
  std::thread thread_;
};

}  // namespace charla::gtk
