// Writes valid OpenAI request bodies into the corpus directory given as the only argument, so
// the completion_request fuzzer starts from inputs that reach deep into the parser.
#include <cstdio>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: completion_request_seeds DIR\n");
    return 2;
  }
  const char* seeds[] = {
      R"({"model":"m","prompt":"hello","max_tokens":5,"temperature":0.7,"stream":true,)"
      R"("stream_options":{"include_usage":true},"stop":["\n","."],"n":2,"logprobs":3})",
      R"({"prompt":[1,2,3],"echo":true,"seed":42,"top_k":-1,"min_p":0.1,"ignore_eos":true,)"
      R"("min_tokens":4,"max_tokens":4})",
      R"({"prompt":["a",[4,5]],"presence_penalty":1,"frequency_penalty":-1,)"
      R"("repetition_penalty":1.1,"stop_token_ids":[2]})",
      R"({"model":"m","messages":[{"role":"system","content":"be brief"},)"
      R"({"role":"user","content":[{"type":"text","text":"hi"}]},)"
      R"({"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function",)"
      R"("function":{"name":"f","arguments":"{}"}}]},{"role":"tool","content":"1",)"
      R"("tool_call_id":"c"}],"max_completion_tokens":8,"logprobs":true,"top_logprobs":2,)"
      R"("tools":[{"type":"function","function":{"name":"f"}}],)"
      R"("chat_template_kwargs":{"enable_thinking":false},"user":"u"})",
  };
  int i = 0;
  for (const char* seed : seeds) {
    std::ofstream out(std::string(argv[1]) + "/seed_" + std::to_string(i++) + ".json");
    out << seed;
  }
  return 0;
}
