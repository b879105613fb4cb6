#include "websocket_session.hpp"

#include <charla/msg/names.hpp>
#include <charla/msg/overloaded.hpp>
#include <charla/version.hpp>

#include <spdlog/spdlog.h>

namespace charla::web {

template <class Stream>
WebsocketSession<Stream>::WebsocketSession(Stream&& stream, SharedState& state, std::string ip)
    : ws_(std::move(stream)),
      state_(state),
      ip_(std::move(ip)),
      queue_(state.limits().max_queue),
      lines_(state.limits().line_rate, state.limits().line_burst),
      join_timer_(ws_.get_executor()) {}

template <class Stream>
WebsocketSession<Stream>::~WebsocketSession() {
  if (id_ != 0) state_.close(id_);
}

template <class Stream>
void WebsocketSession<Stream>::run(http::request<http::string_body> req) {
  id_ = state_.open(this->weak_from_this());
  if (id_ == 0) {
    spdlog::warn("{}: demasiadas conexiones sin entrar ({}); rechazada", ip_, state_.limits().max_waiting);
    return;  // the stream closes with this object
  }
  const auto& l = state_.limits();
  websocket::stream_base::timeout t{};
  t.handshake_timeout = std::chrono::seconds(10);
  t.idle_timeout = l.ws_timeout;
  t.keep_alive_pings = true;  // a ping at half the idle time: a live browser answers it
  ws_.set_option(t);
  ws_.read_message_max(l.max_message);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(http::field::server, std::string("charla-web ") + kVersionString);
  }));
  ws_.async_accept(req, beast::bind_front_handler(&WebsocketSession::on_accept, this->shared_from_this()));
}

template <class Stream>
void WebsocketSession<Stream>::on_accept(beast::error_code ec) {
  if (ec) return gone(false);
  ws_.text(true);
  join_timer_.expires_after(state_.limits().join_within);
  join_timer_.async_wait([self = this->weak_from_this()](beast::error_code e) {
    auto s = self.lock();
    if (!e && s && !s->joined_) s->close(websocket::close_code::policy_error, "no entraste a tiempo");
  });
  read();
}

template <class Stream>
void WebsocketSession<Stream>::read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&WebsocketSession::on_read, this->shared_from_this()));
}

template <class Stream>
void WebsocketSession<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec) return gone(ec == websocket::error::closed);
  if (!ws_.got_text()) {
    send(out::error("la página debe enviar texto (JSON), no datos binarios"));
  } else {
    const auto data = buffer_.data();
    on_message(std::string_view(static_cast<const char*>(data.data()), data.size()));
  }
  buffer_.consume(buffer_.size());
  if (!ended_) read();
}

template <class Stream>
void WebsocketSession<Stream>::on_message(std::string_view text) {
  auto m = decode_page(text);
  std::visit(msg::overloaded{
                 [&](page::Join& j) { on_join(std::move(j.name)); },
                 [&](page::Line& l) { on_line(std::move(l.text)); },
                 [&](page::Leave&) {
                   if (!joined_) return close(websocket::close_code::normal, "adiós");
                   state_.broker().leave(id_);  // the tab says bye, then finish() closes
                 },
                 [&](page::Bad& b) { send(out::error("mensaje no válido de la página: " + b.why)); },
             },
             m);
}

template <class Stream>
void WebsocketSession<Stream>::on_join(std::string name) {
  if (joined_ || finishing_) return send(out::error("ya has entrado"));
  if (const auto problem = msg::name_problem(name); !problem.empty()) {
    send(out::refused("name_invalid", "nombre no válido: " + problem));
    return finish();
  }
  if (!state_.join(id_)) {
    spdlog::warn("{}: {} no puede entrar: ya hay {} sesiones", ip_, name, state_.limits().max_sessions);
    send(out::refused("server_full", "el servidor web está lleno; inténtalo más tarde"));
    return finish();
  }
  joined_ = true;
  join_timer_.cancel();
  state_.broker().join(id_, this->weak_from_this(), std::move(name), ip_);
}

template <class Stream>
void WebsocketSession<Stream>::on_line(std::string text) {
  if (!joined_) return send(out::error("primero entra con un nombre"));
  if (!lines_.take()) {
    const auto now = TokenBucket::Clock::now();
    if (now - told_slow_ >= std::chrono::seconds(1)) {
      told_slow_ = now;
      send(out::error("demasiados mensajes seguidos; se descartaron los que sobraban"));
    }
    return;
  }
  state_.broker().line(id_, std::move(text));
}

template <class Stream>
void WebsocketSession<Stream>::deliver(const Encoded& m) {
  if (!finishing_) send(m);
}

template <class Stream>
void WebsocketSession<Stream>::send(Encoded m) {
  if (ended_ || closing_) return;
  (void)queue_.push(std::move(m));  // over the bound: dropped, counted, and told later
  write();
}

template <class Stream>
void WebsocketSession<Stream>::write() {
  if (writing_ || ended_ || closing_) return;
  if (queue_.empty()) {
    if (finishing_) close(websocket::close_code::normal, "fin");
    return;
  }
  writing_ = true;
  ws_.async_write(net::buffer(*queue_.front()),
                  beast::bind_front_handler(&WebsocketSession::on_write, this->shared_from_this()));
}

template <class Stream>
void WebsocketSession<Stream>::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (ec) return gone(false);
  if (queue_.pop() && joined_) state_.broker().resync(id_);  // it missed some: its state again
  write();
}

template <class Stream>
void WebsocketSession<Stream>::finish() {
  finishing_ = true;
  write();
}

template <class Stream>
void WebsocketSession<Stream>::close(websocket::close_code code, const char* why) {
  if (closing_ || ended_) return;
  closing_ = true;
  join_timer_.cancel();
  ws_.async_close(websocket::close_reason(code, why), [self = this->shared_from_this()](beast::error_code) {});
}

template <class Stream>
void WebsocketSession<Stream>::gone(bool goodbye) {
  if (ended_) return;
  ended_ = true;
  join_timer_.cancel();
  if (joined_ && !finishing_) {
    if (goodbye) {
      state_.broker().leave(id_);
    } else {
      spdlog::info("{}: la conexión del navegador se cortó sin despedirse", ip_);
      state_.broker().drop(id_);
    }
  }
  state_.close(id_);
  id_ = 0;
}

template class WebsocketSession<PlainStream>;
template class WebsocketSession<TlsStream>;

}  // namespace charla::web
