#include "tokenizer/jinja/callable.h"

namespace tokenfab::tokenizer::jinja {

StatusOr<BoundArgs> BoundArgs::Bind(std::string_view function, const CallArgs& args,
                                    std::initializer_list<std::string_view> params) {
  BoundArgs bound;
  bound.values_.resize(params.size());
  if (args.positional.size() > params.size()) {
    return absl::InvalidArgumentError(fmt::format("{}() takes at most {} argument(s) ({} given)",
                                                  function, params.size(), args.positional.size()));
  }
  for (size_t i = 0; i < args.positional.size(); ++i) bound.values_[i] = args.positional[i];
  for (const auto& [name, value] : args.keyword) {
    size_t index = 0;
    for (std::string_view param : params) {
      if (param == name) break;
      ++index;
    }
    if (index == params.size()) {
      return absl::InvalidArgumentError(
          fmt::format("{}() got an unexpected keyword argument '{}'", function, name));
    }
    if (bound.values_[index]) {
      return absl::InvalidArgumentError(
          fmt::format("{}() got multiple values for argument '{}'", function, name));
    }
    bound.values_[index] = value;
  }
  return bound;
}

}  // namespace tokenfab::tokenizer::jinja
