// One HTTP connection (Beast's chat-multi http_session): serves the page's files
// with headers that keep it safe (a Content-Security-Policy that forbids inline
// script, no sniffing, no framing), and hands an upgrade to /ws from an allowed
// Origin to a WebsocketSession. Anything else gets a short error.
#pragma once

#include "net.hpp"
#include "shared_state.hpp"

#include <memory>
#include <optional>

namespace charla::web {

template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(Stream&& stream, SharedState& state);
  void run();

 private:
  void read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void upgrade(http::request<http::string_body> req);
  void respond(http::response<http::string_body> res);
  void on_write(bool close, beast::error_code ec, std::size_t bytes);
  void shut();

  Stream stream_;
  SharedState& state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string ip_;
};

// The response to a request for a file of the page (also a 404 or a 405).
http::response<http::string_body> page_response(const http::request<http::string_body>& req);

}  // namespace charla::web
