#include "words.hpp"

#include <algorithm>
#include <stdexcept>

namespace charla::broker {
namespace {

// FTS5 hands out its API through a pointer bound to `SELECT fts5(?)` (SQLite's fts5.h, "Extending FTS5").
fts5_api* fts5_of(SQLite::Database& db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db.getHandle(), "SELECT fts5(?1)", -1, &q, nullptr) == SQLITE_OK) {
    sqlite3_bind_pointer(q, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
    sqlite3_step(q);
  }
  sqlite3_finalize(q);
  if (api == nullptr) throw std::runtime_error("este SQLite no tiene FTS5");
  return api;
}

int keep_token(void* ctx, int flags, const char* token, int bytes, int, int) {
  if ((flags & FTS5_TOKEN_COLOCATED) == 0) {
    static_cast<std::vector<std::string>*>(ctx)->emplace_back(token, static_cast<std::size_t>(bytes));
  }
  return SQLITE_OK;
}

}  // namespace

Words::Words() : db_(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
  auto* fts5 = fts5_of(db_);
  void* user = nullptr;
  const char* args[] = {"remove_diacritics", "2"};  // as chat_words' tokenize= (store.cpp)
  if (fts5->xFindTokenizer(fts5, "unicode61", &user, &api_) != SQLITE_OK ||
      api_.xCreate(user, args, 2, &tokenizer_) != SQLITE_OK) {
    throw std::runtime_error("no se pudo crear el tokenizador unicode61 de FTS5");
  }
}

Words::~Words() {
  if (tokenizer_ != nullptr) api_.xDelete(tokenizer_);
}

std::vector<std::string> Words::tokens(std::string_view text) const {
  std::vector<std::string> out;
  // unicode61 only reads the bytes it is given: a NUL inside is a separator like any other.
  api_.xTokenize(tokenizer_, &out, FTS5_TOKENIZE_QUERY, text.data(), static_cast<int>(text.size()), keep_token);
  return out;
}

std::vector<std::string> Words::distinct(std::string_view text) const {
  std::vector<std::string> out;
  for (auto& t : tokens(text)) {
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(std::move(t));
  }
  return out;
}

bool Words::all_start_some(const std::vector<std::string>& wanted, std::string_view text) const {
  const auto have = tokens(text);
  return std::all_of(wanted.begin(), wanted.end(), [&](const std::string& w) {
    return std::any_of(have.begin(), have.end(), [&](const std::string& t) { return t.starts_with(w); });
  });
}

std::string match_all(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += '"';
    for (const char c : w) out += c == '"' ? std::string("\"\"") : std::string(1, c);  // never in a token; still quoted
    out += "\"*";
  }
  return out;
}

}  // namespace charla::broker
