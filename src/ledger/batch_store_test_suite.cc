// The store conformance suite, continued: the BatchStore side (files, batches, batch lines).
#include <fmt/format.h>

#include "store_test_suite.h"

namespace tokenfab::ledger {
namespace {

FileRecord File(std::string id, std::string tenant, int64_t created_at) {
  return FileRecord{std::move(id), std::move(tenant), "in.jsonl", "batch", 100, created_at};
}

BatchRecord Batch(std::string id, std::string tenant) {
  BatchRecord b;
  b.id = std::move(id);
  b.tenant = std::move(tenant);
  b.key_id = "KEY000000001";
  b.endpoint = "/v1/chat/completions";
  b.input_file_id = "file-1";
  b.created_at = 1000;
  b.expires_at = 1000 + 86400;
  return b;
}

BatchLine Line(std::string batch, int64_t n) {
  BatchLine l;
  l.batch_id = std::move(batch);
  l.line = n;
  l.custom_id = fmt::format("c{}", n);
  l.body = R"({"model":"m"})";
  return l;
}

TEST_P(StoreTest, FilesBelongToTheirTenant) {
  BatchStore& files = *store_->batches();
  ASSERT_TRUE(files.InsertFile(File("file-1", "acme", 10)).ok());
  ASSERT_TRUE(files.InsertFile(File("file-2", "acme", 20)).ok());
  ASSERT_TRUE(files.InsertFile(File("file-3", "other", 30)).ok());
  EXPECT_EQ(*files.GetFile("acme", "file-1"), File("file-1", "acme", 10));
  // Another tenant's file does not exist for this one: not in its list, NotFound by id.
  EXPECT_TRUE(absl::IsNotFound(files.GetFile("acme", "file-3").status()));
  EXPECT_TRUE(absl::IsNotFound(files.DeleteFile("acme", "file-3")));
  StatusOr<std::vector<FileRecord>> listed = files.ListFiles("acme", "");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, "file-2");  // newest first
  EXPECT_TRUE(files.ListFiles("acme", "batch_output")->empty());
  ASSERT_TRUE(files.DeleteFile("acme", "file-1").ok());
  EXPECT_TRUE(absl::IsNotFound(files.GetFile("acme", "file-1").status()));
  EXPECT_TRUE(files.GetFile("other", "file-3").ok());
}

TEST_P(StoreTest, BatchesRoundTripListNewestFirstAndStayPrivate) {
  BatchStore& batches = *store_->batches();
  for (const char* id : {"batch_a", "batch_b", "batch_c"}) {
    ASSERT_TRUE(batches.InsertBatch(Batch(id, "acme")).ok());
  }
  ASSERT_TRUE(batches.InsertBatch(Batch("batch_x", "other")).ok());
  BatchRecord b = *batches.GetBatch("acme", "batch_b");
  EXPECT_EQ(b, Batch("batch_b", "acme"));
  b.status = "in_progress";
  b.in_progress_at = 1001;
  b.metadata_json = R"({"k":"v"})";
  ASSERT_TRUE(batches.UpdateBatch(b).ok());
  EXPECT_EQ(*batches.GetBatch("acme", "batch_b"), b);
  EXPECT_TRUE(absl::IsNotFound(batches.GetBatch("acme", "batch_x").status()));
  BatchRecord foreign = Batch("batch_x", "acme");
  EXPECT_TRUE(absl::IsNotFound(batches.UpdateBatch(foreign)));
  StatusOr<std::vector<BatchRecord>> page = batches.ListBatches("acme", "", 2);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, "batch_c");
  EXPECT_EQ((*page)[1].id, "batch_b");
  page = batches.ListBatches("acme", "batch_b", 10);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].id, "batch_a");
  // Unfinished batches of every tenant, oldest first; a final one is not among them.
  b.status = "completed";
  ASSERT_TRUE(batches.UpdateBatch(b).ok());
  StatusOr<std::vector<BatchRecord>> open = batches.ListUnfinishedBatches();
  ASSERT_TRUE(open.ok()) << open.status();
  ASSERT_EQ(open->size(), 3u);
  EXPECT_EQ((*open)[0].id, "batch_a");
  EXPECT_EQ((*open)[2].id, "batch_x");
}

TEST_P(StoreTest, BatchLinesFinishOnce) {
  BatchStore& batches = *store_->batches();
  ASSERT_TRUE(
      batches.InsertLines({Line("batch_a", 1), Line("batch_a", 2), Line("batch_a", 4)}).ok());
  ASSERT_TRUE(batches.InsertLines({Line("batch_a", 1)}).ok());  // a retry keeps the first
  StatusOr<std::vector<BatchLine>> pending = batches.PendingLines("batch_a", 0, 10);
  ASSERT_TRUE(pending.ok()) << pending.status();
  ASSERT_EQ(pending->size(), 3u);
  EXPECT_EQ((*pending)[2], Line("batch_a", 4));
  BatchLine done = Line("batch_a", 2);
  done.state = LineState::kSucceeded;
  done.status_code = 200;
  done.request_id = "batch_a-2";
  done.response = R"({"id":"x"})";
  ASSERT_TRUE(batches.FinishLine(done).ok());
  BatchLine again = done;  // a second outcome for the same line changes nothing
  again.state = LineState::kFailed;
  again.status_code = 400;
  ASSERT_TRUE(batches.FinishLine(again).ok());
  pending = batches.PendingLines("batch_a", 1, 10);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].line, 4);
  StatusOr<std::vector<BatchLine>> all = batches.ListLines("batch_a");
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1], done);
  StatusOr<LineCounts> counts = batches.CountLines("batch_a");
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->total, 3);
  EXPECT_EQ(counts->succeeded, 1);
  EXPECT_EQ(counts->failed, 0);
  EXPECT_EQ(batches.CountLines("batch_b")->total, 0);
}

}  // namespace
}  // namespace tokenfab::ledger
