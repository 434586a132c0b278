#!/usr/bin/env python3
"""A TCP proxy that adds a fixed round-trip time: every byte is held rtt/2 in each direction.

    delay_proxy.py --listen-port 0 --target 127.0.0.1:8101 --rtt-ms 12.5

Prints "listening on http://127.0.0.1:PORT" once ready. It plays the network between a gateway
and a distant site where network namespaces with netem are not available: the gateway's polls
measure the RTT, and every request and token pays it, as over a real link. Order within a
connection is kept (bytes are written in the order read, each at its own due time).
"""
import argparse
import asyncio
import sys


async def pump(reader, writer, delay_s):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def send():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    sender = asyncio.ensure_future(send())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            queue.put_nowait((loop.time() + delay_s, data))
    except (ConnectionError, OSError):
        pass
    queue.put_nowait((loop.time() + delay_s, None))
    try:
        await sender
    except (ConnectionError, OSError):
        pass


async def handle(client_reader, client_writer, target_host, target_port, delay_s):
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(target_host, target_port)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pump(client_reader, upstream_writer, delay_s),
                         pump(upstream_reader, client_writer, delay_s),
                         return_exceptions=True)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen-port", type=int, default=0)
    parser.add_argument("--target", required=True, help="HOST:PORT")
    parser.add_argument("--rtt-ms", type=float, required=True)
    args = parser.parse_args()
    host, port = args.target.rsplit(":", 1)
    delay_s = args.rtt_ms / 2000.0
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, host, int(port), delay_s), "127.0.0.1", args.listen_port)
    bound = server.sockets[0].getsockname()[1]
    print(f"listening on http://127.0.0.1:{bound}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
