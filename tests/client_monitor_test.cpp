// The monitor's behaviour (client library) against a real broker in this
// process: the snapshot, then every presence change, exactly once and in order,
// as the JSON lines charla-monitor --json prints.
#include "support/broker_setup.hpp"

#include <charla/client/monitor.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace msg = charla::msg;
using namespace charla::test;
using charla::client::Connection;
using charla::client::Console;
using charla::client::Monitor;
using nlohmann::json;

namespace {

struct MonitorRun {
  explicit MonitorRun(const TestBroker& broker, bool as_json = true)
      : conn({"127.0.0.1", broker.port(), "", std::chrono::milliseconds(kWait), "", "", ""}),
        console(false, false, [this](const std::string& line) { lines.push_back(line); }),
        monitor(conn, console, as_json) {
    conn.start();
    monitor.begin();
  }

  // Steps the monitor (and keeps `others` alive) until a line satisfies pred.
  template <class Pred>
  bool until(Pred&& pred, std::vector<TestClient*> others = {}) {
    std::size_t seen = 0;
    return wait_for([&] {
      monitor.step(std::chrono::milliseconds(10));
      for (auto* c : others) (void)c->quiet(std::chrono::milliseconds(0));
      for (; seen < lines.size(); ++seen) {
        if (pred(lines[seen])) return true;
      }
      return false;
    });
  }
  std::vector<json> events() const {
    std::vector<json> out;
    for (const auto& l : lines) out.push_back(json::parse(l));
    return out;
  }

  Connection conn;
  std::vector<std::string> lines;
  Console console;
  Monitor monitor;
};

bool is(const std::string& line, const std::string& event, const std::string& user) {
  const auto j = json::parse(line);
  return j["event"] == event && j["user"] == user;
}

}  // namespace

TEST_CASE("the monitor shows the snapshot, then every change once and in order", "[client][monitor]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  MonitorRun m(s.broker);
  REQUIRE(m.until([](const std::string& l) { return is(l, "snapshot", "ana"); }, {&ana}));

  auto ben = s.join("ben");
  ben.send(msg::SetStatus{msg::Status::ocupado}, 1);
  (void)ben.expect<msg::Ok>();
  ben.send(msg::Bye{}, 2);
  (void)ben.expect<msg::Ok>();
  REQUIRE(m.until([](const std::string& l) { return is(l, "leave", "ben"); }, {&ana}));

  ana.close();  // vanishes: lost after the broker's expiry
  REQUIRE(m.until([](const std::string& l) { return is(l, "lost", "ana"); }));

  const auto ev = m.events();
  std::vector<std::string> seen;
  for (const auto& e : ev) seen.push_back(e["event"].get<std::string>() + " " + e.value("user", std::string("-")));
  CHECK(seen == std::vector<std::string>{"connected -", "snapshot ana", "join ben", "status ben", "leave ben",
                                         "lost ana"});
  CHECK(ev[1]["seq"] == 1);
  CHECK(ev[1]["count"] == 1);
  CHECK(ev[3]["status"] == "OCUPADO");
  CHECK(ev[3]["cause"] == "user");
  for (std::size_t i = 2; i < ev.size(); ++i) CHECK(ev[i]["seq"] == i);  // 2, 3, 4, 5: no gap, no repeat
}

TEST_CASE("the monitor's rows name the event, the user, the status and the address", "[client][monitor]") {
  BrokerSetup s;
  MonitorRun m(s.broker, false);
  REQUIRE(m.until([](const std::string& l) { return l.find("en línea: 0") == 0; }));  // the snapshot first
  auto ana = s.join("ana");
  REQUIRE(m.until([](const std::string& l) { return l.find("join") != std::string::npos; }, {&ana}));
  const auto& row = m.lines.back();
  CHECK(row.find("ana") != std::string::npos);
  CHECK(row.find("ACTIVO") != std::string::npos);
  CHECK(row.find("127.0.0.1") != std::string::npos);
  CHECK(row.find("#1") != std::string::npos);
}
