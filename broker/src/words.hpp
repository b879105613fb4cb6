// What counts as a word in a search (docs/protocol.md 2.7): exactly a token of
// SQLite FTS5's `unicode61 remove_diacritics 2`, the tokenizer of the history's
// index, used here directly (no table, no query) so that nothing but its tokens
// ever reaches a MATCH: no operator, quote, NUL or control character.
#pragma once

#include <sqlite3.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <string>
#include <string_view>
#include <vector>

namespace charla::broker {

// Bounds of one search: more is too_long.
inline constexpr std::size_t kMaxSearchBytes = 256;
inline constexpr std::size_t kMaxSearchWords = 8;

class Words {
 public:
  Words();  // a private in-memory SQLite connection lends the tokenizer
  ~Words();
  Words(const Words&) = delete;
  Words& operator=(const Words&) = delete;

  // The tokens of `text` (folded: lower case, no accents), in order, repeats included.
  std::vector<std::string> tokens(std::string_view text) const;
  // The distinct tokens of `text`, in the order they first appear.
  std::vector<std::string> distinct(std::string_view text) const;
  // Whether every one of `wanted` starts some token of `text` (what FTS5's "w"* does).
  bool all_start_some(const std::vector<std::string>& wanted, std::string_view text) const;

 private:
  SQLite::Database db_;
  fts5_tokenizer api_{};
  Fts5Tokenizer* tokenizer_ = nullptr;
};

// FTS5's query for broadcasts holding every one of `words` (tokens) as a word or its start.
std::string match_all(const std::vector<std::string>& words);

}  // namespace charla::broker
