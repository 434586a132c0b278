#include "relay_phase.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

namespace tokenfab::gateway {
namespace {

using P = RelayPhase;

constexpr P kAll[] = {P::kIntake, P::kWaiting, P::kCalling, P::kBackoff, P::kRecording, P::kDone};

TEST(RelayPhaseTest, EveryDocumentedMoveIsAllowed) {
  const std::pair<P, P> documented[] = {
      {P::kIntake, P::kCalling},  {P::kIntake, P::kDone},       {P::kCalling, P::kBackoff},
      {P::kBackoff, P::kCalling}, {P::kCalling, P::kRecording}, {P::kBackoff, P::kRecording},
      {P::kRecording, P::kDone},  {P::kIntake, P::kWaiting},    {P::kWaiting, P::kCalling},
      {P::kWaiting, P::kDone},
  };
  for (const auto& [from, to] : documented) {
    EXPECT_TRUE(IsValidTransition(from, to))
        << RelayPhaseName(from) << " -> " << RelayPhaseName(to);
  }
}

TEST(RelayPhaseTest, UndocumentedMovesAreRefused) {
  // A sample that matters: an unrecorded answer (calling -> done), a second intake, leaving
  // done, recording twice or going back to call after recording began, staying in place.
  const std::pair<P, P> refused[] = {
      {P::kCalling, P::kDone},      {P::kBackoff, P::kDone},        {P::kCalling, P::kIntake},
      {P::kDone, P::kCalling},      {P::kDone, P::kIntake},         {P::kRecording, P::kCalling},
      {P::kRecording, P::kBackoff}, {P::kIntake, P::kRecording},    {P::kIntake, P::kBackoff},
      {P::kCalling, P::kCalling},   {P::kRecording, P::kRecording}, {P::kDone, P::kDone},
      {P::kWaiting, P::kRecording}, {P::kWaiting, P::kBackoff},     {P::kCalling, P::kWaiting},
      {P::kWaiting, P::kWaiting},
  };
  for (const auto& [from, to] : refused) {
    EXPECT_FALSE(IsValidTransition(from, to))
        << RelayPhaseName(from) << " -> " << RelayPhaseName(to);
  }
}

TEST(RelayPhaseTest, DoneIsTerminalAndEveryOtherPhaseLeadsSomewhere) {
  std::set<std::string_view> names;
  for (P from : kAll) {
    int exits = 0;
    for (P to : kAll) exits += IsValidTransition(from, to) ? 1 : 0;
    EXPECT_EQ(exits == 0, from == P::kDone) << RelayPhaseName(from);
    names.insert(RelayPhaseName(from));
  }
  EXPECT_EQ(names.size(), std::size(kAll));  // each phase has a name of its own
}

}  // namespace
}  // namespace tokenfab::gateway
