// The Batches API (OpenAI's /v1/batches): create, retrieve, list and cancel, over the batches the
// BatchRunner (batch_runner.h) runs. A tenant sees only its own batches: another's id is 404.
#pragma once

#include <memory>
#include <string>

#include "gateway_context.h"
#include "tokenfab/ledger/batch_store.h"
#include "tokenfab/net/router.h"

namespace tokenfab::gateway {

void AddBatchRoutes(const std::shared_ptr<GatewayContext>& context, net::Router& router);

// The Batches API's JSON for `batch` with its line counts. An expired batch counts its unfinished
// lines as failed (they are in its error file with batch_expired), so completed + failed = total.
std::string BatchJson(const ledger::BatchRecord& batch, const ledger::LineCounts& counts);

}  // namespace tokenfab::gateway
