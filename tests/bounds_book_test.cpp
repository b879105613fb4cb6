// The broker's accounts of what strangers make it keep (docs/security.md), white-box,
// with a clock the test moves: owned names (names.hpp) and waiting mail (mail_book.hpp).
#include "mail_book.hpp"
#include "names.hpp"

#include <catch2/catch.hpp>

#include <string>

using charla::broker::Claimant;
using charla::broker::MailBook;
using charla::broker::MailBounds;
using charla::broker::NameBook;
using charla::broker::NameBounds;

namespace {

constexpr std::uint64_t kHour = 3600 * 1000;
constexpr std::uint64_t kDay = 24 * kHour;
constexpr std::uint64_t kStart = 1'700'000'000'000;  // ms since the epoch

// 90 days for names whose owner came back, 24 hours for a stranger's until then.
NameBounds bounds(std::size_t in_all = 100, std::size_t per_key = 3, std::size_t per_address = 10) {
  return NameBounds{90 * kDay, 24 * kHour, in_all, per_key, per_address};
}

Claimant stranger(const std::string& key, const std::string& address = "192.0.2.1") { return {key, address, false}; }
Claimant listed(const std::string& key, const std::string& address = "192.0.2.1") { return {key, address, true}; }

bool owns(NameBook& book, const std::string& name, const Claimant& who, std::uint64_t now) {
  return book.claim(name, name, who, now).name.has_value();
}

}  // namespace

TEST_CASE("a stranger's name its owner never came back to lapses after the short time", "[names][bounds]") {
  NameBook book(bounds());
  REQUIRE(owns(book, "ana", stranger("K1"), kStart));
  CHECK(book.check("ana", "K2", kStart + 24 * kHour) == NameBook::Claim::theirs);
  CHECK(book.check("ana", "K2", kStart + 24 * kHour + 1) == NameBook::Claim::free);
  CHECK_FALSE(book.find("ana", kStart + 24 * kHour + 1));
}

TEST_CASE("a stranger who comes back to a name keeps it for --name-ttl", "[names][bounds]") {
  NameBook book(bounds());
  REQUIRE(owns(book, "ana", stranger("K1"), kStart));
  REQUIRE(owns(book, "ana", stranger("K1"), kStart + 2 * kHour));  // a second session: a return
  CHECK(book.check("ana", "K2", kStart + 2 * kHour + 30 * kDay) == NameBook::Claim::theirs);
  CHECK(book.check("ana", "K2", kStart + 2 * kHour + 90 * kDay + 1) == NameBook::Claim::free);
}

TEST_CASE("a name of a key on the allow-list lasts --name-ttl from its first use", "[names][bounds]") {
  NameBook book(bounds());
  REQUIRE(owns(book, "ana", listed("K1"), kStart));
  CHECK(book.check("ana", "K2", kStart + 30 * kDay) == NameBook::Claim::theirs);
}

TEST_CASE("leaving does not bring a lapsed name back", "[names][bounds]") {
  NameBook book(bounds());
  REQUIRE(owns(book, "ana", stranger("K1"), kStart));
  CHECK(book.left("ana", kStart + 1 * kHour, 7));  // in time: used until now
  CHECK(book.check("ana", "K2", kStart + 1 * kHour + 24 * kHour) == NameBook::Claim::theirs);
  CHECK_FALSE(book.left("ana", kStart + 30 * kHour, 8));
  CHECK(book.check("ana", "K2", kStart + 30 * kHour) == NameBook::Claim::free);
}

TEST_CASE("one stranger's key owns at most --names-per-key names, and its own again", "[names][bounds]") {
  NameBook book(bounds(100, 3));
  for (const auto* n : {"a1", "a2", "a3"}) REQUIRE(owns(book, n, stranger("K1", "192.0.2.1"), kStart));
  const auto fourth = book.claim("a4", "a4", stranger("K1", "192.0.2.2"), kStart);
  CHECK_FALSE(fourth.name);
  CHECK(fourth.over == NameBook::Over::per_key);
  CHECK(book.check("a4", "K2", kStart) == NameBook::Claim::free);
  CHECK(owns(book, "a1", stranger("K1"), kStart + 1));  // a name it owns stays its own
  CHECK(owns(book, "a4", stranger("K2", "192.0.2.2"), kStart));
}

TEST_CASE("strangers claim at most --names-per-address new names from one address a day", "[names][bounds]") {
  NameBook book(bounds(100, 3, 2));
  REQUIRE(owns(book, "a1", stranger("K1", "192.0.2.1"), kStart));
  REQUIRE(owns(book, "a2", stranger("K2", "192.0.2.1"), kStart + 1));
  const auto third = book.claim("a3", "a3", stranger("K3", "192.0.2.1"), kStart + 2);
  CHECK(third.over == NameBook::Over::per_address);
  CHECK(owns(book, "a3", stranger("K3", "192.0.2.9"), kStart + 2));  // another address
  CHECK(owns(book, "a4", stranger("K4", "192.0.2.1"), kStart + kDay));  // the next day
  CHECK(owns(book, "a5", listed("K5", "192.0.2.1"), kStart + 3));  // a known key is not counted
}

TEST_CASE("the addresses of one IPv6 /64 count as one", "[names][bounds]") {
  using charla::broker::claim_group;
  CHECK(claim_group("2001:db8:1:2::5") == claim_group("2001:db8:1:2:ffff:0:0:1"));
  CHECK(claim_group("2001:db8:1:2::5") == "2001:db8:1:2::/64");
  CHECK(claim_group("2001:db8:1:3::5") != claim_group("2001:db8:1:2::5"));
  CHECK(claim_group("::ffff:192.0.2.7") == "192.0.2.7");
  CHECK(claim_group("192.0.2.7") == "192.0.2.7");
  NameBook book(bounds(100, 3, 1));
  REQUIRE(owns(book, "a1", stranger("K1", "2001:db8:1:2::5"), kStart));
  CHECK(book.claim("a2", "a2", stranger("K2", "2001:db8:1:2::6"), kStart).over == NameBook::Over::per_address);
}

TEST_CASE("names in all are bounded for every key, and lapsed ones make room", "[names][bounds]") {
  NameBook book(bounds(2, 3, 10));
  REQUIRE(owns(book, "a1", stranger("K1"), kStart));
  REQUIRE(owns(book, "a2", listed("K2"), kStart));
  CHECK(book.claim("a3", "a3", listed("K3"), kStart).over == NameBook::Over::in_all);
  CHECK(book.claim("a3", "a3", stranger("K3", "192.0.2.3"), kStart).over == NameBook::Over::in_all);
  // a1 was a stranger's, never used again: a day later it makes room.
  CHECK(owns(book, "a3", listed("K3"), kStart + 25 * kHour));
  CHECK(book.size() == 2);
}

TEST_CASE("waiting mail is bounded per recipient, per sender and in all", "[mail][bounds]") {
  MailBook book(MailBounds{2, 3, 1000});
  CHECK(book.reserve("ana", "ben", 100) == MailBook::Put::ok);
  CHECK(book.reserve("ana", "ben", 100) == MailBook::Put::ok);
  CHECK(book.reserve("ana", "cy", 100) == MailBook::Put::recipient_full);
  CHECK(book.reserve("dee", "ben", 100) == MailBook::Put::ok);
  CHECK(book.reserve("eva", "ben", 100) == MailBook::Put::sender_full);
  CHECK(book.reserve("eva", "cy", 600) == MailBook::Put::ok);  // 900 bytes now
  CHECK(book.reserve("eva", "fer", 101) == MailBook::Put::all_full);
  CHECK(book.bytes() == 900);
  book.gone("ana", "ben", 100);
  CHECK(book.waiting_for("ana") == 1);
  CHECK(book.waiting_from("ben") == 2);
  CHECK(book.reserve("eva", "fer", 200) == MailBook::Put::ok);
}

TEST_CASE("waiting mail counts as the file holds it, sender names folded", "[mail][bounds]") {
  MailBook book(MailBounds{10, 2, 1000});
  book.load(charla::broker::MailCounts{{{"ana", 1}}, {{"Ben", 1}, {"BEN", 1}}, 300});
  CHECK(book.waiting_from("ben") == 2);
  CHECK(book.reserve("ana", "ben", 1) == MailBook::Put::sender_full);
  CHECK(book.bytes() == 300);
}
