// SqlSession: the two things the shared SQL layer (SqlStore) needs from a database connection,
// so that SQLite and PostgreSQL differ only in how they run a statement, not in what they run.
// Statements are written once with SQLite's numbered "?N" placeholders; a PostgreSQL session
// rewrites them to "$N". The membership registry's PostgreSQL backend uses it too, through
// PostgresPool (postgres_pool.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "tokenfab/base/status.h"

namespace tokenfab::ledger {

// One statement parameter; std::monostate is SQL NULL.
using SqlValue = std::variant<std::monostate, int64_t, double, std::string>;
// Parameters in placeholder order: element i binds "?{i+1}".
using SqlParams = std::vector<SqlValue>;

// One result row, read by column index (0-based). A NULL reads as 0 or "".
class SqlRow {
 public:
  virtual ~SqlRow() = default;
  virtual bool IsNull(int col) const = 0;
  virtual std::string Text(int col) const = 0;
  virtual int64_t Int(int col) const = 0;
  virtual double Double(int col) const = 0;

  std::optional<int64_t> OptInt(int col) const {
    return IsNull(col) ? std::nullopt : std::optional<int64_t>(Int(col));
  }
};

// One connection in use for the duration of one store call: the statements of a session run in
// order on the same connection, and no other call uses that connection meanwhile.
class SqlSession {
 public:
  virtual ~SqlSession() = default;

  // Runs a statement that returns no rows; returns how many rows it inserted, updated or deleted.
  [[nodiscard]] virtual StatusOr<int64_t> Execute(const std::string& sql,
                                                  const SqlParams& params = {}) = 0;
  // Runs a query and calls `on_row` for each result row, in order. The row is valid only during
  // the call.
  [[nodiscard]] virtual Status Query(const std::string& sql, const SqlParams& params,
                                     const std::function<void(const SqlRow&)>& on_row) = 0;
};

// The ledger's shared SQL layer names them from its internal namespace.
namespace internal {
using ledger::SqlParams;
using ledger::SqlRow;
using ledger::SqlSession;
using ledger::SqlValue;
}  // namespace internal

}  // namespace tokenfab::ledger
