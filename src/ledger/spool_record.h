// Spool records: the on-disk framing of the usage spool (ledger/usage_spool.h).
//
// A spool file is a sequence of frames, each
//   u32 payload length (little endian) | u32 CRC-32C of the payload | payload
// and a payload is one record: a kind byte, then a usage event in a fixed binary encoding
// (strings as u32 length + bytes, integers as i64, doubles as their IEEE bits, little endian).
// A frame whose header or payload is incomplete, whose length is absurd, whose checksum does not
// match or whose payload does not decode ends the valid part of a file: ScanSpoolFrames keeps
// every record before it and reports where it stopped, so a crash in the middle of a write
// loses only that write.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/ledger/usage_event.h"

namespace tokenfab::ledger {

enum class SpoolRecordKind : uint8_t {
  kEvent = 1,     // a usage event the store has not confirmed
  kProgress = 2,  // a stream's delivered count so far (an event with status "interrupted")
};

struct SpoolRecord {
  SpoolRecordKind kind = SpoolRecordKind::kEvent;
  UsageEvent event;
};

// Payloads larger than this are refused when written and taken as damage when read.
inline constexpr uint32_t kMaxSpoolPayloadBytes = 1 << 20;

// CRC-32C (Castagnoli) of `bytes`.
uint32_t Crc32c(std::string_view bytes);

// Appends the frame of `record` to `out`.
void AppendSpoolFrame(const SpoolRecord& record, std::string& out);

struct SpoolScan {
  std::vector<SpoolRecord> records;  // every valid record, in file order
  size_t valid_bytes = 0;            // length of the valid prefix
  bool damaged = false;              // bytes after valid_bytes were dropped
};

// The valid records of a spool file's bytes (see the file comment).
SpoolScan ScanSpoolFrames(std::string_view bytes);

}  // namespace tokenfab::ledger
