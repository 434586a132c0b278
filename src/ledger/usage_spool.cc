#include "tokenfab/ledger/usage_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include <fmt/format.h>

#include "spool_record.h"
#include "tokenfab/base/logging.h"

namespace tokenfab::ledger {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPrefix = "usage-";
constexpr std::string_view kSuffix = ".spool";

Status ErrnoError(std::string_view what, const std::string& path) {
  return absl::InternalError(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

// The sequence number of a spool file's name, or 0 for another file.
uint64_t SeqOf(const std::string& name) {
  if (name.size() <= kPrefix.size() + kSuffix.size() || !name.starts_with(kPrefix) ||
      !name.ends_with(kSuffix)) {
    return 0;
  }
  const std::string digits =
      name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return 0;
  return std::stoull(digits);
}

StatusOr<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoError("cannot read", path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoError("cannot sync", dir);
  return absl::OkStatus();
}

Status CutTo(const std::string& path, size_t length) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path);
  const bool ok = ::ftruncate(fd, static_cast<off_t>(length)) == 0 && ::fdatasync(fd) == 0;
  ::close(fd);
  if (!ok) return ErrnoError("cannot truncate", path);
  return absl::OkStatus();
}

int64_t FramedSize(const SpoolRecord& record) {
  std::string frame;
  AppendSpoolFrame(record, frame);
  return static_cast<int64_t>(frame.size());
}

}  // namespace

UsageSpool::UsageSpool(UsageSpoolOptions options)
    : options_(std::move(options)),
      max_events_(options_.max_events),
      max_bytes_(options_.max_bytes) {}

StatusOr<std::unique_ptr<UsageSpool>> UsageSpool::Open(UsageSpoolOptions options) {
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) {
    return absl::InternalError(
        fmt::format("cannot create the usage spool {}: {}", options.dir, ec.message()));
  }
  std::unique_ptr<UsageSpool> spool(new UsageSpool(std::move(options)));
  TF_RETURN_IF_ERROR(spool->Recover());
  spool->writer_ = std::thread([s = spool.get()] { s->WriterLoop(); });
  return spool;
}

UsageSpool::~UsageSpool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  has_work_.SignalAll();
  if (writer_.joinable()) writer_.join();
  absl::MutexLock lock(&file_mu_);
  if (fd_ >= 0) ::close(fd_);
}

std::string UsageSpool::PathOf(uint64_t seq) const {
  return (fs::path(options_.dir) / fmt::format("{}{:020}{}", kPrefix, seq, kSuffix)).string();
}

Status UsageSpool::Recover() {
  std::vector<uint64_t> seqs;
  for (const fs::directory_entry& entry : fs::directory_iterator(options_.dir)) {
    if (uint64_t seq = SeqOf(entry.path().filename().string()); seq > 0) seqs.push_back(seq);
  }
  std::sort(seqs.begin(), seqs.end());
  struct Best {
    int64_t tokens = -1;
    std::pair<uint64_t, size_t> at;
  };
  std::map<std::string, Best> progress;
  std::set<std::string> with_event;
  absl::MutexLock file_lock(&file_mu_);  // before mu_, as everywhere
  absl::MutexLock lock(&mu_);
  for (uint64_t seq : seqs) {
    const std::string path = PathOf(seq);
    TF_ASSIGN_OR_RETURN(std::string bytes, ReadWhole(path));
    const SpoolScan scan = ScanSpoolFrames(bytes);
    if (scan.damaged) {
      const size_t dropped = bytes.size() - scan.valid_bytes;
      TF_LOG_WARN(
          "usage spool {}: dropped {} damaged bytes after {} valid records (a write cut "
          "short by a crash)",
          path, dropped, scan.records.size());
      TF_RETURN_IF_ERROR(CutTo(path, scan.valid_bytes));
      stats_.damaged_bytes += static_cast<int64_t>(dropped);
    }
    Segment segment;
    segment.inherited = true;
    for (size_t i = 0; i < scan.records.size(); ++i) {
      const SpoolRecord& r = scan.records[i];
      if (r.kind == SpoolRecordKind::kEvent) {
        ++segment.events;
        segment.event_bytes += FramedSize(r);
        if (segment.oldest_micros == 0 || r.event.recorded_micros < segment.oldest_micros) {
          segment.oldest_micros = r.event.recorded_micros;
        }
        with_event.insert(r.event.request_id);
        continue;
      }
      Best& best = progress[r.event.request_id];
      if (r.event.completion_tokens >= best.tokens) best = {r.event.completion_tokens, {seq, i}};
    }
    segments_[seq] = segment;
    stats_.pending_events += segment.events;
    stats_.pending_bytes += segment.event_bytes;
  }
  for (const auto& [id, best] : progress) {
    if (!with_event.contains(id)) recovered_.insert(best.at);
  }
  stats_.recovered_streams = static_cast<int64_t>(recovered_.size());
  if (stats_.pending_events > 0 || !recovered_.empty()) {
    TF_LOG_INFO("usage spool {}: {} events and {} cut streams of an earlier run to deliver",
                options_.dir, stats_.pending_events, recovered_.size());
  }
  active_seq_ = seqs.empty() ? 1 : seqs.back() + 1;
  return absl::OkStatus();
}

bool UsageSpool::OverBound(int64_t events, int64_t bytes) const {
  return (max_events_ > 0 && stats_.pending_events + events > max_events_) ||
         (max_bytes_ > 0 && stats_.pending_bytes + bytes > max_bytes_);
}

void UsageSpool::SetBound(int64_t max_events, int64_t max_bytes) {
  absl::MutexLock lock(&mu_);
  max_events_ = max_events;
  max_bytes_ = max_bytes;
}

bool UsageSpool::Full() const {
  absl::MutexLock lock(&mu_);
  return OverBound(1, 1);
}

Status UsageSpool::Append(std::vector<UsageEvent> events, std::function<void(Status)> done) {
  std::vector<SpoolRecord> records;
  records.reserve(events.size());
  for (UsageEvent& e : events) records.push_back({SpoolRecordKind::kEvent, std::move(e)});
  return Enqueue(std::move(records), /*bounded=*/true, std::move(done));
}

Status UsageSpool::AppendSync(std::vector<UsageEvent> events) {
  std::promise<Status> written;
  std::future<Status> result = written.get_future();
  TF_RETURN_IF_ERROR(
      Append(std::move(events), [&written](Status s) { written.set_value(std::move(s)); }));
  return result.get();
}

void UsageSpool::AppendProgress(UsageEvent progress, std::function<void(Status)> done) {
  {
    absl::MutexLock lock(&mu_);
    open_streams_[progress.request_id] = progress;
  }
  std::vector<SpoolRecord> records;
  records.push_back({SpoolRecordKind::kProgress, std::move(progress)});
  Status s = Enqueue(std::move(records), /*bounded=*/false, done);
  if (!s.ok() && done) done(s);
}

void UsageSpool::CloseStream(const std::string& request_id) {
  absl::MutexLock lock(&mu_);
  open_streams_.erase(request_id);
}

Status UsageSpool::Enqueue(std::vector<SpoolRecord> records, bool bounded,
                           std::function<void(Status)> done) {
  Write write;
  for (const SpoolRecord& r : records) {
    const size_t before = write.bytes.size();
    AppendSpoolFrame(r, write.bytes);
    if (write.bytes.size() - before - 8 > kMaxSpoolPayloadBytes) {
      return absl::InvalidArgumentError("a usage event too large for the spool");
    }
    if (r.kind != SpoolRecordKind::kEvent) continue;
    ++write.events;
    if (write.oldest_micros == 0 || r.event.recorded_micros < write.oldest_micros) {
      write.oldest_micros = r.event.recorded_micros;
    }
  }
  write.done = std::move(done);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::FailedPreconditionError("the usage spool is shut down");
    const auto bytes = static_cast<int64_t>(write.bytes.size());
    if (write.events > 0) {
      if (bounded && OverBound(write.events, bytes)) {
        return absl::ResourceExhaustedError(
            fmt::format("the usage spool is full ({} events, {} bytes pending)",
                        stats_.pending_events, stats_.pending_bytes));
      }
      stats_.pending_events += write.events;
      stats_.pending_bytes += bytes;
      stats_.appended_events += write.events;
    }
    queue_.push_back(std::move(write));
  }
  has_work_.Signal();
  return absl::OkStatus();
}

void UsageSpool::WriterLoop() {
  std::deque<Write> group;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      while (!stopping_ && queue_.empty()) has_work_.Wait(&mu_);
      if (queue_.empty()) return;
      group.swap(queue_);
    }
    const Status s = WriteGroup(group);
    if (!s.ok()) {
      TF_LOG_ERROR("usage spool write failed: {}", s.message());
      absl::MutexLock lock(&mu_);
      for (const Write& w : group) {
        if (w.events == 0) continue;
        stats_.pending_events -= w.events;
        stats_.pending_bytes -= static_cast<int64_t>(w.bytes.size());
      }
    }
    for (Write& w : group) {
      if (w.done) w.done(s);
    }
    group.clear();
  }
}

Status UsageSpool::WriteGroup(std::deque<Write>& group) {
  std::string bytes;
  for (const Write& w : group) bytes += w.bytes;
  absl::MutexLock file_lock(&file_mu_);
  const std::string path = PathOf(active_seq_);
  if (fd_ < 0) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0) return ErrnoError("cannot create", path);
    active_bytes_ = 0;
    TF_RETURN_IF_ERROR(SyncDirectory(options_.dir));
  }
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const Status error = ErrnoError("cannot write", path);
      (void)::ftruncate(fd_, static_cast<off_t>(active_bytes_));  // no half frame left behind
      return error;
    }
    written += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) {
    const Status error = ErrnoError("cannot sync", path);
    (void)::ftruncate(fd_, static_cast<off_t>(active_bytes_));
    return error;
  }
  active_bytes_ += static_cast<int64_t>(bytes.size());
  absl::MutexLock lock(&mu_);
  ++stats_.syncs;
  Segment& segment = segments_[active_seq_];
  for (const Write& w : group) {
    if (w.events == 0) continue;
    segment.events += w.events;
    segment.event_bytes += static_cast<int64_t>(w.bytes.size());
    if (segment.oldest_micros == 0 || w.oldest_micros < segment.oldest_micros) {
      segment.oldest_micros = w.oldest_micros;
    }
  }
  return absl::OkStatus();
}

uint64_t UsageSpool::SealActive() {
  absl::MutexLock file_lock(&file_mu_);
  if (fd_ < 0) return active_seq_;
  bool has_events = false;
  {
    absl::MutexLock lock(&mu_);
    // Older files still waiting (the store is away): keep writing to this one, so that a long
    // outage does not leave a file per try.
    if (!segments_.empty() && segments_.begin()->first < active_seq_) return active_seq_;
    auto it = segments_.find(active_seq_);
    has_events = it != segments_.end() && it->second.events > 0;
  }
  if (has_events || active_bytes_ >= options_.rotate_bytes) {
    ::close(fd_);
    fd_ = -1;
    ++active_seq_;
  }
  return active_seq_;
}

Status UsageSpool::Deliver(const DeliverFn& deliver, size_t max_batch) {
  const uint64_t boundary = SealActive();
  std::vector<uint64_t> sealed;
  std::vector<UsageEvent> open;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [seq, segment] : segments_) {
      if (seq < boundary) sealed.push_back(seq);
    }
    for (const auto& [id, progress] : open_streams_) open.push_back(progress);
  }
  if (sealed.empty()) return absl::OkStatus();
  if (!open.empty()) {
    // The sealed files may hold open streams' latest progress: write it again first.
    std::vector<SpoolRecord> records;
    for (UsageEvent& e : open) records.push_back({SpoolRecordKind::kProgress, std::move(e)});
    std::promise<Status> written;
    std::future<Status> result = written.get_future();
    TF_RETURN_IF_ERROR(Enqueue(std::move(records), /*bounded=*/false,
                               [&written](Status s) { written.set_value(std::move(s)); }));
    TF_RETURN_IF_ERROR(result.get());
  }
  for (uint64_t seq : sealed) TF_RETURN_IF_ERROR(DeliverSegment(seq, deliver, max_batch));
  return absl::OkStatus();
}

Status UsageSpool::DeliverSegment(uint64_t seq, const DeliverFn& deliver, size_t max_batch) {
  const std::string path = PathOf(seq);
  TF_ASSIGN_OR_RETURN(std::string bytes, ReadWhole(path));
  SpoolScan scan = ScanSpoolFrames(bytes);
  std::vector<UsageEvent> events;
  int64_t recovered = 0;
  {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < scan.records.size(); ++i) {
      SpoolRecord& r = scan.records[i];
      if (r.kind == SpoolRecordKind::kEvent) {
        events.push_back(std::move(r.event));
      } else if (recovered_.contains({seq, i})) {
        events.push_back(std::move(r.event));
        ++recovered;
      }
    }
  }
  max_batch = std::max<size_t>(1, max_batch);
  for (size_t at = 0; at < events.size(); at += max_batch) {
    const size_t n = std::min(max_batch, events.size() - at);
    TF_RETURN_IF_ERROR(deliver(std::span<const UsageEvent>(events).subspan(at, n)));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("cannot remove", path);
  {
    absl::MutexLock lock(&mu_);
    const Segment segment = segments_[seq];
    segments_.erase(seq);
    stats_.pending_events -= segment.events;
    stats_.pending_bytes -= segment.event_bytes;
    stats_.delivered_events += static_cast<int64_t>(events.size());
    stats_.recovered_streams -= recovered;
    std::erase_if(recovered_, [seq](const auto& at) { return at.first == seq; });
  }
  if (options_.on_delivered && !events.empty()) {
    options_.on_delivered(static_cast<int64_t>(events.size()));
  }
  return absl::OkStatus();
}

UsageSpool::Stats UsageSpool::stats() const {
  absl::MutexLock lock(&mu_);
  Stats stats = stats_;
  for (const auto& [seq, segment] : segments_) {
    if (segment.events == 0) continue;
    if (stats.oldest_pending_micros == 0 || segment.oldest_micros < stats.oldest_pending_micros) {
      stats.oldest_pending_micros = segment.oldest_micros;
    }
  }
  return stats;
}

}  // namespace tokenfab::ledger
