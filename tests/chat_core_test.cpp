// The chat core (client library) that every frontend draws, against a real
// broker in this process: what a typed line becomes, and what the view is told
// — private messages sent and received, the user's own status as the broker
// set it, who is online and who is idle, the link, harmless text.
#include "support/broker_setup.hpp"
#include "support/wait.hpp"

#include <charla/client/chat_core.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace msg = charla::msg;
using namespace charla::test;
using charla::client::ChatCore;
using charla::client::ChatView;
using charla::client::Connection;
using charla::client::Event;
using charla::client::Link;
using charla::client::OnlineUser;

namespace {

// What the core told its view, as lines easy to look for.
struct RecordingView : ChatView {
  void message(std::uint64_t, const std::string& from, const std::string& text, bool mine) override {
    lines.push_back((mine ? "mine " : "chat ") + from + ": " + text);
  }
  void private_message(std::uint64_t, const std::string& peer, const std::string& text, bool outgoing) override {
    lines.push_back((outgoing ? "private to " : "private from ") + peer + ": " + text);
  }
  void notice(const std::string& text) override { lines.push_back("notice " + text); }
  void error(const std::string& text) override { lines.push_back("error " + text); }
  void help(const std::vector<std::string>& h) override { lines.push_back("help " + std::to_string(h.size())); }
  void link_state(const Link& l) override { links.push_back(l.state); }
  void own_status(msg::Status s, bool idle) override { statuses.emplace_back(s, idle); }
  void users_changed(const std::vector<OnlineUser>& u) override { users = u; }
  void user_info(const msg::UserInfo& i) override { infos.push_back(i); }

  bool has(const std::string& line) const { return std::find(lines.begin(), lines.end(), line) != lines.end(); }
  const OnlineUser* user(const std::string& name) const {
    for (const auto& u : users) {
      if (u.name == name) return &u;
    }
    return nullptr;
  }

  std::vector<std::string> lines;
  std::vector<Link::State> links;
  std::vector<std::pair<msg::Status, bool>> statuses;
  std::vector<OnlineUser> users;
  std::vector<msg::UserInfo> infos;
};

// A core on a real connection, stepped by the test.
struct Chatter {
  Chatter(const TestBroker& b, const std::string& name)
      : conn({"127.0.0.1", b.port(), name, kWait, "", "", ""}), core(conn, view) {
    conn.start();
    core.start();
  }
  void step() {
    std::vector<zmq::pollitem_t> none;
    conn.poll(std::chrono::milliseconds(5), none, events);
    for (; !events.empty(); events.pop_front()) core.handle(events.front());
    core.tick();
  }

  RecordingView view;
  Connection conn;
  ChatCore core;
  std::deque<Event> events;
};

// Steps every chatter until pred holds.
template <class Pred>
bool until(std::vector<Chatter*> all, Pred&& pred) {
  return wait_for([&] {
    for (auto* c : all) c->step();
    return pred();
  });
}

}  // namespace

TEST_CASE("a whisper the broker accepted is shown to its sender as a private message sent", "[client][core]") {
  BrokerSetup s;
  Chatter ana(s.broker, "ana"), bob(s.broker, "bob"), eva(s.broker, "eva");
  ana.core.line("@bob solo para ti");
  REQUIRE(until({&ana, &bob, &eva}, [&] { return ana.view.has("private to bob: solo para ti"); }));
  REQUIRE(until({&ana, &bob, &eva}, [&] { return bob.view.has("private from ana: solo para ti"); }));
  ana.core.line("fin");
  REQUIRE(until({&ana, &bob, &eva}, [&] { return eva.view.has("chat ana: fin"); }));
  CHECK(ana.view.has("mine ana: fin"));
  for (const auto& l : eva.view.lines) CHECK(l.find("solo para ti") == std::string::npos);
}

TEST_CASE("a whisper to nobody is an error, never a private message sent", "[client][core]") {
  BrokerSetup s;
  Chatter ana(s.broker, "ana");
  ana.core.line("@nadie hola");
  REQUIRE(until({&ana}, [&] {
    return std::any_of(ana.view.lines.begin(), ana.view.lines.end(),
                       [](const std::string& l) { return l.rfind("error no se envió «hola»", 0) == 0; });
  }));
  CHECK_FALSE(ana.view.has("private to nadie: hola"));
}

TEST_CASE("the user's own status is the one the broker assigned, also by idleness", "[client][core]") {
  auto cfg = fast_config();
  cfg.idle_timeout_s = 1;
  BrokerSetup s(cfg);
  Chatter ana(s.broker, "ana"), bob(s.broker, "bob");
  // Nobody types: the broker makes both INACTIVO, and each core says so, as idleness.
  REQUIRE(until({&ana, &bob}, [&] { return ana.core.status() == msg::Status::inactivo; }));
  CHECK(ana.view.statuses.back() == std::pair{msg::Status::inactivo, true});
  REQUIRE(until({&ana, &bob}, [&] {
    const auto* a = bob.view.user("ana");
    return a != nullptr && a->status == msg::Status::inactivo && a->idle_by_broker;
  }));

  // Asked for, a status is the user's only once the broker has published it.
  ana.core.line("/estado OCUPADO");
  CHECK(ana.core.status() == msg::Status::inactivo);
  REQUIRE(until({&ana, &bob}, [&] { return ana.core.status() == msg::Status::ocupado; }));
  CHECK(ana.view.statuses.back() == std::pair{msg::Status::ocupado, false});
  REQUIRE(until({&ana, &bob}, [&] {
    const auto* a = bob.view.user("ana");
    return a != nullptr && a->status == msg::Status::ocupado && !a->idle_by_broker;
  }));
}

TEST_CASE("the list of users follows joins and leaves, and marks the user's own entry", "[client][core]") {
  BrokerSetup s;
  Chatter ana(s.broker, "ana");
  REQUIRE(until({&ana}, [&] { return ana.view.user("ana") != nullptr; }));
  CHECK(ana.view.user("ana")->me);
  {
    Chatter bob(s.broker, "bob");
    REQUIRE(until({&ana, &bob}, [&] { return ana.view.user("bob") != nullptr; }));
    CHECK_FALSE(ana.view.user("bob")->me);
    CHECK(ana.view.has("notice bob se unió (127.0.0.1)"));
    bob.core.line("/salir");
    REQUIRE(until({&ana, &bob}, [&] { return bob.core.done(); }));
  }
  REQUIRE(until({&ana}, [&] { return ana.view.user("bob") == nullptr; }));
  CHECK(ana.view.has("notice bob salió"));
}

TEST_CASE("/info is answered with a notice and the details for the view", "[client][core]") {
  BrokerSetup s;
  Chatter ana(s.broker, "ana"), bob(s.broker, "bob");
  ana.core.line("/info bob");
  REQUIRE(until({&ana, &bob}, [&] { return !ana.view.infos.empty(); }));
  CHECK(ana.view.infos.front().name == "bob");
  CHECK(ana.view.infos.front().ip == "127.0.0.1");
}

TEST_CASE("text and names from others reach the view made harmless, markup left as it is", "[client][core]") {
  BrokerSetup s;
  Chatter ana(s.broker, "ana"), bob(s.broker, "bob");
  bob.core.line("<b>negrita</b> \x1b[31mrojo");
  REQUIRE(until({&ana, &bob}, [&] { return ana.view.has("chat bob: <b>negrita</b> \xe2\x90\x9b[31mrojo"); }));
}

TEST_CASE("a lost link is told as reconnecting, and the core's user can still type", "[client][core]") {
  auto s = std::make_unique<BrokerSetup>();
  Chatter ana(s->broker, "ana");
  REQUIRE(ana.view.links.front() == Link::State::connected);
  s.reset();  // the broker goes away
  REQUIRE(until({&ana}, [&] { return ana.view.links.back() == Link::State::reconnecting; }));
  ana.core.line("¿hay alguien?");
  CHECK(ana.view.has("notice sin conexión: lo que escribas se enviará al reconectar"));
}
