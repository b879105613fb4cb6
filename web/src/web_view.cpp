#include "web_view.hpp"

namespace charla::web {
namespace {

bool same(const client::OnlineUser& a, const client::OnlineUser& b) {
  return a.name == b.name && a.status == b.status && a.ip == b.ip && a.since == b.since &&
         a.idle_by_broker == b.idle_by_broker && a.me == b.me;
}

}  // namespace

Encoded Memo::message(std::uint64_t ts, const std::string& from, const std::string& text, bool mine) {
  auto& m = message_[mine ? 1 : 0];
  if (!m.enc || m.ts != ts || m.from != from || m.text != text) m = {ts, from, text, out::message(ts, from, text, mine)};
  return m.enc;
}

Encoded Memo::notice(const std::string& text) {
  if (!notice_.second || notice_.first != text) notice_ = {text, out::notice(text)};
  return notice_.second;
}

Encoded Memo::error(const std::string& text) {
  if (!error_.second || error_.first != text) error_ = {text, out::error(text)};
  return error_.second;
}

Encoded Memo::link(const client::Link& l) {
  const auto& k = link_.l;
  if (!link_.enc || k.state != l.state || k.endpoint != l.endpoint || k.text != l.text || k.resumed != l.resumed) {
    link_ = {l, out::link(l)};
  }
  return link_.enc;
}

Encoded Memo::user(const client::OnlineUser& u, bool online) {
  auto& m = user_[u.me ? 1 : 0];
  if (!m.enc || m.online != online || !same(m.u, u)) m = {u, online, out::user(u, online)};
  return m.enc;
}

void WebView::message(std::uint64_t ts, const std::string& from, const std::string& text, bool mine) {
  send(memo_.message(ts, from, text, mine));
}
void WebView::private_message(std::uint64_t ts, const std::string& peer, const std::string& text, bool outgoing) {
  send(out::private_message(ts, peer, text, outgoing));
}
void WebView::notice(const std::string& text) { send(memo_.notice(text)); }
void WebView::error(const std::string& text) { send(memo_.error(text)); }
void WebView::help(const std::vector<std::string>& lines) { send(out::help(lines)); }
void WebView::link_state(const client::Link& link) { send(memo_.link(link)); }
void WebView::own_status(msg::Status status, bool by_idleness) { send(out::own_status(status, by_idleness)); }
void WebView::users_changed(const std::vector<client::OnlineUser>& users) { send(out::users(users)); }
void WebView::user_changed(const client::OnlineUser& user, bool online) { send(memo_.user(user, online)); }
void WebView::user_info(const msg::UserInfo& info) { send(out::info(info)); }

}  // namespace charla::web
