// SqlStore's BatchStore methods: files, batches and batch lines, as SQL on a SqlSession.
#include <fmt/format.h>

#include "sql_store.h"

namespace tokenfab::ledger::internal {
namespace {

constexpr std::string_view kFileColumns = "id, tenant, filename, purpose, bytes, created_at";
constexpr std::string_view kBatchColumns =
    "id, tenant, key_id, endpoint, input_file_id, completion_window, status, output_file_id, "
    "error_file_id, errors_json, metadata_json, created_at, in_progress_at, expires_at, "
    "finalizing_at, completed_at, failed_at, expired_at, cancelling_at, cancelled_at";
constexpr std::string_view kLineColumns =
    "batch_id, line, custom_id, body, state, status_code, request_id, response";

FileRecord ReadFile(const SqlRow& row) {
  return FileRecord{row.Text(0), row.Text(1), row.Text(2), row.Text(3), row.Int(4), row.Int(5)};
}

SqlParams BatchParams(const BatchRecord& b) {
  return {b.id,
          b.tenant,
          b.key_id,
          b.endpoint,
          b.input_file_id,
          b.completion_window,
          b.status,
          b.output_file_id,
          b.error_file_id,
          b.errors_json,
          b.metadata_json,
          b.created_at,
          b.in_progress_at,
          b.expires_at,
          b.finalizing_at,
          b.completed_at,
          b.failed_at,
          b.expired_at,
          b.cancelling_at,
          b.cancelled_at};
}

BatchRecord ReadBatch(const SqlRow& row) {
  BatchRecord b;
  b.id = row.Text(0);
  b.tenant = row.Text(1);
  b.key_id = row.Text(2);
  b.endpoint = row.Text(3);
  b.input_file_id = row.Text(4);
  b.completion_window = row.Text(5);
  b.status = row.Text(6);
  b.output_file_id = row.Text(7);
  b.error_file_id = row.Text(8);
  b.errors_json = row.Text(9);
  b.metadata_json = row.Text(10);
  int64_t* times[] = {&b.created_at,    &b.in_progress_at, &b.expires_at,
                      &b.finalizing_at, &b.completed_at,   &b.failed_at,
                      &b.expired_at,    &b.cancelling_at,  &b.cancelled_at};
  for (int i = 0; i < 9; ++i) *times[i] = row.Int(11 + i);
  return b;
}

BatchLine ReadLine(const SqlRow& row) {
  BatchLine l;
  l.batch_id = row.Text(0);
  l.line = row.Int(1);
  l.custom_id = row.Text(2);
  l.body = row.Text(3);
  l.state = static_cast<LineState>(row.Int(4));
  l.status_code = static_cast<int32_t>(row.Int(5));
  l.request_id = row.Text(6);
  l.response = row.Text(7);
  return l;
}

template <typename T>
StatusOr<std::vector<T>> All(SqlSession& session, const std::string& sql, const SqlParams& params,
                             T (*read)(const SqlRow&)) {
  std::vector<T> out;
  TF_RETURN_IF_ERROR(
      session.Query(sql, params, [&](const SqlRow& row) { out.push_back(read(row)); }));
  return out;
}

}  // namespace

Status SqlStore::InTransaction(SqlSession& session, const std::function<Status()>& body) {
  TF_RETURN_IF_ERROR(session.Execute("BEGIN").status());
  Status status = body();
  if (status.ok()) status = session.Execute("COMMIT").status();
  if (!status.ok()) (void)session.Execute("ROLLBACK");
  return status;
}

Status SqlStore::InsertFile(const FileRecord& f) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return session
      ->Execute(fmt::format("INSERT INTO files ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", kFileColumns),
                {f.id, f.tenant, f.filename, f.purpose, f.bytes, f.created_at})
      .status();
}

StatusOr<FileRecord> SqlStore::GetFile(std::string_view tenant, std::string_view id) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  TF_ASSIGN_OR_RETURN(
      std::vector<FileRecord> rows,
      All(*session, fmt::format("SELECT {} FROM files WHERE id = ?1 AND tenant = ?2", kFileColumns),
          {std::string(id), std::string(tenant)}, &ReadFile));
  if (rows.empty()) return absl::NotFoundError(fmt::format("No such File object: {}", id));
  return rows.front();
}

StatusOr<std::vector<FileRecord>> SqlStore::ListFiles(std::string_view tenant,
                                                      std::string_view purpose) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return All(*session,
             fmt::format("SELECT {} FROM files WHERE tenant = ?1 AND (?2 = '' OR purpose = ?2) "
                         "ORDER BY created_at DESC, id DESC",
                         kFileColumns),
             {std::string(tenant), std::string(purpose)}, &ReadFile);
}

Status SqlStore::DeleteFile(std::string_view tenant, std::string_view id) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  TF_ASSIGN_OR_RETURN(int64_t changed,
                      session->Execute("DELETE FROM files WHERE id = ?1 AND tenant = ?2",
                                       {std::string(id), std::string(tenant)}));
  if (changed == 0) return absl::NotFoundError(fmt::format("No such File object: {}", id));
  return absl::OkStatus();
}

Status SqlStore::InsertBatch(const BatchRecord& batch) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  SqlParams params = BatchParams(batch);
  std::string placeholders;
  for (size_t i = 1; i <= params.size() + 1; ++i) {
    placeholders += fmt::format("{}?{}", i > 1 ? ", " : "", i);
  }
  // seq orders batches created in the same second: one more than the largest so far.
  return session
      ->Execute(fmt::format("INSERT INTO batches ({}, seq) VALUES ({})", kBatchColumns,
                            placeholders.substr(0, placeholders.rfind(',')) +
                                ", (SELECT COALESCE(MAX(seq), 0) + 1 FROM batches)"),
                params)
      .status();
}

Status SqlStore::UpdateBatch(const BatchRecord& batch) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  TF_ASSIGN_OR_RETURN(
      int64_t changed,
      session->Execute(
          "UPDATE batches SET key_id = ?3, endpoint = ?4, input_file_id = ?5, "
          "completion_window = ?6, status = ?7, output_file_id = ?8, error_file_id = ?9, "
          "errors_json = ?10, metadata_json = ?11, created_at = ?12, in_progress_at = ?13, "
          "expires_at = ?14, finalizing_at = ?15, completed_at = ?16, failed_at = ?17, "
          "expired_at = ?18, cancelling_at = ?19, cancelled_at = ?20 WHERE id = ?1 AND tenant = ?2",
          BatchParams(batch)));
  if (changed == 0) return absl::NotFoundError(fmt::format("No such Batch object: {}", batch.id));
  return absl::OkStatus();
}

StatusOr<BatchRecord> SqlStore::GetBatch(std::string_view tenant, std::string_view id) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  TF_ASSIGN_OR_RETURN(
      std::vector<BatchRecord> rows,
      All(*session,
          fmt::format("SELECT {} FROM batches WHERE id = ?1 AND tenant = ?2", kBatchColumns),
          {std::string(id), std::string(tenant)}, &ReadBatch));
  if (rows.empty()) return absl::NotFoundError(fmt::format("No such Batch object: {}", id));
  return rows.front();
}

StatusOr<std::vector<BatchRecord>> SqlStore::ListBatches(std::string_view tenant,
                                                         std::string_view after, int64_t limit) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return All(*session,
             fmt::format("SELECT {} FROM batches WHERE tenant = ?1 AND (?2 = '' OR seq < (SELECT "
                         "seq FROM batches WHERE id = ?2 AND tenant = ?1)) ORDER BY seq DESC "
                         "LIMIT ?3",
                         kBatchColumns),
             {std::string(tenant), std::string(after), limit}, &ReadBatch);
}

StatusOr<std::vector<BatchRecord>> SqlStore::ListUnfinishedBatches() {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return All(*session,
             fmt::format("SELECT {} FROM batches WHERE status IN ('validating', 'in_progress', "
                         "'finalizing', 'cancelling') ORDER BY seq",
                         kBatchColumns),
             {}, &ReadBatch);
}

Status SqlStore::InsertLines(const std::vector<BatchLine>& lines) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  const std::string sql = fmt::format(
      "INSERT INTO batch_lines ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO "
      "NOTHING",
      kLineColumns);
  return InTransaction(*session, [&]() -> Status {
    for (const BatchLine& l : lines) {
      TF_RETURN_IF_ERROR(session
                             ->Execute(sql, {l.batch_id, l.line, l.custom_id, l.body,
                                             static_cast<int64_t>(l.state), int64_t{l.status_code},
                                             l.request_id, l.response})
                             .status());
    }
    return absl::OkStatus();
  });
}

StatusOr<std::vector<BatchLine>> SqlStore::PendingLines(std::string_view batch_id, int64_t after,
                                                        int64_t limit) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return All(*session,
             fmt::format("SELECT {} FROM batch_lines WHERE batch_id = ?1 AND state = 0 AND "
                         "line > ?2 ORDER BY line LIMIT ?3",
                         kLineColumns),
             {std::string(batch_id), after, limit}, &ReadLine);
}

Status SqlStore::FinishLine(const BatchLine& l) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return session
      ->Execute(
          "UPDATE batch_lines SET state = ?3, status_code = ?4, request_id = ?5, "
          "response = ?6 WHERE batch_id = ?1 AND line = ?2 AND state = 0",
          {l.batch_id, l.line, static_cast<int64_t>(l.state), int64_t{l.status_code}, l.request_id,
           l.response})
      .status();
}

StatusOr<std::vector<BatchLine>> SqlStore::ListLines(std::string_view batch_id) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return All(
      *session,
      fmt::format("SELECT {} FROM batch_lines WHERE batch_id = ?1 ORDER BY line", kLineColumns),
      {std::string(batch_id)}, &ReadLine);
}

StatusOr<LineCounts> SqlStore::CountLines(std::string_view batch_id) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  LineCounts counts;
  TF_RETURN_IF_ERROR(
      session->Query("SELECT state, COUNT(*) FROM batch_lines WHERE batch_id = ?1 GROUP BY state",
                     {std::string(batch_id)}, [&](const SqlRow& row) {
                       const int64_t n = row.Int(1);
                       counts.total += n;
                       if (row.Int(0) == static_cast<int64_t>(LineState::kSucceeded))
                         counts.succeeded += n;
                       if (row.Int(0) == static_cast<int64_t>(LineState::kFailed))
                         counts.failed += n;
                     }));
  return counts;
}

}  // namespace tokenfab::ledger::internal
