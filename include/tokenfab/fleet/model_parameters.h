// The size of a [[models]] entry's model, read from its GGUF file: parameters stored, parameters
// a token computes with (a mixture of experts routes each token to a few experts) and bytes per
// weight, the three figures the roofline of the upstreams serving it needs. A fleet file that
// names a model file need not repeat them by hand.
#pragma once

#include "tokenfab/base/status.h"
#include "tokenfab/fleet/fleet_config.h"

namespace tokenfab::fleet {

// Fills `model.params_b`, `active_params_b` and `bytes_per_weight` from `model.gguf` where the
// entry gives no `params_b`. Returns false, and changes nothing, when the entry has no GGUF file,
// already gives its parameters, or the file does not exist here (a gateway's fleet file may name
// a model file only the node machines hold). A file that exists but is no readable GGUF model is
// an InvalidArgument error naming it.
[[nodiscard]] StatusOr<bool> FillModelParametersFromGguf(ModelSource& model);

}  // namespace tokenfab::fleet
