// The console client's behaviour: what the user's lines do, and how each
// event from the broker is shown.
#pragma once

#include <charla/client/commands.hpp>
#include <charla/client/connection.hpp>
#include <charla/client/roster.hpp>
#include <charla/client/terminal.hpp>

#include <optional>
#include <set>
#include <string>

namespace charla::client {

class ChatApp : public RosterView {
 public:
  ChatApp(Connection& conn, Console& console);

  // Runs until /salir, end of input, or a signal on signal_fd. Returns the exit code.
  int run(int signal_fd);

 private:
  void on_line(const std::string& line);
  void on_event(Event& e);
  void on_message(msg::Decoded& d);
  void roster_changed(const msg::Presence& p) override;
  void show_users(const msg::Users& u);
  void show_private_sent(const msg::Whisper& w);
  void send_numbered(msg::Message m);
  void request(const msg::Message& m, std::uint64_t id);
  void rename(const std::string& name);
  void read_pipe();
  void finish();  // end of input or /salir: leave once what was sent has come back
  bool finished() const;
  void quit();    // leave now
  void system(const std::string& text);
  void error(const std::string& text);
  std::string prompt() const;
  std::string who(const std::string& name) const;
  std::vector<std::string> complete(std::string_view word, bool first) const;

  Connection& conn_;
  Console& console_;
  std::string me_;
  msg::Status my_status_ = msg::Status::activo;
  Roster roster_;
  std::string stdin_buf_;
  // What the user sent that has not come back yet: own broadcasts (by number),
  // replies to requests, a status change.
  std::set<std::uint64_t> echoes_;
  unsigned replies_ = 0;
  std::optional<msg::Status> status_wanted_;
  bool told_offline_ = false;  // "will be sent when back" said once per outage
  bool name_lost_ = false;     // our name is someone else's: waiting for /nombre
  bool finishing_ = false, quitting_ = false, done_ = false;
  int exit_code_ = 0;
  Clock::time_point deadline_{};
};

}  // namespace charla::client
