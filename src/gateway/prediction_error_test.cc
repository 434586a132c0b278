#include "prediction_error.h"

#include <gtest/gtest.h>

namespace tokenfab::gateway {
namespace {

TEST(PredictionErrorTest, MedianOfAbsoluteRelativeErrors) {
  PredictionError error;
  EXPECT_EQ(error.P50(), -1);
  error.Add(110, 100);  // 0.10
  error.Add(50, 100);   // 0.50
  error.Add(99, 100);   // 0.01
  EXPECT_DOUBLE_EQ(error.P50(), 0.10);
  error.Add(300, 100);  // 2.00: the lower middle of four is still 0.10
  EXPECT_DOUBLE_EQ(error.P50(), 0.10);
  error.Add(0, 100);  // nothing predicted: ignored
  error.Add(100, 0);  // nothing observed: ignored
  EXPECT_EQ(error.count(), 4);
}

TEST(PredictionErrorTest, KeepsOnlyTheRecentWindow) {
  PredictionError error(3);
  for (int i = 0; i < 3; ++i) error.Add(200, 100);  // 1.0 each
  for (int i = 0; i < 3; ++i) error.Add(105, 100);  // 0.05 each: the old ones are gone
  EXPECT_DOUBLE_EQ(error.P50(), 0.05);
  EXPECT_EQ(error.count(), 6);
}

}  // namespace
}  // namespace tokenfab::gateway
