#include "tab.hpp"

#include <spdlog/spdlog.h>

namespace charla::web {

Tab::Tab(std::weak_ptr<Session> session, client::Connection::Options options, zmq::context_t& ctx, Memo& memo,
         Outbox& outbox)
    : conn_(std::move(options), ctx), view_(std::move(session), memo, outbox) {
  conn_.begin();
}

void Tab::step() {
  if (over_) return;
  if (!core_) {
    switch (conn_.starting()) {
      case client::Connection::Start::pending: return;
      case client::Connection::Start::failed: return refused();
      case client::Connection::Start::joined: joined(); break;
    }
  }
  for (; !events_.empty(); events_.pop_front()) core_->handle(events_.front());
  core_->tick();
  if (core_->done()) {
    if (!quiet_) {
      view_.send(out::bye());
      view_.finish();
    }
    over_ = true;
  }
}

void Tab::joined() {
  const auto& w = conn_.welcome();
  view_.send(out::joined(conn_.name(), w.server, w.max_text));
  core_.emplace(conn_, view_);
  core_->start();
}

void Tab::refused() {
  const auto& f = *conn_.failure();
  if (f.code == msg::ErrorCode::forbidden) {
    spdlog::error("el servidor no acepta que esta pasarela dé la dirección de sus usuarios: añade su clave pública a "
                  "--gateway-keys del servidor");
  }
  view_.send(out::refused(f.code ? msg::to_string(*f.code) : "unreachable", f.what()));
  view_.finish();
  over_ = true;
}

void Tab::line(const std::string& text) {
  if (core_ && !over_) core_->line(text);
}

void Tab::leave() {
  if (!core_) {
    over_ = true;  // still joining: nothing to say goodbye to
    return;
  }
  core_->quit();
}

void Tab::leave_quietly() {
  quiet_ = true;
  leave();
}

void Tab::resync() {
  if (!core_ || over_) return;
  view_.users_changed(core_->users());
  view_.own_status(core_->status(), false);
}

}  // namespace charla::web
