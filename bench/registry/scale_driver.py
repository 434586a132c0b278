"""The measuring half of bench/registry/scale.sh: puts synthetic member records into etcd (over
its JSON gateway, as `tokenfab node --registry` does), drives one gateway, and prints the figures.
Standard library only."""

import argparse
import base64
import http.client
import json
import os
import statistics
import time
import urllib.request

PREFIX = "/tokenfab/nodes/"
HARDWARE = {"kind": "gpu", "model": "H800", "count": 8, "peak_tflops": 989,
            "mem_bandwidth_gbps": 3350, "power_idle_w": 100, "power_max_w": 700}


def b64(text):
    return base64.b64encode(text.encode()).decode()


class Etcd:
    def __init__(self, url):
        self.url = url
        self.lease = int(self.call("/v3/lease/grant", {"TTL": 3600})["ID"])

    def call(self, path, body):
        request = urllib.request.Request(self.url + path, json.dumps(body).encode(),
                                         {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def put_member(self, name, site, url, draining=False):
        record = {"name": name, "site": site, "url": url, "kind": "tokenfab-node",
                  "models": ["m"], "weight": 1, "draining": draining,
                  "incarnation": "%016x" % (hash(name) & (2**64 - 1)), "hardware": HARDWARE}
        self.call("/v3/kv/put", {"key": b64(f"{PREFIX}{site}/{name}"),
                                 "value": b64(json.dumps(record)), "lease": str(self.lease)})

    def delete_member(self, name, site):
        self.call("/v3/kv/deleterange", {"key": b64(f"{PREFIX}{site}/{name}")})


class Gateway:
    def __init__(self, port, pid, key):
        self.port, self.pid, self.key = port, pid, key
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def metrics(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
        conn.close()
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return values

    def joined(self):
        return int(self.metrics().get("tokenfab_gateway_registry_joined", -1))

    def wait_joined(self, want, since, limit=300.0):
        while time.monotonic() - since < limit:
            if self.joined() == want:
                return time.monotonic() - since
            time.sleep(0.005)
        raise RuntimeError(f"the gateway never joined {want} members (at {self.joined()})")

    def rss_mib(self):
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        return -1.0

    def cpu_s(self):
        """The gateway's CPU time so far (user + system), from /proc (clock ticks: 10 ms)."""
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def requests(self, count):
        """Sequential requests; the mean dispatch time (s) from the gateway's histogram."""
        before = self.metrics()
        body = json.dumps({"model": "m", "max_tokens": 1,
                           "messages": [{"role": "user", "content": "hi"}]})
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        failed = 0
        for _ in range(count):
            self.conn.request("POST", "/v1/chat/completions", body, headers)
            answer = self.conn.getresponse()
            answer.read()
            failed += answer.status != 200
        after = self.metrics()
        name = "tokenfab_gateway_dispatch_seconds"
        total = after[name + "_sum"] - before.get(name + "_sum", 0)
        n = after[name + "_count"] - before.get(name + "_count", 0)
        return total / max(n, 1), failed


def spread(values, unit, scale=1.0):
    v = [x * scale for x in values]
    return (f"median {statistics.median(v):.3g} {unit} (min {min(v):.3g}, max {max(v):.3g}, "
            f"{len(v)} runs)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--etcd", required=True)
    parser.add_argument("--gateway", type=int, required=True)
    parser.add_argument("--gateway-pid", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("node_urls", nargs="+")
    a = parser.parse_args()
    etcd, gw = Etcd(a.etcd), Gateway(a.gateway, a.gateway_pid, a.key)
    members = [(f"m{i:05d}", f"s{i % 3}", a.node_urls[i]) for i in range(a.members)]
    spare = a.node_urls[a.members:]  # the URLs of the members that join and drain one by one
    base = members[:4]
    extra = members[4:]
    for name, site, url in base:
        etcd.put_member(name, site, url)
    gw.wait_joined(len(base), time.monotonic())

    fig = {k: [] for k in ("base_dispatch", "n_dispatch", "base_rss", "n_rss", "bulk_join",
                           "bulk_leave", "base_join", "base_drain", "n_join", "n_drain", "base_cpu",
                           "n_cpu")}
    failed = 0

    def changes(prefix):
        # The gateway's CPU for the changes: all it spent from the first join to the last
        # drain's effect, less what it spends meanwhile without changes (polls), measured over
        # as long just before.
        t, cpu = time.monotonic(), gw.cpu_s()
        time.sleep(2.0)
        idle_rate = (gw.cpu_s() - cpu) / (time.monotonic() - t)
        t0, cpu0, count = time.monotonic(), gw.cpu_s(), 0
        for c in range(a.changes):
            name, site = f"x{c:03d}", f"s{c % 3}"
            joined = gw.joined()
            t = time.monotonic()
            etcd.put_member(name, site, spare[c])
            fig[prefix + "_join"].append(gw.wait_joined(joined + 1, t))
            t = time.monotonic()
            etcd.put_member(name, site, spare[c], draining=True)
            fig[prefix + "_drain"].append(gw.wait_joined(joined, t))
            etcd.delete_member(name, site)
            count += 3  # the delete changes the view too (a no-op for routing)
        time.sleep(0.2)  # the last delete's turn
        spent = gw.cpu_s() - cpu0 - idle_rate * (time.monotonic() - t0)
        fig[prefix + "_cpu"].append(max(spent, 0.0) / count)

    for r in range(a.rounds):
        gw.requests(20)  # warm
        mean, f = gw.requests(a.requests)
        failed += f
        fig["base_dispatch"].append(mean)
        fig["base_rss"].append(gw.rss_mib())
        changes("base")

        t = time.monotonic()
        for name, site, url in extra:
            etcd.put_member(name, site, url)
        fig["bulk_join"].append(gw.wait_joined(a.members, t))
        time.sleep(2 * 1.0)  # a few poll rounds of every member
        gw.requests(20)
        mean, f = gw.requests(a.requests)
        failed += f
        fig["n_dispatch"].append(mean)
        fig["n_rss"].append(gw.rss_mib())
        changes("n")

        t = time.monotonic()
        for name, site, _ in extra:
            etcd.delete_member(name, site)
        fig["bulk_leave"].append(gw.wait_joined(len(base), t))
        print(f"round {r + 1}/{a.rounds} done", flush=True)

    n, b = a.members, len(base)
    print(f"\n{n} members vs {b}, {a.rounds} rounds alternating, {a.requests} requests each, "
          f"{a.changes} changes each; {failed} requests failed")
    print(f"routing cost (arrival to upstream call), {b} members: "
          f"{spread(fig['base_dispatch'], 'us', 1e6)}")
    print(f"routing cost (arrival to upstream call), {n} members: "
          f"{spread(fig['n_dispatch'], 'us', 1e6)}")
    print(f"gateway memory (VmRSS), {b} members: {spread(fig['base_rss'], 'MiB')}")
    print(f"gateway memory (VmRSS), {n} members: {spread(fig['n_rss'], 'MiB')}")
    print(f"{n - b} members put at once to the gateway routing to all: "
          f"{spread(fig['bulk_join'], 's')} (includes the puts themselves)")
    print(f"{n - b} members deleted at once to the gateway dropping all: "
          f"{spread(fig['bulk_leave'], 's')} (includes the deletes)")
    for prefix, count in (("base", b), ("n", n)):
        print(f"one join to routing on it, {count} members: "
              f"{spread(fig[prefix + '_join'], 'ms', 1e3)}")
        print(f"one drain to routing without it, {count} members: "
              f"{spread(fig[prefix + '_drain'], 'ms', 1e3)}")
        print(f"gateway CPU per membership change (put, drain, delete), {count} members: "
              f"{spread(fig[prefix + '_cpu'], 'ms', 1e3)} (less the polls' CPU meanwhile)")


if __name__ == "__main__":
    main()
