// Accepts browsers' connections (Beast's chat-multi listener) and starts an
// HttpSession for each; with TLS, after the TLS handshake.
#pragma once

#include "net.hpp"
#include "shared_state.hpp"

#include <memory>
#include <optional>

namespace charla::web {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens at once (throws boost::system::system_error when it cannot).
  Listener(net::io_context& ioc, tcp::endpoint at, SharedState& state, net::ssl::context* tls);
  void run();
  void stop();
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void accept();
  void on_accept(beast::error_code ec, tcp::socket socket);

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  SharedState& state_;
  net::ssl::context* tls_;
  net::steady_timer retry_;
};

}  // namespace charla::web
