// The console client's behaviour: what the user's lines do, and how each
// event from the broker is shown.
#pragma once

#include <charla/client/commands.hpp>
#include <charla/client/connection.hpp>
#include <charla/client/roster.hpp>
#include <charla/client/terminal.hpp>

#include <optional>
#include <string>

namespace charla::client {

class ChatApp : public RosterView {
 public:
  ChatApp(Connection& conn, Console& console, std::string name);

  // Runs until /salir, end of input, or a signal on signal_fd. Returns the exit code.
  int run(int signal_fd);

 private:
  void on_line(const std::string& line);
  void on_event(Event& e);
  void on_message(msg::Decoded& d);
  void roster_changed(const msg::Presence& p) override;
  void show_users(const msg::Users& u);
  void read_pipe();
  void quit();
  void system(const std::string& text);
  void error(const std::string& text);
  std::string prompt() const;
  std::string who(const std::string& name) const;
  std::vector<std::string> complete(std::string_view word, bool first) const;

  Connection& conn_;
  Console& console_;
  const std::string me_;
  msg::Status my_status_ = msg::Status::activo;
  Roster roster_;
  std::string stdin_buf_;
  bool quitting_ = false;
  bool done_ = false;
  Clock::time_point quit_deadline_{};
};

}  // namespace charla::client
