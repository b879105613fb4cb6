#include "listener.hpp"

#include "http_session.hpp"

#include <spdlog/spdlog.h>

namespace charla::web {
namespace {

constexpr int kSendBuffer = 64 * 1024;  // the kernel doubles it

}  // namespace

Listener::Listener(net::io_context& ioc, tcp::endpoint at, SharedState& state, net::ssl::context* tls)
    : ioc_(ioc), acceptor_(ioc), state_(state), tls_(tls), retry_(ioc) {
  acceptor_.open(at.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(at);
  acceptor_.listen(net::socket_base::max_listen_connections);
}

void Listener::run() { accept(); }

void Listener::stop() {
  beast::error_code ec;
  acceptor_.close(ec);
  retry_.cancel();
}

void Listener::accept() {
  acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of file descriptors (or memory): wait a moment instead of spinning; the
    // connections open now will end by their own timeouts.
    spdlog::warn("no se pudo aceptar una conexión: {}", ec.message());
    retry_.expires_after(std::chrono::milliseconds(200));
    retry_.async_wait([self = shared_from_this()](beast::error_code e) {
      if (!e) self->accept();
    });
    return;
  }
  // What the kernel holds for one browser is bounded too: besides the gateway's own
  // queue (Limits::max_queue), at most this much of its socket's send buffer.
  beast::error_code ignored;
  socket.set_option(net::socket_base::send_buffer_size(kSendBuffer), ignored);
  socket.set_option(tcp::no_delay(true), ignored);
  if (tls_ == nullptr) {
    std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(socket)), state_)->run();
  } else {
    auto stream = std::make_shared<TlsStream>(std::move(socket), *tls_);
    beast::get_lowest_layer(*stream).expires_after(std::chrono::seconds(10));
    stream->async_handshake(net::ssl::stream_base::server, [stream, &state = state_](beast::error_code e) {
      if (e) return;  // not TLS, or a handshake that failed: nothing to say over it
      std::make_shared<HttpSession<TlsStream>>(std::move(*stream), state)->run();
    });
  }
  accept();
}

}  // namespace charla::web
