// A browser tab's ChatView: everything the chat core tells it becomes one message
// of the page's wire format (wire.hpp), queued for the tab's socket. It keeps no
// list of users (takes_changes): the page keeps it, from a snapshot and then one
// change at a time.
//
// One event reaches every tab at once (a broadcast, a join, a status change): the
// Memo keeps the last encoding of each kind, so that it is encoded once and the
// same shared string goes to every socket, never copied per tab.
#pragma once

#include "session.hpp"
#include "wire.hpp"

#include <charla/client/chat_core.hpp>

#include <memory>
#include <utility>
#include <vector>

namespace charla::web {

// What the broker side has for the sockets after one turn of its loop: posted to
// the asio thread in one go. A null message means "finish".
using Outbox = std::vector<std::pair<std::weak_ptr<Session>, Encoded>>;

class Memo {
 public:
  Encoded message(std::uint64_t ts, const std::string& from, const std::string& text, bool mine);
  Encoded notice(const std::string& text);
  Encoded error(const std::string& text);
  Encoded link(const client::Link& l);
  Encoded user(const client::OnlineUser& u, bool online);

 private:
  struct Message { std::uint64_t ts = 0; std::string from, text; Encoded enc; };
  struct User { client::OnlineUser u; bool online = false; Encoded enc; };
  struct Link { client::Link l; Encoded enc; };
  Message message_[2];  // by `mine`
  User user_[2];        // by `me`
  std::pair<std::string, Encoded> notice_, error_;
  Link link_;
};

class WebView final : public client::ChatView {
 public:
  WebView(std::weak_ptr<Session> session, Memo& memo, Outbox& outbox)
      : session_(std::move(session)), memo_(memo), outbox_(outbox) {}

  void send(Encoded m) { outbox_.emplace_back(session_, std::move(m)); }
  void finish() { outbox_.emplace_back(session_, nullptr); }

  void message(std::uint64_t ts, const std::string& from, const std::string& text, bool mine) override;
  void private_message(std::uint64_t ts, const std::string& peer, const std::string& text, bool outgoing) override;
  void notice(const std::string& text) override;
  void error(const std::string& text) override;
  void help(const std::vector<std::string>& lines) override;
  void link_state(const client::Link& link) override;
  void own_status(msg::Status status, bool by_idleness) override;
  void users_changed(const std::vector<client::OnlineUser>& users) override;
  bool takes_changes() const override { return true; }
  void user_changed(const client::OnlineUser& user, bool online) override;
  void user_info(const msg::UserInfo& info) override;
  // A page can always choose another name (/nombre).
  bool name_taken(const std::string&) override { return true; }

 private:
  std::weak_ptr<Session> session_;
  Memo& memo_;
  Outbox& outbox_;
};

}  // namespace charla::web
