// The reader's search, white-box (broker/src/lookup.hpp): what the index holds
// and the tail the store thread has not indexed yet answer as one, and the
// store indexes at a commit once the tail is too long.
#include "e2e/binaries.hpp"  // TempDir
#include "lookup.hpp"
#include "store.hpp"
#include "words.hpp"

#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <string>
#include <vector>

using namespace charla::broker;

namespace {

struct TempFile {
  std::string path() const { return (dir.path / "charla.db").string(); }
  charla::test::TempDir dir;
};

void add(Store& s, const std::vector<std::string>& texts) {
  s.begin();
  for (const auto& t : texts) s.add_chat("ana", t, 1, 0, 0);
  s.commit();
}

std::vector<std::string> texts(const charla::msg::Chats& c) {
  std::vector<std::string> out;
  for (const auto& k : c.messages) out.push_back(k.text);
  return out;
}

std::uint64_t indexed_up_to(const std::string& path) {
  SQLite::Database db(path);
  return static_cast<std::uint64_t>(db.execAndGet("SELECT up_to FROM indexed").getInt64());
}

}  // namespace

TEST_CASE("a search reads the broadcasts not indexed yet and the index as one list, newest first", "[broker][search]") {
  TempFile f;
  Store store(f.path());
  Lookup lookup(f.path());
  add(store, {"un ñandú viejo", "nada", "otro Ñandú viejo"});
  store.index_some(100);  // these three in the index
  add(store, {"ÑANDÚ nuevo", "nada nuevo", "nandues nuevos"});  // these not: a moment ago
  REQUIRE(indexed_up_to(f.path()) == 3);
  CHECK(texts(lookup.search({"nandu"}, 50)) ==
        std::vector<std::string>{"nandues nuevos", "ÑANDÚ nuevo", "otro Ñandú viejo", "un ñandú viejo"});
  CHECK(texts(lookup.search({"nandu", "viejo"}, 50)) == std::vector<std::string>{"otro Ñandú viejo", "un ñandú viejo"});
  const auto two = lookup.search({"nandu"}, 2);  // a page that ends in the tail
  CHECK(texts(two) == std::vector<std::string>{"nandues nuevos", "ÑANDÚ nuevo"});
  CHECK(two.more);
  const auto three = lookup.search({"nandu"}, 3);  // one that ends in the index
  CHECK(texts(three) == std::vector<std::string>{"nandues nuevos", "ÑANDÚ nuevo", "otro Ñandú viejo"});
  CHECK(three.more);
  CHECK_FALSE(lookup.search({"nandu"}, 4).more);
}

TEST_CASE("the store indexes at a commit once more than 1000 broadcasts wait", "[broker][search]") {
  TempFile f;
  Store store(f.path());
  add(store, std::vector<std::string>(kMostUnindexed, "hola"));
  CHECK(indexed_up_to(f.path()) == 0);  // a moment behind, as when busy
  add(store, {"hola"});
  CHECK(indexed_up_to(f.path()) == kMostUnindexed + 1);
}

TEST_CASE("a search's words are the index's tokens, each once", "[broker][search]") {
  const Words w;
  CHECK(w.distinct("Ñandú ñandu, CANCIÓN-de*cuna") == std::vector<std::string>{"nandu", "cancion", "de", "cuna"});
  CHECK(w.distinct(std::string("ho\0la", 5)) == std::vector<std::string>{"ho", "la"});
  CHECK(w.distinct("\"\" () ^ : + * - \xF0\x9F\x98\x80").empty());
  CHECK(match_all({"nandu", "de"}) == "\"nandu\"* \"de\"*");
}
