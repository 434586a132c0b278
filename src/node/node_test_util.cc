#include "node/node_test_util.h"

#include <future>

#include <boost/json/parse.hpp>

namespace tokenfab::node::testing {

ModelHostOptions FastSyntheticHost(const std::string& vocab) {
  ModelHostOptions options;
  options.engine = EngineKind::kSynthetic;
  options.vocab = vocab;
  options.served_model_name = "demo";
  options.synthetic_ttft_ms = 2;
  options.synthetic_prompt_tokens = 64;
  options.synthetic_tpot_ms = 1;
  return options;
}

std::unique_ptr<NodeServer> StartNode(NodeOptions options, const ModelHostOptions& host) {
  options.io_threads = 2;
  StatusOr<std::unique_ptr<NodeServer>> server = NodeServer::Start(options, base::RealClock::Get());
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return nullptr;
  StatusOr<std::unique_ptr<ModelHost>> loaded =
      ModelHost::Load(host, (*server)->clock(), &(*server)->metrics_registry());
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  if (!loaded.ok()) return nullptr;
  (*server)->Serve(*std::move(loaded));
  return *std::move(server);
}

NodeClient::NodeClient(uint16_t port) : port_(port) {}

net::ClientRequest NodeClient::Request(std::string method, const std::string& path,
                                       std::string body, net::HttpHeaders headers) const {
  net::ClientRequest request;
  request.method = std::move(method);
  request.url.host = "127.0.0.1";
  request.url.port = port_;
  request.url.target = path;
  request.headers = std::move(headers);
  if (!body.empty()) request.headers.Set("Content-Type", "application/json");
  request.body = std::move(body);
  return request;
}

namespace {

Answer ToAnswer(StatusOr<net::HttpResponse> response) {
  Answer answer;
  EXPECT_TRUE(response.ok()) << response.status();
  if (!response.ok()) return answer;
  answer.status = response->status;
  answer.headers = response->headers;
  answer.body = response->body;
  boost::system::error_code ec;
  answer.json = boost::json::parse(answer.body, ec);
  return answer;
}

}  // namespace

Answer NodeClient::Get(const std::string& path, net::HttpHeaders headers) {
  return ToAnswer(client_.FetchBlocking(Request("GET", path, "", std::move(headers))));
}

Answer NodeClient::Post(const std::string& path, const std::string& body,
                        net::HttpHeaders headers) {
  return ToAnswer(client_.FetchBlocking(Request("POST", path, body, std::move(headers))));
}

StreamAnswer NodeClient::PostStream(const std::string& path, const std::string& body,
                                    net::HttpHeaders headers) {
  StreamAnswer answer;
  std::promise<void> finished;
  client_.Stream(Request("POST", path, body, std::move(headers)),
                 net::SseCallbacks(
                     [&](int status, const net::HttpHeaders& h) {
                       answer.status = status;
                       answer.headers = h;
                     },
                     [&](net::SseEvent&& event) { answer.events.push_back(std::move(event.data)); },
                     [&](Status status) {
                       answer.done = status;
                       finished.set_value();
                     }));
  finished.get_future().wait();
  return answer;
}

std::shared_ptr<net::ClientCall> NodeClient::StartStream(
    const std::string& path, const std::string& body,
    std::function<void(const std::string&)> on_event, std::function<void(Status)> on_done) {
  return client_.Stream(
      Request("POST", path, body, {}),
      net::SseCallbacks([](int, const net::HttpHeaders&) {},
                        [on_event](net::SseEvent&& event) { on_event(event.data); },
                        [on_done](Status status) { on_done(status); }));
}

}  // namespace tokenfab::node::testing
