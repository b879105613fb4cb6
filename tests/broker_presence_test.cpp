// Presence: status changes chosen by users or caused by idleness, the
// presence sequence numbers, and the Clone pattern (subscribe, snapshot,
// apply the newer events) giving a monitor an exact view of who is online.
#include "support/broker_setup.hpp"
#include "support/printing.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <latch>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace msg = charla::msg;
using namespace charla::test;
using msg::Cause;
using msg::PresenceEvent;
using msg::Status;
using std::chrono::steady_clock;

namespace {

auto status_of(const std::string& user) {
  return [user](const msg::Presence& p) { return p.event == PresenceEvent::status && p.user == user; };
}

// The broker's timings for the idle tests: one worker, so that sessions are
// looked at in one pass and their events come out in the order they happen.
charla::broker::Config idle_config() {
  auto cfg = fast_config();
  cfg.workers = 1;
  cfg.idle_timeout_s = 1;
  return cfg;
}

using View = std::map<std::string, Status>;

View view_of(const msg::Users& users) {
  View v;
  for (const auto& u : users.users) v[u.name] = u.status;
  return v;
}

}  // namespace

TEST_CASE("a status change is confirmed and announced to clients and monitors", "[broker][presence]") {
  BrokerSetup s;
  auto mon = s.watch();
  auto ana = s.join("ana");
  auto ben = s.join("ben");
  ana.send(msg::SetStatus{Status::ocupado}, 5);
  CHECK(ana.expect<msg::Ok>().re == "set_status");
  CHECK(ana.last_id() == 5);
  for (auto* c : {&ben, &mon}) {
    INFO("seen by " << (c == &mon ? std::string("the monitor") : c->name()));
    const auto p = c->next_pub<msg::Presence>(status_of("ana"));
    REQUIRE(p);
    CHECK(p->status == Status::ocupado);
    CHECK(p->cause == Cause::user);
    CHECK(p->ip == "127.0.0.1");
  }
  // A monitor subscribes to presence and sys only: chat does not reach it.
  ana.send(msg::Say{"sigo ocupada"});
  REQUIRE(ben.next_pub<msg::Chat>());
  CHECK(mon.pub_quiet(any_chat, 50ms));
}

TEST_CASE("choosing the status one already has is confirmed and announces nothing", "[broker][presence]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  auto ben = s.join("ben");
  ana.send(msg::SetStatus{Status::activo});
  CHECK(ana.expect<msg::Ok>().re == "set_status");
  CHECK(ben.pub_quiet(news_about("ana")));
}

TEST_CASE("an idle user becomes INACTIVO and its next command makes it ACTIVO again", "[broker][presence][idle]") {
  BrokerSetup s(idle_config());
  auto mon = s.watch();
  const auto before_hello = steady_clock::now();
  auto ana = s.join("ana");  // keeps pinging while it waits: pings are not activity
  const auto idle = ana.next_pub<msg::Presence>(status_of("ana"), 1s + kWait);
  REQUIRE(idle);
  CHECK(steady_clock::now() - before_hello >= 1s);
  CHECK(idle->status == Status::inactivo);
  CHECK(idle->cause == Cause::idle);

  ana.send(msg::Say{"ya estoy"});
  // First the event that ends idleness, then the say's own chat (docs/protocol.md 8.3).
  auto next_not_beat = [&] {
    for (;;) {
      auto p = ana.recv_pub();
      if (!p || !std::holds_alternative<msg::Beat>(p->msg)) return p;
    }
  };
  const auto first = next_not_beat();
  REQUIRE(first);
  const auto* back = std::get_if<msg::Presence>(&first->msg);
  REQUIRE(back != nullptr);
  CHECK(back->user == "ana");
  CHECK(back->status == Status::activo);
  CHECK(back->cause == Cause::activity);
  const auto second = next_not_beat();
  REQUIRE(second);
  const auto* chat = std::get_if<msg::Chat>(&second->msg);
  REQUIRE(chat != nullptr);
  CHECK(chat->text == "ya estoy");

  // The monitor saw exactly this story, and no "lost": pinging kept ana alive.
  std::vector<std::pair<PresenceEvent, Cause>> story;
  while (story.size() < 3) {
    const auto p = mon.next_pub<msg::Presence>([](const msg::Presence& e) { return e.user == "ana"; });
    REQUIRE(p);
    story.emplace_back(p->event, p->cause);
  }
  const std::vector<std::pair<PresenceEvent, Cause>> expected{
      {PresenceEvent::join, Cause::none}, {PresenceEvent::status, Cause::idle}, {PresenceEvent::status, Cause::activity}};
  CHECK(story == expected);
}

TEST_CASE("a refused command still ends idleness", "[broker][presence][idle]") {
  BrokerSetup s(idle_config());
  auto ana = s.join("ana");
  const auto idle = ana.next_pub<msg::Presence>(status_of("ana"), 1s + kWait);
  REQUIRE(idle);
  REQUIRE(idle->cause == Cause::idle);
  ana.send(msg::Whisper{"nadie", "¿hola?"});  // a command, though answered with an error
  CHECK(ana.expect<msg::Error>().code == msg::ErrorCode::no_such_user);
  const auto back = ana.next_pub<msg::Presence>(status_of("ana"));
  REQUIRE(back);
  CHECK(back->status == Status::activo);
  CHECK(back->cause == Cause::activity);
}

TEST_CASE("choosing a status after idleness gives only the chosen status", "[broker][presence][idle]") {
  BrokerSetup s(idle_config());
  auto mon = s.watch();
  auto ana = s.join("ana");
  const auto idle = ana.next_pub<msg::Presence>(status_of("ana"), 1s + kWait);
  REQUIRE(idle);
  REQUIRE(idle->cause == Cause::idle);
  ana.send(msg::SetStatus{Status::ocupado});
  ana.expect<msg::Ok>();
  std::vector<std::pair<Status, Cause>> changes;
  while (changes.size() < 2) {  // idle, then what ana chose: no "activity" in between
    const auto p = mon.next_pub<msg::Presence>(status_of("ana"));
    REQUIRE(p);
    changes.emplace_back(p->status, p->cause);
  }
  const std::vector<std::pair<Status, Cause>> expected{{Status::inactivo, Cause::idle}, {Status::ocupado, Cause::user}};
  CHECK(changes == expected);
  CHECK(mon.pub_quiet(news_about("ana")));
}

TEST_CASE("choosing INACTIVO while idle announces nothing but makes it chosen", "[broker][presence][idle]") {
  BrokerSetup s(idle_config());
  auto mon = s.watch();
  auto ana = s.join("ana");
  const auto idle = mon.next_pub<msg::Presence>(status_of("ana"), 1s + kWait);
  REQUIRE(idle);
  REQUIRE(idle->cause == Cause::idle);
  ana.send(msg::SetStatus{Status::inactivo});
  ana.expect<msg::Ok>();
  ana.send(msg::Say{"sigo ausente"});  // a command: would end idleness, but not a chosen status
  REQUIRE(ana.next_pub<msg::Chat>());   // handled (an "activity" event would have come before it)
  CHECK(mon.pub_quiet(news_about("ana")));
  ana.send(msg::Info{"ana"});
  CHECK(ana.expect<msg::UserInfo>().status == Status::inactivo);
}

TEST_CASE("a user who chose INACTIVO stays INACTIVO when it speaks", "[broker][presence]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  auto ben = s.join("ben");
  ana.send(msg::SetStatus{Status::inactivo});
  ana.expect<msg::Ok>();
  const auto chosen = ben.next_pub<msg::Presence>(status_of("ana"));
  REQUIRE(chosen);
  CHECK(chosen->cause == Cause::user);
  ana.send(msg::Say{"escribo, pero sigo ausente"});
  REQUIRE(ben.next_pub<msg::Chat>());
  CHECK(ben.pub_quiet(news_about("ana")));
  ben.send(msg::Info{"ana"});
  CHECK(ben.expect<msg::UserInfo>().status == Status::inactivo);
}

TEST_CASE("a user who chose OCUPADO stays OCUPADO while idle", "[broker][presence][idle]") {
  BrokerSetup s(idle_config());
  auto mon = s.watch();
  auto ana = s.join("ana");
  ana.send(msg::SetStatus{Status::ocupado});
  ana.expect<msg::Ok>();
  auto ben = s.join("ben");  // ben's last command comes after ana's: ben goes idle after ana would
  std::vector<msg::Presence> about_ana;
  bool ben_idle = false;  // meanwhile the fixture keeps ana and ben alive with pings
  REQUIRE(wait_for(
      [&] {
        if (const auto p = mon.recv_pub(20ms)) {
          if (const auto* e = std::get_if<msg::Presence>(&p->msg)) {
            if (e->user == "ana") about_ana.push_back(*e);
            ben_idle = ben_idle || (e->user == "ben" && e->status == Status::inactivo && e->cause == Cause::idle);
          }
        }
        return ben_idle;
      },
      1s + kWait));
  REQUIRE(about_ana.size() == 2);
  CHECK(about_ana[0].event == PresenceEvent::join);
  CHECK(about_ana[1].event == PresenceEvent::status);
  CHECK(about_ana[1].status == Status::ocupado);
  CHECK(about_ana[1].cause == Cause::user);
  CHECK(mon.pub_quiet(news_about("ana")));
  mon.send(msg::Who{});  // the monitor's who is no activity of ana's
  const auto users = mon.expect<msg::Users>();
  for (const auto& u : users.users) {
    if (u.name != "ana") continue;
    CHECK(u.status == Status::ocupado);
    CHECK(u.idle_s >= 1);
  }
  // Choosing ACTIVO again makes ana subject to idleness as usual.
  const auto chosen_at = steady_clock::now();  // the broker's activity time is later
  ana.send(msg::SetStatus{Status::activo});
  ana.expect<msg::Ok>();
  const auto active = mon.next_pub<msg::Presence>(status_of("ana"));
  REQUIRE(active);
  CHECK(active->cause == Cause::user);
  const auto idle = mon.next_pub<msg::Presence>(status_of("ana"), 1s + kWait);
  REQUIRE(idle);
  CHECK(idle->status == Status::inactivo);
  CHECK(idle->cause == Cause::idle);
  CHECK(steady_clock::now() - chosen_at >= 1s);
}

TEST_CASE("presence events are numbered one by one and beats carry the last numbers", "[broker][presence]") {
  BrokerSetup s;
  auto mon = s.watch();  // subscribed before anything happens: sees every event
  auto ana = s.join("ana");
  auto ben = s.join("ben");
  auto eva = s.join("eva");
  ana.send(msg::SetStatus{Status::ocupado});
  ana.expect<msg::Ok>();
  ben.send(msg::Bye{});
  ben.expect<msg::Ok>();
  eva.close();

  std::vector<msg::Presence> events;
  std::uint64_t last_seq = 0;
  int beats = 0;
  REQUIRE(wait_for([&] {
    const auto p = mon.recv_pub(20ms);
    if (!p) return false;
    if (const auto* e = std::get_if<msg::Presence>(&p->msg)) {
      CHECK(e->seq == last_seq + 1);  // consecutive: no gap, no repeat
      last_seq = e->seq;
      events.push_back(*e);
    } else if (const auto* b = std::get_if<msg::Beat>(&p->msg)) {
      ++beats;
      CHECK(b->pseq == last_seq);  // a beat says which events came before it
      CHECK(b->instance == mon.welcome().instance);
    }
    return !events.empty() && events.back().event == PresenceEvent::lost;
  }, std::chrono::milliseconds(s.broker.config().expiry_ms) + kWait));
  CHECK(beats > 0);

  std::vector<std::pair<PresenceEvent, std::string>> story;
  for (const auto& e : events) story.emplace_back(e.event, e.user);
  const std::vector<std::pair<PresenceEvent, std::string>> expected{
      {PresenceEvent::join, "ana"},   {PresenceEvent::join, "ben"},  {PresenceEvent::join, "eva"},
      {PresenceEvent::status, "ana"}, {PresenceEvent::leave, "ben"}, {PresenceEvent::lost, "eva"}};
  CHECK(story == expected);
  CHECK(events.front().seq == 1);

  mon.send(msg::Who{});
  const auto users = mon.expect<msg::Users>();
  CHECK(users.pseq == last_seq);
  CHECK(view_of(users) == View{{"ana", Status::ocupado}});
}

TEST_CASE("beats carry the last chat number", "[broker][presence]") {
  BrokerSetup s;
  auto ana = s.join("ana");  // subscribed before any chat
  for (int i = 0; i < 3; ++i) ana.send(msg::Say{"hola " + std::to_string(i)});
  std::uint64_t last_cseq = 0;
  int beats_after_chat = 0;
  REQUIRE(wait_for([&] {
    const auto p = ana.recv_pub(20ms);
    if (!p) return false;
    if (const auto* c = std::get_if<msg::Chat>(&p->msg)) {
      CHECK(c->seq == last_cseq + 1);
      last_cseq = c->seq;
    } else if (const auto* b = std::get_if<msg::Beat>(&p->msg)) {
      CHECK(b->cseq == last_cseq);
      CHECK(b->instance == ana.welcome().instance);
      if (last_cseq == 3) ++beats_after_chat;
    }
    return beats_after_chat >= 2;
  }));
}

TEST_CASE("a monitor that subscribes then takes a snapshot sees exactly who is online while clients come and go",
          "[broker][presence][clone]") {
  auto cfg = fast_config();
  cfg.workers = 4;
  cfg.expiry_ms = 30000;  // nobody is lost while the test runs…
  cfg.idle_timeout_s = 0;  // …nor goes idle: every change is a join, a leave or a chosen status
  BrokerSetup s(cfg);
  auto mon = s.watch();

  // Two threads each join 50 clients; every third chooses OCUPADO; every fifth stays.
  constexpr int kThreads = 2, kClients = 50;
  std::latch churned(kThreads), release(1);
  std::array<std::string, kThreads> failures;
  std::array<View, kThreads> stayed;
  auto churn = [&](int t) {
    std::vector<TestClient> stayers;  // kept open until the test is done with them
    try {
      for (int i = 0; i < kClients; ++i) {
        const auto name = "w" + std::to_string(t) + "_" + std::to_string(i);
        TestClient c(s.ctx, s.broker.port());
        c.hello(name);
        auto status = Status::activo;
        if (i % 3 == 0) {
          c.send(msg::SetStatus{Status::ocupado});
          c.expect<msg::Ok>();
          status = Status::ocupado;
        }
        if (i % 5 == 0) {
          stayed[t][name] = status;
          stayers.push_back(std::move(c));
        } else {
          c.send(msg::Bye{});
          c.expect<msg::Ok>();
        }
      }
    } catch (const std::exception& e) {
      failures[t] = e.what();
    }
    churned.count_down();
    release.wait();
  };
  std::vector<std::thread> threads;
  struct Finish {  // lets the threads end, also when an assertion ends the test early
    std::latch& release;
    std::vector<std::thread>& threads;
    ~Finish() {
      release.count_down();
      for (auto& t : threads) t.join();
    }
  } finish{release, threads};
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(churn, t);

  std::vector<msg::Presence> events;  // every presence event, in the order received
  std::uint64_t last_seq = 0;
  int gaps = 0;
  auto take = [&] {
    const auto p = mon.recv_pub(20ms);
    if (!p) return;
    if (const auto* e = std::get_if<msg::Presence>(&p->msg)) {
      if (e->seq != last_seq + 1) ++gaps;
      last_seq = e->seq;
      events.push_back(*e);
    } else if (const auto* b = std::get_if<msg::Beat>(&p->msg)) {
      if (b->pseq != last_seq) ++gaps;
    }
  };

  // The snapshot is taken in the middle of the churn.
  REQUIRE(wait_for([&] { return take(), events.size() >= 20; }));
  mon.send(msg::Who{});
  const auto snapshot = mon.expect<msg::Users>();
  REQUIRE(wait_for([&] { return take(), churned.try_wait(); }, 30s));
  for (const auto& f : failures) CHECK(f.empty());

  mon.send(msg::Who{});
  const auto final_list = mon.expect<msg::Users>();
  REQUIRE(wait_for([&] { return take(), last_seq >= final_list.pseq; }));
  CHECK(gaps == 0);
  CHECK(last_seq == final_list.pseq);
  // 100 joins, 34 chosen statuses, 80 leaves
  CHECK(final_list.pseq == 2 * (kClients + 17 + kClients * 4 / 5));
  CHECK(snapshot.pseq >= 20);
  CHECK(snapshot.pseq < final_list.pseq);

  // Clone: the snapshot, then only the events newer than it.
  View view = view_of(snapshot);
  int inconsistent = 0;
  for (const auto& e : events) {
    if (e.seq <= snapshot.pseq) continue;
    const bool known = view.count(e.user) != 0;
    switch (e.event) {
      case PresenceEvent::join:
        if (known) ++inconsistent;
        view[e.user] = e.status;
        break;
      case PresenceEvent::leave:
      case PresenceEvent::lost:
        if (!known) ++inconsistent;
        view.erase(e.user);
        break;
      case PresenceEvent::status:
      case PresenceEvent::resume:
        if (!known) ++inconsistent;
        view[e.user] = e.status;
        break;
    }
  }
  CHECK(inconsistent == 0);
  CHECK(view == view_of(final_list));
  View expected;
  for (const auto& v : stayed) expected.insert(v.begin(), v.end());
  CHECK(view == expected);
  CHECK(expected.size() == 2 * kClients / 5);
}
