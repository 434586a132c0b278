// FormatTime: Python's datetime.strftime() for the strftime_now() global of chat templates
// (Llama 3.1+ print today's date with it). Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tokenfab::tokenizer::jinja {

// Formats a UTC time, given in microseconds since the Unix epoch, with the C locale's names:
// %a %A %b %h %B %c %C %d %D %e %f %F %H %I %j %k %l %m %M %n %p %R %S %t %T %u %w %x %X %y %Y %%,
// and glibc's flags '-' (no padding), '_' (spaces) and '0' on numbers. %z and %Z are empty, as
// for the naive datetime.now() Hugging Face formats. Unknown directives are kept as written.
std::string FormatTime(std::string_view format, int64_t unix_micros);

}  // namespace tokenfab::tokenizer::jinja
