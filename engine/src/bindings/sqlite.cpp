// `sqlite`: the key-value interface in an SQLite database file (Debian's libsqlite3). The
// database is in WAL mode, so the worker processes of one engine (and other engines on the
// machine) read and write it at once; the read-modify-write calls (increment,
// compare_and_set) take the write lock first (BEGIN IMMEDIATE), so two processes never both
// read the old value. Expiry is wall-clock time, the one clock every process shares.
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kinds.hpp"

namespace nimbus::engine::bindings {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDefaultTable = "nimbus_kv";
constexpr auto kDefaultBusyTimeout = std::chrono::milliseconds(5000);
constexpr int kWritesPerPurge = 1024;  // expired rows are deleted now and then, not on every call

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SqliteKeyValueStore final : public KeyValueStore {
 public:
  SqliteKeyValueStore(std::string name, std::string path) : name_(std::move(name)), path_(std::move(path)) {}
  ~SqliteKeyValueStore() override {
    for (auto* s : statements_) sqlite3_finalize(s);
    if (db_ != nullptr) sqlite3_close(db_);
  }
  SqliteKeyValueStore(const SqliteKeyValueStore&) = delete;
  SqliteKeyValueStore& operator=(const SqliteKeyValueStore&) = delete;

  // Opens the database (made if absent), turns WAL on and makes the table; errors name the binding.
  Result<void> open(std::string_view table, std::chrono::milliseconds busy_timeout) {
    if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      return Error{where() + ": cannot open: " + (db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory")};
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
    const std::string t = "\"" + std::string(table) + "\"";
    const std::string setup =
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE IF NOT EXISTS " + t +
        " (key BLOB PRIMARY KEY, value BLOB NOT NULL, expires_ms INTEGER) WITHOUT ROWID";
    if (sqlite3_exec(db_, setup.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      return Error{where() + ": cannot set up table " + t + ": " + sqlite3_errmsg(db_)};
    }
    const char* live = " AND (expires_ms IS NULL OR expires_ms > ?2)";
    const std::vector<std::string> sql{
        "SELECT value, expires_ms FROM " + t + " WHERE key = ?1" + live,
        "INSERT OR REPLACE INTO " + t + " (key, value, expires_ms) VALUES (?1, ?2, ?3)",
        "DELETE FROM " + t + " WHERE key = ?1 RETURNING expires_ms",
        "SELECT key FROM " + t + " WHERE key >= ?1" + live + " ORDER BY key",
        "DELETE FROM " + t + " WHERE expires_ms <= ?1",
        "BEGIN IMMEDIATE",
        "COMMIT",
        "ROLLBACK",
    };
    for (const auto& text : sql) {
      sqlite3_stmt* s = nullptr;
      if (sqlite3_prepare_v3(db_, text.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
        return Error{where() + ": cannot prepare '" + text + "': " + sqlite3_errmsg(db_)};
      }
      statements_.push_back(s);
    }
    return {};
  }

 protected:
  std::optional<std::string> do_get(std::string_view key) override {
    std::lock_guard lock(mutex_);
    return read(key).value;
  }
  void do_put(std::string_view key, std::string_view value,
              std::optional<std::chrono::milliseconds> ttl) override {
    std::lock_guard lock(mutex_);
    write(key, value, expiry(ttl), "put");
  }
  bool do_remove(std::string_view key) override {
    std::lock_guard lock(mutex_);
    Statement s(*this, kRemove);
    s.blob(1, key);
    const bool existed = s.step("remove") && (sqlite3_column_type(s.get(), 0) == SQLITE_NULL ||
                                              sqlite3_column_int64(s.get(), 0) > now_ms());  // not expired
    s.finish("remove");
    return existed;
  }
  std::vector<std::string> do_list(std::string_view prefix) override {
    std::lock_guard lock(mutex_);
    Statement s(*this, kList);
    s.blob(1, prefix).integer(2, now_ms());
    std::vector<std::string> keys;
    while (s.step("list")) {
      std::string key = s.column(0);
      if (key.compare(0, prefix.size(), prefix) != 0) break;  // past the prefix's keys: they are in order
      keys.push_back(std::move(key));
    }
    return keys;
  }
  std::int64_t do_increment(std::string_view key, std::int64_t by) override {
    std::lock_guard lock(mutex_);
    Transaction tx(*this, "increment");
    const Row row = read(key);
    std::int64_t n = 0;
    try {
      n = detail::incremented(key, row.value ? std::optional<std::string_view>(*row.value) : std::nullopt,
                              by);
    } catch (const BindingError& e) {
      throw BindingError(where() + ": " + e.what());
    }
    write(key, std::to_string(n), row.expires_ms, "increment");  // the expiry stays
    tx.commit();
    return n;
  }
  bool do_compare_and_set(std::string_view key, std::optional<std::string_view> expected,
                          std::string_view value, std::optional<std::chrono::milliseconds> ttl) override {
    std::lock_guard lock(mutex_);
    Transaction tx(*this, "compare_and_set");
    const Row row = read(key);
    if (expected ? !row.value || *row.value != *expected : row.value.has_value()) return false;
    write(key, value, expiry(ttl), "compare_and_set");
    tx.commit();
    return true;
  }

 private:
  enum Index : std::size_t { kGet, kPut, kRemove, kList, kPurge, kBegin, kCommit, kRollback };

  // One prepared statement in use: bound, stepped, and reset (and its bindings cleared) when done.
  class Statement {
   public:
    Statement(SqliteKeyValueStore& store, Index i) : store_(store), s_(store.statements_[i]) {}
    ~Statement() {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement& blob(int i, std::string_view v) {
      // A non-null pointer even when empty: a null one would bind NULL, not an empty key.
      sqlite3_bind_blob64(s_, i, v.empty() ? "" : v.data(), v.size(),
                          SQLITE_STATIC);  // lives until the reset
      return *this;
    }
    Statement& integer(int i, std::int64_t v) {
      sqlite3_bind_int64(s_, i, v);
      return *this;
    }
    Statement& integer(int i, std::optional<std::int64_t> v) {
      if (v) return integer(i, *v);
      sqlite3_bind_null(s_, i);
      return *this;
    }
    // True for a row, false when done; an error names the operation.
    bool step(std::string_view operation) {
      const int rc = sqlite3_step(s_);
      if (rc == SQLITE_ROW) return true;
      if (rc == SQLITE_DONE) return false;
      store_.fail(operation, rc);
    }
    void finish(std::string_view operation) {
      while (step(operation)) {
      }
    }
    [[nodiscard]] std::string column(int i) const {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, i));
      return p == nullptr ? std::string()
                          : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, i)));
    }
    [[nodiscard]] sqlite3_stmt* get() const noexcept { return s_; }

   private:
    SqliteKeyValueStore& store_;
    sqlite3_stmt* s_;
  };

  // BEGIN IMMEDIATE (the write lock, waiting up to the busy timeout), rolled back unless committed.
  class Transaction {
   public:
    Transaction(SqliteKeyValueStore& store, std::string_view operation)
        : store_(store), operation_(operation) {
      Statement(store_, kBegin).finish(operation_);
    }
    ~Transaction() {
      if (!done_) sqlite3_step(Statement(store_, kRollback).get());
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() {
      Statement(store_, kCommit).finish(operation_);
      done_ = true;
    }

   private:
    SqliteKeyValueStore& store_;
    std::string_view operation_;
    bool done_ = false;
  };

  struct Row {
    std::optional<std::string> value;
    std::optional<std::int64_t> expires_ms;
  };

  static std::optional<std::int64_t> expiry(std::optional<std::chrono::milliseconds> ttl) {
    if (!ttl) return std::nullopt;
    return now_ms() + std::max<std::int64_t>(ttl->count(), 1);
  }

  Row read(std::string_view key) {
    Statement s(*this, kGet);
    s.blob(1, key).integer(2, now_ms());
    Row row;
    if (s.step("get")) {
      row.value = s.column(0);
      if (sqlite3_column_type(s.get(), 1) != SQLITE_NULL) row.expires_ms = sqlite3_column_int64(s.get(), 1);
    }
    return row;
  }

  void write(std::string_view key, std::string_view value, std::optional<std::int64_t> expires_ms,
             std::string_view operation) {
    {
      Statement s(*this, kPut);
      s.blob(1, key).blob(2, value).integer(3, expires_ms);
      s.finish(operation);
    }
    if (++writes_ % kWritesPerPurge == 0) {
      Statement s(*this, kPurge);
      s.integer(1, now_ms());
      s.finish(operation);
    }
  }

  [[nodiscard]] std::string where() const { return "binding '" + name_ + "' (sqlite, " + path_ + ")"; }

  [[noreturn]] void fail(std::string_view operation, int rc) const {
    const bool busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
    throw BindingError(where() + ": " + std::string(operation) + ": " + sqlite3_errstr(rc) +
                       (busy ? " (another process held the database longer than the busy timeout)" : ""));
  }

  std::string name_;
  std::string path_;
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;  // by Index
  std::mutex mutex_;                       // one connection; a worker's threads share the binding
  std::uint64_t writes_ = 0;
};

}  // namespace

Result<std::shared_ptr<Binding>> make_sqlite(const BindingSpec& spec) {
  const std::string field = spec.origin + ": spec.dataBindings." + spec.name;
  if (spec.path.empty()) {
    return Error{field + ": binding '" + spec.name + "' of kind 'sqlite' needs a path (the database file)"};
  }
  const fs::path p = fs::path(spec.path).is_absolute() ? fs::path(spec.path) : spec.base_dir / spec.path;
  std::string table(kDefaultTable);
  auto busy_timeout = kDefaultBusyTimeout;
  if (spec.attributes.is_object()) {
    if (auto it = spec.attributes.find("table"); it != spec.attributes.end()) {
      const bool plain =
          it->is_string() && !it->get<std::string>().empty() &&
          it->get<std::string>().find_first_not_of(
              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string::npos;
      if (!plain) return Error{field + ".attributes.table: expected a name of letters, digits and _"};
      table = it->get<std::string>();
    }
    if (auto it = spec.attributes.find("busyTimeout"); it != spec.attributes.end()) {
      auto d = it->is_string() ? parse_duration(it->get<std::string>()) : Error{"expected a duration (5s)"};
      if (!d) return Error{field + ".attributes.busyTimeout: " + d.error().message};
      busy_timeout = *d;
    }
  }
  auto store = std::make_shared<SqliteKeyValueStore>(spec.name, p.string());
  if (auto ok = store->open(table, busy_timeout); !ok) return Error{spec.origin + ": " + ok.error().message};
  return std::shared_ptr<Binding>(std::move(store));
}

}  // namespace nimbus::engine::bindings
