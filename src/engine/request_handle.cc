#include "tokenfab/engine/request_handle.h"

#include <utility>

#include "engine/request_channel.h"
#include "tokenfab/base/check.h"

namespace tokenfab::engine {

RequestHandle::RequestHandle(std::shared_ptr<internal::RequestChannel> channel)
    : channel_(std::move(channel)) {}

RequestHandle::~RequestHandle() {
  if (channel_ != nullptr && !channel_->finished()) channel_->Cancel();
}

RequestHandle::RequestHandle(RequestHandle&& other) noexcept = default;

RequestHandle& RequestHandle::operator=(RequestHandle&& other) noexcept {
  if (this != &other) {
    if (channel_ != nullptr && !channel_->finished()) channel_->Cancel();
    channel_ = std::move(other.channel_);
  }
  return *this;
}

RequestId RequestHandle::id() const {
  TF_CHECK(valid());
  return channel_->id();
}

size_t RequestHandle::Poll(std::vector<EngineEvent>* events) {
  TF_CHECK(valid());
  return channel_->Poll(events);
}

EngineEvent RequestHandle::Next() {
  TF_CHECK(valid());
  return channel_->Next();
}

std::vector<EngineEvent> RequestHandle::Wait() {
  TF_CHECK(valid());
  return channel_->Wait();
}

bool RequestHandle::done() const { return valid() && channel_->done(); }
bool RequestHandle::finished() const { return valid() && channel_->finished(); }

void RequestHandle::Cancel() {
  if (valid()) channel_->Cancel();
}

}  // namespace tokenfab::engine
