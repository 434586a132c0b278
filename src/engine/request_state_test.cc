#include "tokenfab/engine/request_state.h"

#include <set>
#include <utility>

#include <gtest/gtest.h>

#include "tokenfab/engine/scheduled_request.h"

namespace tokenfab::engine {
namespace {

constexpr RequestState kAll[] = {RequestState::kQueued,   RequestState::kPrefilling,
                                 RequestState::kDecoding, RequestState::kPreempted,
                                 RequestState::kFinished, RequestState::kFailed,
                                 RequestState::kCancelled};

TEST(RequestStateTest, TransitionTableIsExactlyTheDocumentedOne) {
  using S = RequestState;
  const std::set<std::pair<S, S>> allowed = {
      {S::kQueued, S::kPrefilling},    {S::kQueued, S::kCancelled},
      {S::kQueued, S::kFailed},        {S::kPrefilling, S::kDecoding},
      {S::kPrefilling, S::kPreempted}, {S::kPrefilling, S::kFinished},
      {S::kPrefilling, S::kCancelled}, {S::kPrefilling, S::kFailed},
      {S::kDecoding, S::kPreempted},   {S::kDecoding, S::kFinished},
      {S::kDecoding, S::kCancelled},   {S::kDecoding, S::kFailed},
      {S::kPreempted, S::kPrefilling}, {S::kPreempted, S::kCancelled},
      {S::kPreempted, S::kFailed},
  };
  for (S from : kAll) {
    for (S to : kAll) {
      EXPECT_EQ(IsValidTransition(from, to), allowed.contains({from, to}))
          << RequestStateName(from) << " -> " << RequestStateName(to);
    }
  }
}

TEST(RequestStateTest, PredicatesPartitionTheStates) {
  for (RequestState s : kAll) {
    const int classes = (IsTerminal(s) ? 1 : 0) + (IsRunning(s) ? 1 : 0) + (IsWaiting(s) ? 1 : 0);
    EXPECT_EQ(classes, 1) << RequestStateName(s);
    EXPECT_FALSE(RequestStateName(s).empty());
  }
  EXPECT_EQ(FinishReasonName(FinishReason::kStop), "stop");
  EXPECT_EQ(FinishReasonName(FinishReason::kLength), "length");
  EXPECT_EQ(FinishReasonName(FinishReason::kCancelled), "abort");
}

RequestSpec Spec(RequestId id) {
  RequestSpec spec;
  spec.id = id;
  spec.prompt = {1, 2, 3};
  return spec;
}

TEST(RequestTest, TransitionsStampTimesAndCountPreemptions) {
  ScheduledRequest r(Spec(7), /*arrival_us=*/100, /*arrival_seq=*/0, /*max_new_tokens=*/4);
  EXPECT_EQ(r.state(), RequestState::kQueued);
  EXPECT_FALSE(r.ever_admitted());
  r.TransitionTo(RequestState::kPrefilling, 150);
  EXPECT_EQ(r.times().first_scheduled_us, 150);
  r.AppendToken(9, 200);
  r.TransitionTo(RequestState::kDecoding, 200);
  r.TransitionTo(RequestState::kPreempted, 250);
  r.TransitionTo(RequestState::kPrefilling, 300);
  EXPECT_EQ(r.times().first_scheduled_us, 150) << "re-admission keeps the first admission time";
  EXPECT_EQ(r.num_preemptions(), 1);
  r.AppendToken(10, 400);
  EXPECT_EQ(r.times().first_token_us, 200);
  EXPECT_EQ(r.times().last_token_us, 400);
  r.TransitionTo(RequestState::kFinished, 400, FinishReason::kLength);
  EXPECT_EQ(r.finish_reason(), FinishReason::kLength);
  EXPECT_EQ(r.times().finished_us, 400);
  EXPECT_EQ(r.num_tokens(), 5);
  EXPECT_EQ(r.num_generated_tokens(), 2);
  EXPECT_EQ(std::vector<Token>(r.generated().begin(), r.generated().end()),
            (std::vector<Token>{9, 10}));
}

TEST(RequestTest, CancelAndFailSetTheirReasons) {
  ScheduledRequest a(Spec(1), 0, 0, 1);
  a.TransitionTo(RequestState::kCancelled, 5);
  EXPECT_EQ(a.finish_reason(), FinishReason::kCancelled);
  ScheduledRequest b(Spec(2), 0, 1, 1);
  b.TransitionTo(RequestState::kPrefilling, 1);
  b.TransitionTo(RequestState::kFailed, 5);
  EXPECT_EQ(b.finish_reason(), FinishReason::kError);
}

TEST(RequestDeathTest, IllegalTransitionsAbort) {
  EXPECT_DEATH(
      {
        ScheduledRequest r(Spec(1), 0, 0, 1);
        r.TransitionTo(RequestState::kDecoding, 1);  // queued cannot decode
      },
      "illegal transition queued -> decoding");
  EXPECT_DEATH(
      {
        ScheduledRequest r(Spec(1), 0, 0, 1);
        r.TransitionTo(RequestState::kCancelled, 1);
        r.TransitionTo(RequestState::kPrefilling, 2);  // nothing leaves a terminal state
      },
      "illegal transition cancelled -> prefilling");
  EXPECT_DEATH(
      {
        ScheduledRequest r(Spec(1), 0, 0, 1);
        r.TransitionTo(RequestState::kPrefilling, 1);
        r.TransitionTo(RequestState::kFinished, 2);  // finishing needs a reason
      },
      "without a stop or length reason");
  EXPECT_DEATH(
      {
        ScheduledRequest r(Spec(1), 0, 0, 1);
        r.AppendToken(5, 1);
        r.AppendToken(6, 2);  // past max_new_tokens
      },
      "generated past its limit");
}

}  // namespace
}  // namespace tokenfab::engine
