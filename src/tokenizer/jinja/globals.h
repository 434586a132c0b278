// The global functions every template sees unless it assigns the name itself:
//   range(stop) / range(start, stop[, step])   a list (at most 100000 items, Jinja's MAX_RANGE)
//   namespace(**attrs) / namespace(mapping)    a mutable attribute bag for `set ns.x = ...`
//   dict(**items)                              a dict
//   joiner(sep=", ")                           "" on the first call, `sep` after
//   raise_exception(message)                   fails the render with `message` (Hugging Face)
//   strftime_now(format)                       the render clock's time, UTC (Hugging Face)
// Thread-safe.
#pragma once

#include <string_view>

#include "tokenizer/jinja/value.h"

namespace tokenfab::tokenizer::jinja {

// The global called `name`, or null.
const Value* FindGlobal(std::string_view name);

}  // namespace tokenfab::tokenizer::jinja
