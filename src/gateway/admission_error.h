// AdmissionError: an admission refusal (the ledger's typed decision) as the API error the client
// is answered, in OpenAI's words:
//
//   region not allowed               403 invalid_request_error, code region_not_allowed
//   token budget                     429 insufficient_quota, code insufficient_quota
//   concurrency, request rate        429 requests, code rate_limit_exceeded
//   token rate, request too large    429 tokens, code rate_limit_exceeded
//
// with the rejection's status, message and Retry-After. Pure; thread-safe.
#pragma once

#include "tokenfab/api/api_error.h"
#include "tokenfab/ledger/admission.h"

namespace tokenfab::gateway {

api::ApiError AdmissionError(const ledger::Rejection& rejection);

}  // namespace tokenfab::gateway
