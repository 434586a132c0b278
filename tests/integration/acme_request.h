// The admission tests' tenant: "acme" of tier "standard" with the limits a test gives, and one
// request of it (10 prompt tokens, at most 10 out). Not copyable: the request points at the tier
// and the tenant it holds.
#pragma once

#include "tokenfab/ledger/admission.h"
#include "tokenfab/ledger/tenant.h"

namespace tokenfab::ledger {

struct AcmeRequest {
  explicit AcmeRequest(const Limits& limits) {
    tier.name = "standard";
    tenant.name = "acme";
    tenant.limits = limits;
    request.tenant = &tenant;
    request.tier = &tier;
    request.prompt_tokens = 10;
    request.max_output_tokens = 10;
  }
  AcmeRequest(const AcmeRequest&) = delete;
  AcmeRequest& operator=(const AcmeRequest&) = delete;

  Tier tier;
  Tenant tenant;
  AdmissionRequest request;
};

}  // namespace tokenfab::ledger
