// Test utilities for the node layer: a NodeServer on an ephemeral port serving the synthetic
// engine (the real engine, scheduler and KV cache with a performance model in place of the
// weights, so tests need no model file), and a blocking HTTP client to drive it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/value.hpp>

#include "tokenfab/net/http_client.h"
#include "tokenfab/net/io_context_pool.h"
#include "tokenfab/net/sse.h"
#include "tokenfab/node/node_server.h"

namespace tokenfab::node::testing {

// Synthetic-engine options that make tests quick: a lone request sees ~2 ms TTFT and 1 ms/token.
ModelHostOptions FastSyntheticHost(const std::string& vocab = "llama3");

// Starts a node (port 0) and serves `host` on it, or fails the test.
std::unique_ptr<NodeServer> StartNode(NodeOptions options, const ModelHostOptions& host);

struct Answer {
  int status = 0;
  net::HttpHeaders headers;
  std::string body;
  boost::json::value json;  // the body parsed, when it is JSON
};

struct StreamAnswer {
  int status = 0;
  net::HttpHeaders headers;
  std::vector<std::string> events;  // each event's data, in order ("[DONE]" included)
  Status done;                      // how the stream ended
};

// A blocking client for one node. Not thread-safe for the Stream* calls' callbacks.
class NodeClient {
 public:
  explicit NodeClient(uint16_t port);
  Answer Get(const std::string& path, net::HttpHeaders headers = {});
  Answer Post(const std::string& path, const std::string& body, net::HttpHeaders headers = {});
  // A streamed POST, read to its end.
  StreamAnswer PostStream(const std::string& path, const std::string& body,
                          net::HttpHeaders headers = {});
  // Starts a streamed POST; `on_event` sees each event's data as it arrives (on an I/O thread).
  std::shared_ptr<net::ClientCall> StartStream(const std::string& path, const std::string& body,
                                               std::function<void(const std::string&)> on_event,
                                               std::function<void(Status)> on_done);

 private:
  net::ClientRequest Request(std::string method, const std::string& path, std::string body,
                             net::HttpHeaders headers) const;
  uint16_t port_;
  net::IoContextPool pool_{1};
  net::HttpClient client_{pool_};
};

}  // namespace tokenfab::node::testing
