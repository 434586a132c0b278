"""Many upstreams in one process, for bench/registry/scale.sh: listens on COUNT loopback ports
(each a distinct member URL, as a fleet requires) and answers each like a tokenfab node at rest:
GET /load with an idle node's load, GET /health, and POST /v1/chat/completions with a one-token
answer. HTTP/1.1 with keep-alive, nothing more. Prints the ports, one line, space-separated.
Standard library only.

  python3 fake_members.py COUNT
"""

import asyncio
import json
import resource
import sys

LOAD = json.dumps({
    "model": "m", "running": 0, "waiting": 0, "kv_usage": 0.0, "kv_blocks_total": 20480,
    "kv_blocks_free": 20480, "block_tokens": 16, "max_running": 256, "queue_delay_ms": 0.0,
    "prefill_tokens_per_s": 0.0, "decode_tokens_per_s": 0.0, "tpot_ms": 0.0,
    "queue_tokens": {"prefill": 0, "decode_sequences": 0, "kv": 0},
    "step_model": {"base_us": 800.0, "prefill_token_us": 0.39, "decode_sequence_us": 200.0,
                   "kv_token_us": 0.0}}).encode()
ANSWER = json.dumps({
    "id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                 "logprobs": None, "finish_reason": "length"}],
    "usage": {"prompt_tokens": 11, "completion_tokens": 1, "total_tokens": 12}}).encode()


def response(status, body):
    head = (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body


async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path = lines[0].split(" ")[:2]
            length = 0
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            if length:
                await reader.readexactly(length)
            if path == "/load":
                writer.write(response("200 OK", LOAD))
            elif path == "/health":
                writer.write(response("200 OK", b'{"status":"ok"}'))
            elif method == "POST" and path.startswith("/v1/"):
                writer.write(response("200 OK", ANSWER))
            else:
                writer.write(response("404 Not Found", b'{"error":{"message":"no"}}'))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(count):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    servers = [await asyncio.start_server(serve, "127.0.0.1", 0) for _ in range(count)]
    print(" ".join(str(s.sockets[0].getsockname()[1]) for s in servers), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
