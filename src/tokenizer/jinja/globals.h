// The global functions every template sees unless it assigns the name itself:
//   range(stop) / range(start, stop[, step])   a list (at most 100000 items, as Jinja's sandbox)
//   namespace(**attrs) / namespace(mapping)    a mutable attribute bag for `set ns.x = ...`
//   dict(**items)                              a dict
//   joiner(sep=", ")                           "" on the first call, `sep` after
//   raise_exception(message)                   fails the render with `message` (Hugging Face)
//   strftime_now(format)                       the render clock's time, UTC (Hugging Face)
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tokenizer/jinja/value.h"

namespace tokenfab::tokenizer::jinja {

// The global called `name`, or null.
const Value* FindGlobal(std::string_view name);

// Python's time.strftime(format) for a UTC time given in microseconds since the Unix epoch, with
// the C locale's names (%a %A %b %B %c %d %e %f %H %I %j %m %M %p %S %u %w %y %Y %F %T %D %R
// %x %X %%, and glibc's '-' flag for unpadded numbers). %Z and %z are empty, as for Python's
// naive datetime.now().
std::string FormatTime(std::string_view format, int64_t unix_micros);

}  // namespace tokenfab::tokenizer::jinja
