// BatchStore: the durable side of the Files and Batches APIs. Uploaded files' metadata (their
// bytes live in a directory the gateway owns), batches and each batch's lines, in the ledger
// database, so that a gateway killed mid-batch resumes where it stopped.
//
// Ownership is by tenant: every read and change names the tenant, and another tenant's file or
// batch is NotFound, never "forbidden" (its existence is not revealed).
//
// Thread-safety: as Store (every method from any thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"

namespace tokenfab::ledger {

struct FileRecord {
  std::string id;  // "file-..."
  std::string tenant;
  std::string filename;
  std::string purpose;  // "batch", "batch_output"
  int64_t bytes = 0;
  int64_t created_at = 0;  // s since the epoch

  bool operator==(const FileRecord&) const = default;
};

// A batch as the Batches API shows it; times in s since the epoch, 0 when not reached.
struct BatchRecord {
  std::string id;  // "batch_..."
  std::string tenant;
  std::string key_id;  // the API key that created it (its lines are recorded under it)
  std::string endpoint;
  std::string input_file_id;
  std::string completion_window = "24h";
  std::string status = "validating";  // batch_status.h names
  std::string output_file_id;         // empty: none
  std::string error_file_id;
  std::string errors_json;    // the `errors` object, or empty
  std::string metadata_json;  // the `metadata` object, or empty
  int64_t created_at = 0;
  int64_t in_progress_at = 0;
  int64_t expires_at = 0;
  int64_t finalizing_at = 0;
  int64_t completed_at = 0;
  int64_t failed_at = 0;
  int64_t expired_at = 0;
  int64_t cancelling_at = 0;
  int64_t cancelled_at = 0;

  bool operator==(const BatchRecord&) const = default;
};

// What became of a line.
enum class LineState { kPending, kSucceeded, kFailed };

struct BatchLine {
  std::string batch_id;
  int64_t line = 0;  // 1-based line number in the input file
  std::string custom_id;
  std::string body;  // the request body (JSON)
  LineState state = LineState::kPending;
  int32_t status_code = 0;  // the answer's HTTP status; 0 while pending
  std::string request_id;   // the gateway request that ran it
  std::string response;     // the answer's body (JSON), or the error object when no answer

  bool operator==(const BatchLine&) const = default;
};

struct LineCounts {
  int64_t total = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;  // pending = total - succeeded - failed
};

class BatchStore {
 public:
  virtual ~BatchStore() = default;

  // Files. GetFile / DeleteFile: NotFound for a missing id or another tenant's.
  [[nodiscard]] virtual Status InsertFile(const FileRecord& file) = 0;
  [[nodiscard]] virtual StatusOr<FileRecord> GetFile(std::string_view tenant,
                                                     std::string_view id) = 0;
  // The tenant's files, newest first; of one purpose when `purpose` is non-empty.
  [[nodiscard]] virtual StatusOr<std::vector<FileRecord>> ListFiles(std::string_view tenant,
                                                                    std::string_view purpose) = 0;
  [[nodiscard]] virtual Status DeleteFile(std::string_view tenant, std::string_view id) = 0;

  // Batches. UpdateBatch rewrites every field but id and tenant (NotFound when absent).
  [[nodiscard]] virtual Status InsertBatch(const BatchRecord& batch) = 0;
  [[nodiscard]] virtual Status UpdateBatch(const BatchRecord& batch) = 0;
  [[nodiscard]] virtual StatusOr<BatchRecord> GetBatch(std::string_view tenant,
                                                       std::string_view id) = 0;
  // The tenant's batches, newest first: at most `limit`, older than batch `after` when given.
  [[nodiscard]] virtual StatusOr<std::vector<BatchRecord>> ListBatches(std::string_view tenant,
                                                                       std::string_view after,
                                                                       int64_t limit) = 0;
  // Every tenant's batches not yet in a final state, oldest first (for the runner).
  [[nodiscard]] virtual StatusOr<std::vector<BatchRecord>> ListUnfinishedBatches() = 0;

  // Lines. InsertLines writes all of them in one transaction (a line already there is kept).
  [[nodiscard]] virtual Status InsertLines(const std::vector<BatchLine>& lines) = 0;
  // Up to `limit` pending lines of the batch with line numbers above `after`, in line order.
  [[nodiscard]] virtual StatusOr<std::vector<BatchLine>> PendingLines(std::string_view batch_id,
                                                                      int64_t after,
                                                                      int64_t limit) = 0;
  // Sets a pending line's outcome; a line already finished is left as it is (OK).
  [[nodiscard]] virtual Status FinishLine(const BatchLine& line) = 0;
  // Every line of the batch in line order (for the output files).
  [[nodiscard]] virtual StatusOr<std::vector<BatchLine>> ListLines(std::string_view batch_id) = 0;
  [[nodiscard]] virtual StatusOr<LineCounts> CountLines(std::string_view batch_id) = 0;
};

}  // namespace tokenfab::ledger
