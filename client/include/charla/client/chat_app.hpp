// The console frontend of the chat core (chat_core.hpp): readline on a
// terminal or lines from a pipe, and every event printed as one line, with a
// timestamp, marks and (on a terminal) colours.
#pragma once

#include <charla/client/chat_core.hpp>
#include <charla/client/connection.hpp>
#include <charla/client/terminal.hpp>

#include <string>

namespace charla::client {

class ChatApp : private ChatView {
 public:
  ChatApp(Connection& conn, Console& console);

  // Runs until /salir, end of input, or a signal on signal_fd. Returns the exit code.
  int run(int signal_fd);

 private:
  // ChatView: how the console shows what the core says.
  void message(std::uint64_t ts_ms, const std::string& from, const std::string& text, bool mine) override;
  void private_message(std::uint64_t ts_ms, const std::string& peer, const std::string& text, bool outgoing) override;
  void waiting_private_message(std::uint64_t ts_ms, const std::string& from, const std::string& text) override;
  void history(Past kind, const std::vector<msg::Kept>& kept) override;
  void notice(const std::string& text) override;
  void error(const std::string& text) override;
  void help(const std::vector<std::string>& lines) override;
  void link_state(const Link& link) override;
  void own_status(msg::Status status, bool by_idleness) override;
  bool name_taken(const std::string& name) override;

  void read_pipe();
  std::string stamp(std::uint64_t ts_ms) const;
  std::string prompt() const;

  Connection& conn_;
  Console& console_;
  ChatCore core_;
  std::string stdin_buf_;
};

}  // namespace charla::client
