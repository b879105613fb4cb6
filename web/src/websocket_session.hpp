// One browser's WebSocket (Beast's chat-multi websocket_session): reads what the
// page sends, one message at a time, and writes what the broker side sends it,
// one message at a time from a queue bounded in bytes (send_queue.hpp).
//
// Its life: waiting (upgraded, not joined: closed if it does not join within
// Limits::join_within), chatting (joined: a tab on the broker side), finishing
// (the chat is over: close once the queue is written). A close frame from the
// page is a goodbye (the user leaves); any other end (reset, timeout, a frame
// that breaks the protocol or a limit) is a silent death, and the broker reports
// the user lost after its expiry.
#pragma once

#include "net.hpp"
#include "rate.hpp"
#include "send_queue.hpp"
#include "session.hpp"
#include "shared_state.hpp"

#include <memory>
#include <string>

namespace charla::web {

template <class Stream>
class WebsocketSession final : public Session, public std::enable_shared_from_this<WebsocketSession<Stream>> {
 public:
  WebsocketSession(Stream&& stream, SharedState& state, std::string ip);
  ~WebsocketSession() override;

  // Accepts the upgrade the http session read.
  void run(http::request<http::string_body> req);

  void deliver(const Encoded& m) override;
  void finish() override;

 private:
  void on_accept(beast::error_code ec);
  void read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void on_message(std::string_view text);
  void on_join(std::string name);
  void on_line(std::string text);
  void send(Encoded m);
  void write();
  void on_write(beast::error_code ec, std::size_t bytes);
  void close(websocket::close_code code, const char* why);
  void gone(bool goodbye);

  websocket::stream<Stream> ws_;
  SharedState& state_;
  const std::string ip_;
  std::uint64_t id_ = 0;
  beast::flat_buffer buffer_;
  SendQueue queue_;
  TokenBucket lines_;
  net::steady_timer join_timer_;
  TokenBucket::Clock::time_point told_slow_{};
  bool joined_ = false, writing_ = false, finishing_ = false, closing_ = false, ended_ = false;
};

}  // namespace charla::web
