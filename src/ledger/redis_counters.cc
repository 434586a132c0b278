#include "tokenfab/ledger/redis_counters.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"

namespace tokenfab::ledger {
namespace {

// The bucket refill shared by the scripts: sets `level` (scaled) and `t` for KEY at `now`.
constexpr std::string_view kRefill = R"lua(
local function refill(key, now, cap, win)
  local full = cap * win
  local st = redis.call('HMGET', key, 'l', 't')
  local level, t = tonumber(st[1]), tonumber(st[2])
  if level == nil then return full, now end
  local el = now - t
  if el < 0 then el = 0 end
  if el > win then el = win end
  if level < full then level = math.min(full, level + el * cap) end
  if level > full then level = full end
  return level, math.max(t, now)
end
local function store(key, level, t, cap, win)
  redis.call('HSET', key, 'l', string.format('%.0f', level), 't', string.format('%.0f', t))
  local until_full = math.ceil((cap * win - level) / cap)
  redis.call('PEXPIRE', key, math.ceil(until_full / 1000) + 1000)
end
)lua";

// KEYS: buckets. ARGV: now, then capacity, window, amount per bucket.
// Returns {taken 1/0, retry_after_µs (-1: never), limiting index}.
constexpr std::string_view kTake = R"lua(
local now = tonumber(ARGV[1])
local levels, times = {}, {}
local worst, worst_i = 0, -1
for i, key in ipairs(KEYS) do
  local cap, win, amt = tonumber(ARGV[3*i-1]), tonumber(ARGV[3*i]), tonumber(ARGV[3*i+1])
  if amt > cap then return {0, -1, i - 1} end
  levels[i], times[i] = refill(key, now, cap, win)
  local missing = amt * win - levels[i]
  if missing > 0 then
    local wait = math.ceil(missing / cap)
    if wait > worst then worst, worst_i = wait, i - 1 end
  end
end
if worst_i >= 0 then return {0, worst, worst_i} end
for i, key in ipairs(KEYS) do
  local cap, win, amt = tonumber(ARGV[3*i-1]), tonumber(ARGV[3*i]), tonumber(ARGV[3*i+1])
  store(key, levels[i] - amt * win, times[i], cap, win)
end
return {1, 0, -1}
)lua";

// KEYS[1]: bucket. ARGV: now, capacity, window, delta.
constexpr std::string_view kAdjust = R"lua(
local now, cap, win, delta = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local level, t = refill(KEYS[1], now, cap, win)
level = math.min(cap * win, level - delta * win)
store(KEYS[1], level, t, cap, win)
return {1}
)lua";

// KEYS[1]: slot set. ARGV: now, limit, lease id, lease ttl.
constexpr std::string_view kAcquire = R"lua(
local now, limit, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= limit then return {0} end
redis.call('ZADD', KEYS[1], string.format('%.0f', now + ttl), ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(ttl / 1000) + 1000)
return {1}
)lua";

// KEYS[1]: slot set. ARGV: lease id.
constexpr std::string_view kRelease = R"lua(
redis.call('ZREM', KEYS[1], ARGV[1])
return {1}
)lua";

enum Script { kTakeScript, kAdjustScript, kAcquireScript, kReleaseScript };

std::string ScriptText(int index) {
  switch (index) {
    case kTakeScript:
      return std::string(kRefill) + std::string(kTake);
    case kAdjustScript:
      return std::string(kRefill) + std::string(kAdjust);
    case kAcquireScript:
      return std::string(kAcquire);
    default:
      return std::string(kRelease);
  }
}

using ReplyPtr = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

ReplyPtr Command(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const std::string& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  void* reply = redisCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data());
  return ReplyPtr(static_cast<redisReply*>(reply), &freeReplyObject);
}

timeval ToTimeval(int64_t micros) {
  return timeval{static_cast<time_t>(micros / 1'000'000),
                 static_cast<suseconds_t>(micros % 1'000'000)};
}

}  // namespace

StatusOr<RedisOptions> ParseRedisUrl(std::string_view url) {
  RedisOptions options;
  absl::string_view rest(url.data(), url.size());
  if (!absl::ConsumePrefix(&rest, "redis://")) {
    return absl::InvalidArgumentError(fmt::format("'{}' is not a redis:// URL", url));
  }
  const size_t at = rest.rfind('@');  // a password may hold '/'
  if (at != absl::string_view::npos) {
    const absl::string_view userinfo = rest.substr(0, at);
    const size_t colon = userinfo.find(':');
    options.username = std::string(userinfo.substr(0, colon));
    if (colon != absl::string_view::npos)
      options.password = std::string(userinfo.substr(colon + 1));
    rest = rest.substr(at + 1);
  }
  const size_t slash = rest.find('/');
  if (slash != absl::string_view::npos) {
    if (slash + 1 < rest.size()) options.key_prefix = std::string(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
  }
  const size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos) {
    if (!absl::SimpleAtoi(rest.substr(colon + 1), &options.port) || options.port <= 0 ||
        options.port > 65535) {
      return absl::InvalidArgumentError(fmt::format("bad port in '{}'", url));
    }
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) options.host = std::string(rest);
  return options;
}

RedisCounters::RedisCounters(RedisOptions options) : options_(std::move(options)) {
  const int size = std::max(1, options_.pool_size);
  for (int i = 0; i < size; ++i) pool_.push_back(std::make_unique<Connection>());
}

std::unique_ptr<RedisCounters> RedisCounters::Open(RedisOptions options) {
  return std::unique_ptr<RedisCounters>(new RedisCounters(std::move(options)));
}

StatusOr<std::unique_ptr<RedisCounters>> RedisCounters::Connect(RedisOptions options) {
  std::unique_ptr<RedisCounters> counters = Open(std::move(options));
  Connection& c = *counters->pool_[0];
  absl::MutexLock lock(&c.mu);
  TF_RETURN_IF_ERROR(counters->EnsureConnected(c));
  return counters;
}

RedisCounters::~RedisCounters() {
  for (const std::unique_ptr<Connection>& c : pool_) {
    absl::MutexLock lock(&c->mu);
    if (c->context) redisFree(c->context);
  }
}

Status RedisCounters::EnsureConnected(Connection& conn) {
  if (conn.context && conn.context->err == 0) return absl::OkStatus();
  if (conn.context) {
    redisFree(conn.context);
    conn.context = nullptr;
  }
  redisContext* c = redisConnectWithTimeout(options_.host.c_str(), options_.port,
                                            ToTimeval(options_.timeout_micros));
  if (c == nullptr || c->err) {
    Status status =
        absl::UnavailableError(fmt::format("cannot connect to Redis at {}:{}: {}", options_.host,
                                           options_.port, c ? c->errstr : "out of memory"));
    if (c) redisFree(c);
    return status;
  }
  redisSetTimeout(c, ToTimeval(options_.timeout_micros));
  if (!options_.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!options_.username.empty()) auth.push_back(options_.username);
    auth.push_back(options_.password);
    ReplyPtr reply = Command(c, auth);
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
      // Never the password in the message.
      Status status = reply
                          ? absl::PermissionDeniedError(
                                fmt::format("Redis at {}:{} refused AUTH: {}", options_.host,
                                            options_.port, std::string(reply->str, reply->len)))
                          : absl::UnavailableError(fmt::format("Redis AUTH failed: {}", c->errstr));
      redisFree(c);
      return status;
    }
  }
  if (!options_.client_name.empty()) {
    (void)Command(c, {"CLIENT", "SETNAME", options_.client_name});  // for operators only
  }
  conn.shas.clear();
  for (int i = kTakeScript; i <= kReleaseScript; ++i) {
    ReplyPtr reply = Command(c, {"SCRIPT", "LOAD", ScriptText(i)});
    if (!reply || reply->type != REDIS_REPLY_STRING) {
      Status status = absl::UnavailableError(fmt::format(
          "Redis SCRIPT LOAD failed: {}", reply ? std::string(reply->str, reply->len) : c->errstr));
      redisFree(c);
      return status;
    }
    conn.shas.emplace_back(reply->str, reply->len);
  }
  conn.context = c;
  return absl::OkStatus();
}

RedisCounters::Connection& RedisCounters::Acquire() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  const size_t n = pool_.size();
  const size_t start = next_.fetch_add(1, std::memory_order_relaxed) % n;
  for (size_t i = 0; i < n; ++i) {
    Connection& c = *pool_[(start + i) % n];
    if (c.mu.TryLock()) return c;
  }
  Connection& c = *pool_[start];
  c.mu.Lock();
  return c;
}

StatusOr<std::vector<int64_t>> RedisCounters::Eval(int index, const std::vector<std::string>& keys,
                                                   const std::vector<std::string>& args)
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  Connection& c = Acquire();
  StatusOr<std::vector<int64_t>> out = EvalOn(c, index, keys, args);
  c.mu.Unlock();
  return out;
}

StatusOr<std::vector<int64_t>> RedisCounters::EvalOn(Connection& c, int index,
                                                     const std::vector<std::string>& keys,
                                                     const std::vector<std::string>& args) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    TF_RETURN_IF_ERROR(EnsureConnected(c));
    std::vector<std::string> argv = {"EVALSHA", c.shas[index], std::to_string(keys.size())};
    for (const std::string& k : keys) argv.push_back(options_.key_prefix + k);
    argv.insert(argv.end(), args.begin(), args.end());
    ReplyPtr reply = Command(c.context, argv);
    if (!reply) continue;  // connection error: reconnect once
    if (reply->type == REDIS_REPLY_ERROR) {
      const std::string error(reply->str, reply->len);
      if (absl::StartsWith(error, "NOSCRIPT")) {  // the server restarted or flushed scripts
        redisFree(c.context);
        c.context = nullptr;
        continue;
      }
      return absl::InternalError(fmt::format("Redis script error: {}", error));
    }
    if (reply->type != REDIS_REPLY_ARRAY) return absl::InternalError("unexpected Redis reply");
    std::vector<int64_t> out;
    for (size_t i = 0; i < reply->elements; ++i) {
      if (reply->element[i]->type != REDIS_REPLY_INTEGER) {
        return absl::InternalError("unexpected Redis reply element");
      }
      out.push_back(reply->element[i]->integer);
    }
    return out;
  }
  return absl::UnavailableError(fmt::format("Redis at {}:{} is unreachable: {}", options_.host,
                                            options_.port,
                                            c.context ? c.context->errstr : "not connected"));
}

StatusOr<TakeResult> RedisCounters::TryTake(std::span<const BucketTake> takes, int64_t now_micros) {
  std::vector<std::string> keys, args = {std::to_string(now_micros)};
  for (const BucketTake& t : takes) {
    keys.push_back(t.bucket.key);
    args.push_back(std::to_string(t.bucket.capacity));
    args.push_back(std::to_string(t.bucket.window_micros));
    args.push_back(std::to_string(t.amount));
  }
  TF_ASSIGN_OR_RETURN(std::vector<int64_t> r, Eval(kTakeScript, keys, args));
  if (r.size() != 3) return absl::InternalError("unexpected Redis take reply");
  return TakeResult{r[0] == 1, r[1], static_cast<int>(r[2])};
}

Status RedisCounters::Adjust(const BucketSpec& bucket, int64_t delta, int64_t now_micros) {
  return Eval(kAdjustScript, {bucket.key},
              {std::to_string(now_micros), std::to_string(bucket.capacity),
               std::to_string(bucket.window_micros), std::to_string(delta)})
      .status();
}

StatusOr<bool> RedisCounters::AcquireSlot(std::string_view key, int64_t limit,
                                          std::string_view lease_id, int64_t now_micros) {
  TF_ASSIGN_OR_RETURN(std::vector<int64_t> r,
                      Eval(kAcquireScript, {std::string(key)},
                           {std::to_string(now_micros), std::to_string(limit),
                            std::string(lease_id), std::to_string(options_.lease_ttl_micros)}));
  return !r.empty() && r[0] == 1;
}

Status RedisCounters::ReleaseSlot(std::string_view key, std::string_view lease_id) {
  return Eval(kReleaseScript, {std::string(key)}, {std::string(lease_id)}).status();
}

}  // namespace tokenfab::ledger
