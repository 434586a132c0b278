// Writes valid gateway inputs into the corpus directory given as the only argument, each led by
// the byte that picks its path in gateway_request_fuzz (0 chat, 1 completions, 2 multipart, 3
// batch input), so the fuzzer starts deep in each parser.
#include <cstdio>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: gateway_request_seeds DIR\n");
    return 2;
  }
  const std::string seeds[] = {
      std::string("\x00", 1) +
          R"({"model":"m","messages":[{"role":"system","content":"be brief"},)"
          R"({"role":"user","content":[{"type":"text","text":"hi"}],"name":"u"}],)"
          R"("stream":true,"stream_options":{"include_usage":true},"n":2,)"
          R"("max_completion_tokens":64,"temperature":0.5,"top_p":0.9,"service_tier":"flex",)"
          R"("logprobs":true,"top_logprobs":3,"seed":7})",
      "\x01"
      R"({"model":"m","prompt":["a b",[1,2,3],"c"],"n":3,"max_tokens":16,)"
      R"("best_of":3,"echo":false,"min_tokens":2,"top_k":-1,"logprobs":2})",
      "\x01"
      R"({"model":"m","prompt":[5,6,7],"max_tokens":1e3,"presence_penalty":-2,)"
      R"("frequency_penalty":2,"repetition_penalty":1.1,"min_p":0.05})",
      "\x02multipart/form-data; boundary=XyZ\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\n"
      "Content-Type: application/jsonl\r\n\r\n{\"custom_id\":\"a\"}\n\r\n--XyZ--\r\n",
      "\x03"
      R"({"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m",)"
      R"("messages":[{"role":"user","content":"hi"}],"max_tokens":5}})"
      "\n"
      R"({"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"m",)"
      R"("messages":[{"role":"user","content":"yo"}],"n":2}})"
      "\n",
  };
  int i = 0;
  for (const std::string& seed : seeds) {
    std::ofstream out(std::string(argv[1]) + "/seed_" + std::to_string(i++), std::ios::binary);
    out << seed;
  }
  return 0;
}
