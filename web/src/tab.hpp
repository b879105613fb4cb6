// One browser tab's chat, on the broker side: a session of its own at the broker
// (a Connection with its own DEALER and name, fed the broadcasts of the gateway's
// one shared subscription) and the chat core over it, drawn by a WebView. The
// states: joining (no core yet: the broker has not welcomed it), chatting, over.
#pragma once

#include "web_view.hpp"

#include <charla/client/chat_core.hpp>
#include <charla/client/connection.hpp>

#include <cstdint>
#include <deque>
#include <optional>

namespace charla::web {

class Tab {
 public:
  Tab(std::weak_ptr<Session> session, client::Connection::Options options, zmq::context_t& ctx, Memo& memo,
      Outbox& outbox);

  client::Connection& connection() noexcept { return conn_; }
  std::deque<client::Event>& events() noexcept { return events_; }

  // After the connection was served or fed: joins, or hands the core what happened.
  void step();
  void line(const std::string& text);
  // The page said goodbye (or its socket closed cleanly): leave, as /salir does at once.
  void leave();
  // The gateway is stopping: leave without telling the page, which reconnects by itself.
  void leave_quietly();
  // The page missed messages: its whole state again.
  void resync();

  bool over() const noexcept { return over_; }

 private:
  void joined();
  void refused();

  client::Connection conn_;
  WebView view_;
  std::optional<client::ChatCore> core_;
  std::deque<client::Event> events_;
  bool over_ = false;
  bool quiet_ = false;  // no bye for the page
};

}  // namespace charla::web
