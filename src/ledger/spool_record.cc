#include "spool_record.h"

#include <array>
#include <bit>
#include <cstring>
#include <optional>

namespace tokenfab::ledger {

namespace {

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

void PutU32(uint32_t v, std::string& out) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutI64(int64_t v, std::string& out) {
  const auto u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

void PutDouble(double v, std::string& out) { PutI64(std::bit_cast<int64_t>(v), out); }

void PutString(std::string_view s, std::string& out) {
  PutU32(static_cast<uint32_t>(s.size()), out);
  out.append(s);
}

uint32_t GetU32(std::string_view bytes, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[at + i])) << (8 * i);
  return v;
}

// Reads the fields of a payload in order; any overrun makes ok() false.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  bool ok() const { return ok_; }
  bool at_end() const { return at_ == bytes_.size(); }

  uint8_t U8() {
    if (!Need(1)) return 0;
    return static_cast<uint8_t>(bytes_[at_++]);
  }
  int64_t I64() {
    if (!Need(8)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes_[at_ + i])) << (8 * i);
    at_ += 8;
    return static_cast<int64_t>(v);
  }
  double Double() { return std::bit_cast<double>(I64()); }
  std::string String() {
    if (!Need(4)) return {};
    const uint32_t n = GetU32(bytes_, at_);
    at_ += 4;
    if (!Need(n)) return {};
    std::string s(bytes_.substr(at_, n));
    at_ += n;
    return s;
  }

 private:
  bool Need(size_t n) {
    if (!ok_ || bytes_.size() - at_ < n) ok_ = false;
    return ok_;
  }

  std::string_view bytes_;
  size_t at_ = 0;
  bool ok_ = true;
};

void EncodeEvent(const UsageEvent& e, std::string& out) {
  for (const std::string* s :
       {&e.request_id, &e.tenant, &e.key_id, &e.model, &e.region, &e.site, &e.upstream, &e.status,
        &e.currency, &e.service_tier, &e.billed_tier}) {
    PutString(*s, out);
  }
  for (int64_t v : {e.prompt_tokens, e.cached_tokens, e.completion_tokens, e.ttft_micros,
                    e.tpot_micros, static_cast<int64_t>(e.http_status), e.cost, e.started_micros,
                    e.finished_micros, e.recorded_micros}) {
    PutI64(v, out);
  }
  PutDouble(e.energy_wh, out);
  PutDouble(e.carbon_g, out);
  out.push_back(e.energy_cost.has_value() ? 1 : 0);
  PutDouble(e.energy_cost.value_or(0), out);
}

std::optional<SpoolRecord> DecodeRecord(std::string_view payload) {
  Reader in(payload);
  SpoolRecord record;
  const uint8_t kind = in.U8();
  if (kind != static_cast<uint8_t>(SpoolRecordKind::kEvent) &&
      kind != static_cast<uint8_t>(SpoolRecordKind::kProgress)) {
    return std::nullopt;
  }
  record.kind = static_cast<SpoolRecordKind>(kind);
  UsageEvent& e = record.event;
  for (std::string* s : {&e.request_id, &e.tenant, &e.key_id, &e.model, &e.region, &e.site,
                         &e.upstream, &e.status, &e.currency, &e.service_tier, &e.billed_tier}) {
    *s = in.String();
  }
  for (int64_t* v :
       {&e.prompt_tokens, &e.cached_tokens, &e.completion_tokens, &e.ttft_micros, &e.tpot_micros}) {
    *v = in.I64();
  }
  e.http_status = static_cast<int32_t>(in.I64());
  for (int64_t* v : {&e.cost, &e.started_micros, &e.finished_micros, &e.recorded_micros}) {
    *v = in.I64();
  }
  e.energy_wh = in.Double();
  e.carbon_g = in.Double();
  const bool has_energy_cost = in.U8() != 0;
  const double energy_cost = in.Double();
  if (has_energy_cost) e.energy_cost = energy_cost;
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return record;
}

}  // namespace

uint32_t Crc32c(std::string_view bytes) {
  uint32_t c = 0xffffffffu;
  for (char ch : bytes) c = kCrcTable[(c ^ static_cast<uint8_t>(ch)) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

void AppendSpoolFrame(const SpoolRecord& record, std::string& out) {
  std::string payload;
  payload.push_back(static_cast<char>(record.kind));
  EncodeEvent(record.event, payload);
  PutU32(static_cast<uint32_t>(payload.size()), out);
  PutU32(Crc32c(payload), out);
  out.append(payload);
}

SpoolScan ScanSpoolFrames(std::string_view bytes) {
  SpoolScan scan;
  size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < 8) break;
    const uint32_t length = GetU32(bytes, at);
    const uint32_t crc = GetU32(bytes, at + 4);
    if (length == 0 || length > kMaxSpoolPayloadBytes || bytes.size() - at - 8 < length) break;
    const std::string_view payload = bytes.substr(at + 8, length);
    if (Crc32c(payload) != crc) break;
    std::optional<SpoolRecord> record = DecodeRecord(payload);
    if (!record) break;
    scan.records.push_back(*std::move(record));
    at += 8 + length;
  }
  scan.valid_bytes = at;
  scan.damaged = at < bytes.size();
  return scan;
}

}  // namespace tokenfab::ledger
