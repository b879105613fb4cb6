// charla-monitor's behaviour: who is online (a snapshot), then every presence
// change with time and IP, as aligned rows or one JSON object per line. The
// roster (roster.hpp) keeps the list exact; this only shows it.
#pragma once

#include <charla/client/connection.hpp>
#include <charla/client/roster.hpp>
#include <charla/client/terminal.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace charla::client {

class Monitor : public RosterView {
 public:
  Monitor(Connection& conn, Console& console, bool json);

  // Shows the connection and asks for the first snapshot; call after conn.start().
  void begin();
  // Waits up to max_wait for the connection, then shows what happened.
  void step(milliseconds max_wait);
  // begin(), then step() until signal_fd is readable. Returns the exit code.
  int run(int signal_fd);

 private:
  void on_event(const Event& e);
  void history(const msg::Chats& c);
  void roster_snapshot(const msg::Users& u) override;
  void roster_changed(const msg::Presence& p) override;
  void roster_gap(std::uint64_t last, std::uint64_t seen) override;
  void row(const std::string& time, const std::string& event, const std::string& user, std::string_view status,
           const std::string& ip, const std::string& extra);
  void note(const char* event, const std::string& text);
  void line(Color c, const std::string& text);
  void emit(const nlohmann::ordered_json& j);

  Connection& conn_;
  Console& console_;
  const bool json_;
  Roster roster_;
  std::vector<zmq::pollitem_t> extra_;
  std::deque<Event> events_;
};

}  // namespace charla::client
