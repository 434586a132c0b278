#include "batch_status.h"

#include <gtest/gtest.h>

namespace tokenfab::gateway {
namespace {

using S = BatchStatus;

ledger::BatchRecord At(S status) {
  ledger::BatchRecord b;
  b.id = "batch_1";
  b.status = std::string(BatchStatusName(status));
  return b;
}

TEST(BatchStatusTest, TheHappyPathStampsEachTime) {
  ledger::BatchRecord b = At(S::kValidating);
  ASSERT_TRUE(TransitionBatch(b, S::kInProgress, 10).ok());
  ASSERT_TRUE(TransitionBatch(b, S::kFinalizing, 20).ok());
  ASSERT_TRUE(TransitionBatch(b, S::kCompleted, 30).ok());
  EXPECT_EQ(b.status, "completed");
  EXPECT_EQ(b.in_progress_at, 10);
  EXPECT_EQ(b.finalizing_at, 20);
  EXPECT_EQ(b.completed_at, 30);
  EXPECT_EQ(b.failed_at, 0);
  EXPECT_EQ(b.cancelled_at, 0);
}

TEST(BatchStatusTest, FailureExpiryAndCancellation) {
  ledger::BatchRecord failed = At(S::kValidating);
  ASSERT_TRUE(TransitionBatch(failed, S::kFailed, 5).ok());
  EXPECT_EQ(failed.failed_at, 5);
  ledger::BatchRecord expired = At(S::kFinalizing);
  ASSERT_TRUE(TransitionBatch(expired, S::kExpired, 7).ok());
  EXPECT_EQ(expired.expired_at, 7);
  for (S from : {S::kValidating, S::kInProgress}) {
    ledger::BatchRecord b = At(from);
    ASSERT_TRUE(TransitionBatch(b, S::kCancelling, 8).ok());
    ASSERT_TRUE(TransitionBatch(b, S::kCancelled, 9).ok());
    EXPECT_EQ(b.cancelling_at, 8);
    EXPECT_EQ(b.cancelled_at, 9);
  }
}

TEST(BatchStatusTest, RefusedMovesChangeNothing) {
  struct Move {
    S from, to;
  };
  for (const Move m : {Move{S::kValidating, S::kCompleted}, Move{S::kValidating, S::kFinalizing},
                       Move{S::kInProgress, S::kCompleted}, Move{S::kInProgress, S::kFailed},
                       Move{S::kFinalizing, S::kCancelling}, Move{S::kCancelling, S::kInProgress},
                       Move{S::kCompleted, S::kCancelling}, Move{S::kCancelled, S::kInProgress},
                       Move{S::kFailed, S::kInProgress}, Move{S::kExpired, S::kCompleted}}) {
    ledger::BatchRecord b = At(m.from);
    const ledger::BatchRecord before = b;
    const Status s = TransitionBatch(b, m.to, 99);
    EXPECT_TRUE(absl::IsFailedPrecondition(s))
        << BatchStatusName(m.from) << " -> " << BatchStatusName(m.to);
    EXPECT_EQ(b, before);
  }
}

TEST(BatchStatusTest, FinalStatusesAndNames) {
  for (S s : {S::kFailed, S::kCompleted, S::kExpired, S::kCancelled}) {
    EXPECT_TRUE(IsFinalBatchStatus(s));
  }
  for (S s : {S::kValidating, S::kInProgress, S::kFinalizing, S::kCancelling}) {
    EXPECT_FALSE(IsFinalBatchStatus(s));
    EXPECT_EQ(*ParseBatchStatus(BatchStatusName(s)), s);
  }
  EXPECT_FALSE(ParseBatchStatus("done").ok());
  ledger::BatchRecord unknown;
  unknown.status = "done";
  EXPECT_FALSE(TransitionBatch(unknown, S::kInProgress, 1).ok());
}

}  // namespace
}  // namespace tokenfab::gateway
