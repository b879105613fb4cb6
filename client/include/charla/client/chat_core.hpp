// The chat as its user lives it, whatever draws it (HexChat's src/common with
// its fe.h): what a typed line does, what each event of the connection means
// for the user — a broadcast, a private message received or accepted by the
// broker, a notice, an error —, who is online, the user's own status as the
// broker set it, the state of the link, and when it is time to leave. Every
// sentence the user reads in the conversation is made here, once, in Spanish.
//
// A frontend (the console in chat_app.cpp, the GTK window in gtk/) implements
// ChatView, feeds the core its user's lines and the connection's events, and
// draws what it is told; it never decides what the protocol means. Text and
// names from others reach the view already made harmless (msg::printable);
// the view shows them as text, never as markup.
#pragma once

#include <charla/client/connection.hpp>
#include <charla/client/roster.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace charla::client {

// Someone online, as a list of users shows them.
struct OnlineUser {
  std::string name;
  msg::Status status = msg::Status::activo;
  std::string ip;
  std::uint64_t since = 0;      // connected at, ms since the Unix epoch
  bool idle_by_broker = false;  // INACTIVO because the broker saw no activity, not chosen
  bool me = false;
};

// The link to the broker, as the user is told about it.
struct Link {
  enum class State {
    connected,     // joined at start-up
    reconnecting,  // lost; the connection tries again by itself
    reconnected,   // joined again (resumed: the same session)
    joining,       // joining under a new name (/nombre)
    name_lost,     // our name is someone else's now: /nombre or /salir
  };
  State state = State::connected;
  std::string endpoint;  // "host:port"
  std::string text;      // the sentence for the conversation
  bool resumed = false;
};

class ChatView {
 public:
  virtual ~ChatView() = default;
  // A broadcast (`mine`: the user's own, come back from the broker).
  virtual void message(std::uint64_t ts_ms, const std::string& from, const std::string& text, bool mine) = 0;
  // A private message received from `peer`, or (outgoing) sent to `peer` and accepted by the broker.
  virtual void private_message(std::uint64_t ts_ms, const std::string& peer, const std::string& text,
                               bool outgoing) = 0;
  // A private message that waited for the user to come back (ts_ms: when it was sent).
  virtual void waiting_private_message(std::uint64_t ts_ms, const std::string& from, const std::string& text) {
    private_message(ts_ms, from, "(te esperaba) " + text, false);
  }
  // Broadcasts from the broker's history, oldest first: on joining, for /historial, for
  // /buscar. Shown apart from live ones. The default makes each a notice.
  enum class Past { on_join, more, found };
  virtual void history(Past kind, const std::vector<msg::Kept>& kept);
  // Something happened: a join, a status, an answer to /usuarios or /info.
  virtual void notice(const std::string& text) = 0;
  // Something went wrong, or the user must do something.
  virtual void error(const std::string& text) = 0;
  // The lines of /ayuda, as columns of text.
  virtual void help(const std::vector<std::string>& lines) = 0;
  virtual void link_state(const Link& link) = 0;
  // The user's own status, as the broker assigned it (also by idleness).
  virtual void own_status(msg::Status status, bool by_idleness) { (void)status, (void)by_idleness; }
  // Who is online, whole, after every change (sorted by name).
  virtual void users_changed(const std::vector<OnlineUser>& users) { (void)users; }
  // A view that keeps the list itself and wants only what changed (the web gateway,
  // which would otherwise send each of its tabs the whole list at every change) says
  // so here: then users_changed comes only with a new snapshot, and user_changed with
  // each change (`online` false: the user left or was lost).
  virtual bool takes_changes() const { return false; }
  virtual void user_changed(const OnlineUser& user, bool online) { (void)user, (void)online; }
  // The answer to /info, besides its notice.
  virtual void user_info(const msg::UserInfo& info) { (void)info; }
  // Someone else holds our name now. True: tell the user (Link::State::name_lost)
  // and wait for /nombre; false: the core ends with exit code 1.
  virtual bool name_taken(const std::string& name) { (void)name; return true; }
};

class ChatCore : private RosterView {
 public:
  ChatCore(Connection& conn, ChatView& view);

  // After conn.start(): says so (Link::State::connected) and asks who is online.
  void start();
  // A line the user typed: text, @usuario texto, or a command (commands.hpp).
  void line(const std::string& text);
  // An event of the connection.
  void handle(Event& e);
  // Leave once what was sent has been acknowledged and come back (end of input, /salir).
  void finish();
  // Leave now: confirm what arrived, say bye, wait a moment for the broker's ok.
  void quit();
  // The deadlines of finish() and quit(); call after every poll.
  void tick(Clock::time_point now = Clock::now());

  bool finishing() const noexcept { return finishing_; }
  bool quitting() const noexcept { return quitting_; }
  bool done() const noexcept { return done_; }
  int exit_code() const noexcept { return exit_code_; }
  const std::string& name() const noexcept { return me_; }
  msg::Status status() const noexcept { return my_status_; }
  std::vector<OnlineUser> users() const;
  // Tab completion of commands, @names and status words, from who is online.
  std::vector<std::string> complete(std::string_view word, bool first_word) const;

 private:
  void on_message(msg::Decoded& d);
  void on_link(const link::Lost& l);
  void on_link(const link::Rejoined& r);
  void on_link(const link::NotSent& f);
  void on_link(const link::NameTaken& t);
  void roster_snapshot(const msg::Users& u) override;
  void roster_changed(const msg::Presence& p) override;
  void send_numbered(msg::Message m);
  void request(const msg::Message& m, std::uint64_t id);
  void rename(const std::string& name);
  void show_users();
  OnlineUser online(const std::string& key, const msg::UserEntry& e) const;
  void show_history(std::uint64_t id, const msg::Chats& c);
  bool settled() const;  // everything the user sent has come back
  bool mine(const std::string& name) const;
  std::string endpoint() const;

  Connection& conn_;
  ChatView& view_;
  std::string me_;
  msg::Status my_status_ = msg::Status::activo;
  Roster roster_;
  std::set<std::string> idle_;  // folded names made INACTIVO by idleness
  // What the user sent that has not come back yet: own broadcasts (by number),
  // replies to requests, a status change.
  std::set<std::uint64_t> echoes_;
  unsigned replies_ = 0;
  std::optional<msg::Status> status_wanted_;
  std::uint64_t oldest_shown_ = 0;  // the oldest broadcast of the history shown (hid), for /historial
  std::map<std::uint64_t, std::string> held_;  // private messages waiting for their target, by number
  bool told_offline_ = false;  // "will be sent when back" said once per outage
  bool name_lost_ = false;     // our name is someone else's: waiting for /nombre
  bool finishing_ = false, quitting_ = false, done_ = false;
  int exit_code_ = 0;
  Clock::time_point deadline_{};
};

}  // namespace charla::client
