// charla under test: a charla-broker the bench starts on free loopback ports
// (or one given with --connect), and its clients for every workload. Three
// systems share this code: "charla", whose clients send says and whispers
// unnumbered, "charla-acked", whose clients number them and read the acks,
// as the charla client does (docs/protocol.md 2.6), and "charla-history",
// plain charla's clients on a broker that keeps its history in a file. All
// confirm the private messages they receive with got, which the protocol asks
// of every client. The bench's brokers keep nothing (--db :memory:) unless told
// otherwise: a run must not write into the user's own history file.
#pragma once

#include "charla_session.hpp"
#include "row.hpp"
#include "system.hpp"

#include <memory>
#include <string>
#include <vector>

namespace charla::bench {

struct CharlaOptions {
  std::string broker_path;                // the charla-broker binary
  std::vector<std::string> broker_args;   // extra arguments, e.g. --workers 1
  std::optional<Endpoint> connect;        // use this broker instead of starting one
  std::string work_dir;                   // logs and the port file
  bool numbered = false;                  // charla-acked: says and whispers numbered, acks read
  // charla-history: the broker keeps its history in this file (--db), which must
  // not exist yet and is removed, with its WAL, when the system ends. Empty: the
  // broker keeps nothing (--db :memory:), unless broker_args give --db.
  std::string history_file;
};

class CharlaSystem final : public System {
 public:
  CharlaSystem(const CharlaOptions& o, const ClientConfig& clients);
  ~CharlaSystem() override;

  std::string name() const override { return numbered_ ? "charla-acked" : history_file_.empty() ? "charla" : "charla-history"; }
  pid_t server_pid() const override { return broker_ ? broker_->pid() : -1; }
  // A private message to someone online never reaches the store: charla-history has no D rows.
  bool has_direct() const override { return history_file_.empty(); }
  std::unique_ptr<FanoutClients> fanout(int subscribers, bool paced, Tally& tally, Clock::time_point deadline) override;
  std::unique_ptr<DirectClients> direct(Clock::time_point deadline) override;

  // For the connect (C) and presence (P) workloads.
  const Endpoint& endpoint() const noexcept { return at_; }
  zmq::context_t& context() noexcept { return ctx_; }
  const ClientConfig& clients() const noexcept { return clients_; }
  const std::string& work_dir() const noexcept { return work_dir_; }
  // A short prefix that makes this row's user names unique: "b<pid>r<row>_"
  // ("b<pid>n<row>_" for charla-acked, which may share a broker given with --connect;
  // "b<pid>h<row>_" for charla-history).
  std::string next_prefix();
  // Makes a member a talker, a client that sends messages or receives private ones: the
  // client library's delivery bookkeeping, numbering in charla-acked.
  void make_talker(Member& m) const;

 private:
  ClientConfig clients_;
  zmq::context_t ctx_;
  std::unique_ptr<Child> broker_;
  Endpoint at_;
  std::string work_dir_;
  std::string history_file_;
  bool numbered_ = false;
  int rows_ = 0;
};

Row run_connect(CharlaSystem& sys, int clients, Clock::duration budget);
Row run_presence(CharlaSystem& sys, int users, double changes_per_s, double seconds, Clock::duration budget);

}  // namespace charla::bench
