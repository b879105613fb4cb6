#include "http_session.hpp"

#include "address.hpp"
#include "page_files.hpp"
#include "websocket_session.hpp"

#include <charla/version.hpp>

#include <spdlog/spdlog.h>

namespace charla::web {
namespace {

constexpr auto kRequestTime = std::chrono::seconds(30);
constexpr std::uint32_t kMaxRequest = 8 * 1024;

// Only the gateway's own files and WebSocket; no inline script or style, no framing.
constexpr const char* kPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

http::response<http::string_body> plain(const http::request<http::string_body>& req, http::status status,
                                        std::string text) {
  http::response<http::string_body> res{status, req.version()};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = std::move(text) + "\n";
  return res;
}

}  // namespace

http::response<http::string_body> page_response(const http::request<http::string_body>& req) {
  http::response<http::string_body> res;
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    res = plain(req, http::status::method_not_allowed, "método no permitido");
    res.set(http::field::allow, "GET, HEAD");
  } else if (const auto* f = page_file(req.target())) {
    res = {http::status::ok, req.version()};
    res.set(http::field::content_type, f->type);
    if (req.method() == http::verb::get) res.body() = std::string(f->body);
  } else {
    res = plain(req, http::status::not_found, "no existe");
  }
  res.set(http::field::server, std::string("charla-web ") + kVersionString);
  res.set("Content-Security-Policy", kPolicy);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.set(http::field::cache_control, "no-cache");
  res.content_length(req.method() == http::verb::head && res.result() == http::status::ok
                         ? page_file(req.target())->body.size()
                         : res.body().size());
  res.keep_alive(req.keep_alive());
  return res;
}

template <class Stream>
HttpSession<Stream>::HttpSession(Stream&& stream, SharedState& state) : stream_(std::move(stream)), state_(state) {
  beast::error_code ec;
  const auto peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
  ip_ = ec ? "?" : peer.address().to_string();
}

template <class Stream>
void HttpSession<Stream>::run() {
  read();
}

template <class Stream>
void HttpSession<Stream>::read() {
  parser_.emplace();
  parser_->header_limit(kMaxRequest);
  parser_->body_limit(kMaxRequest);
  beast::get_lowest_layer(stream_).expires_after(kRequestTime);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) return shut();
  if (ec) return;  // a timeout, a reset, or a request over the limits: just close
  auto req = parser_->release();
  if (websocket::is_upgrade(req)) return upgrade(std::move(req));
  respond(page_response(req));
}

template <class Stream>
void HttpSession<Stream>::upgrade(http::request<http::string_body> req) {
  if (req.target() != "/ws") return respond(plain(req, http::status::not_found, "no existe"));
  const auto& policy = state_.policy();
  const auto origin = req[http::field::origin];
  if (!origin_allowed(origin, req[http::field::host], kTls<Stream>, policy.origins)) {
    spdlog::warn("{}: WebSocket rechazado desde el origen '{}'", ip_, std::string(origin));
    auto res = plain(req, http::status::forbidden, "origen no permitido");
    res.keep_alive(false);
    return respond(std::move(res));
  }
  const auto ip = client_address(ip_, req["X-Forwarded-For"], policy.trust_forwarded_for);
  beast::get_lowest_layer(stream_).expires_never();  // the WebSocket keeps time itself
  std::make_shared<WebsocketSession<Stream>>(std::move(stream_), state_, ip)->run(std::move(req));
}

template <class Stream>
void HttpSession<Stream>::respond(http::response<http::string_body> res) {
  const bool close = res.need_eof();
  auto sp = std::make_shared<http::response<http::string_body>>(std::move(res));
  http::async_write(stream_, *sp,
                    [self = this->shared_from_this(), sp, close](beast::error_code ec, std::size_t n) {
                      self->on_write(close, ec, n);
                    });
}

template <class Stream>
void HttpSession<Stream>::on_write(bool close, beast::error_code ec, std::size_t) {
  if (ec) return;
  if (close) return shut();
  read();
}

template <class Stream>
void HttpSession<Stream>::shut() {
  beast::error_code ec;
  if constexpr (kTls<Stream>) {
    stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
  } else {
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

}  // namespace charla::web
