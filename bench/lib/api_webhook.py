#!/usr/bin/env python3
"""Helpers for bench/scenarios/70-api-webhook.sh (issue 7): webhook-to-applied latency beside
`git fetch` + 20 direct server-side applies, a webhook flood, and small API/metrics utilities.
Standard library only. Every HTTP exchange uses a keep-alive http.client connection."""
import hashlib
import hmac
import http.client
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse


def connect(url):
    u = urllib.parse.urlsplit(url)
    if u.scheme == "https":  # the simulator's generated CA; loopback only, so skip verification
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(u.hostname, u.port, timeout=30, context=context)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    return r.status, r.read()


def metrics(base):
    """/metrics as {name{labels}: value}."""
    c = connect(base)
    _, body = request(c, "GET", "/metrics")
    c.close()
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            try:
                out[key] = float(value)
            except ValueError:
                pass
    return out


def login(base, password):
    c = connect(base)
    status, body = request(c, "POST", "/api/v1/session", json.dumps({"username": "admin", "password": password}),
                           {"Content-Type": "application/json"})
    if status != 200:
        sys.exit(f"login failed: {status} {body[:200]!r}")
    return json.loads(body)["token"]


def push_payload(repo_url, before, after, modified):
    return json.dumps({
        "ref": "refs/heads/main", "before": before, "after": after,
        "repository": {"full_name": "bench/config", "clone_url": repo_url, "default_branch": "main"},
        "commits": [{"id": after, "added": [], "modified": modified, "removed": []}],
    }).encode()


def signed_headers(secret, body, delivery):
    sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": str(delivery),
            "X-Hub-Signature-256": "sha256=" + sig}


def cm_yaml(i, value, namespace=None):
    ns = f"  namespace: {namespace}\n" if namespace else ""
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i:02d}\n{ns}data:\n  run: \"{value}\"\n"


def git(work, *args):
    return subprocess.run(["git", "-C", work, *args], check=True, capture_output=True, text=True).stdout.strip()


def commit_all(work, path, count, value):
    """Writes every ConfigMap with data.run=value, commits and pushes; returns (before, after, files)."""
    before = git(work, "rev-parse", "HEAD")
    files = []
    for i in range(count):
        name = f"{path}/cm-{i:02d}.yaml"
        with open(os.path.join(work, name), "w") as f:
            f.write(cm_yaml(i, value))
        files.append(name)
    git(work, "commit", "-qam", f"run {value}")
    git(work, "push", "-q", "origin", "main")
    return before, git(work, "rev-parse", "HEAD"), files


class Sim:
    def __init__(self, url, token):
        self.conn = connect(url)
        self.auth = {"Authorization": "Bearer " + token}

    def values(self, namespace):
        status, body = request(self.conn, "GET", f"/api/v1/namespaces/{namespace}/configmaps", headers=self.auth)
        if status != 200:
            return {}
        return {o["metadata"]["name"]: (o.get("data") or {}).get("run") for o in json.loads(body)["items"]}

    def wait_all(self, namespace, count, value, timeout):
        """Polls the namespace's ConfigMaps until `count` of them read data.run=value; True if so."""
        want = str(value)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v = self.values(namespace)
            if sum(1 for x in v.values() if x == want) >= count:
                return True
            time.sleep(0.001)
        return False

    def apply(self, namespace, i, value):
        status, body = request(
            self.conn, "PATCH", f"/api/v1/namespaces/{namespace}/configmaps/cm-{i:02d}?fieldManager=bench&force=true",
            cm_yaml(i, value, namespace).encode(),
            {**self.auth, "Content-Type": "application/apply-patch+yaml"})
        if status not in (200, 201):
            sys.exit(f"peer apply failed: {status} {body[:200]!r}")


def percentile(values, p):
    s = sorted(values)
    k = max(0, min(len(s) - 1, -(-len(s) * p // 100) - 1))  # nearest rank
    return s[int(k)]


def cmd_latency(a):
    """latency BASE SECRET REPO_URL WORK PATH COUNT RUNS SIM_URL SIM_TOKEN NS PEER_NS MIRROR OUT"""
    base, secret, repo_url, work, path, count, runs, sim_url, sim_token, ns, peer_ns, mirror, out = a
    count, runs = int(count), int(runs)
    sim, hook = Sim(sim_url, sim_token), connect(base)
    for i in range(count):  # peer objects exist before the first timed run, as the app's do
        sim.apply(peer_ns, i, 0)
    ferry, peer, fetch, failures = [], [], [], 0
    for run in range(1, runs + 1):
        before, after, files = commit_all(work, path, count, run)
        body = push_payload(repo_url, before, after, files)
        t0 = time.monotonic()
        status, answer = request(hook, "POST", "/api/webhook", body, signed_headers(secret, body, run))
        if status != 202:
            sys.exit(f"webhook answered {status}: {answer[:200]!r}")
        ok = sim.wait_all(ns, count, run, 60)
        t1 = time.monotonic()
        if not ok:
            failures += 1
            print(f"run {run}: not applied within 60 s", file=sys.stderr)
            continue
        ferry.append((t1 - t0) * 1000)
        # Peer: the least work that gets this commit applied — fetch it, then 20 direct SSAs.
        t0 = time.monotonic()
        subprocess.run(["git", "-C", mirror, "fetch", "-q", "origin"], check=True)
        t_fetch = time.monotonic()
        for i in range(count):
            sim.apply(peer_ns, i, run)
        peer.append((time.monotonic() - t0) * 1000)
        fetch.append((t_fetch - t0) * 1000)
        if os.environ.get("BENCH_VERBOSE"):
            print(f"run {run}: ferry {ferry[-1]:.1f} ms, peer {peer[-1]:.1f} ms (fetch {fetch[-1]:.1f})", file=sys.stderr)
    with open(out, "w") as f:
        json.dump({"ferry": ferry, "peer": peer, "fetch": fetch, "failures": failures}, f)
    print("bench: peer split, medians: git fetch %.1f ms, 20 SSA %.1f ms" % (
        percentile(fetch, 50), percentile([p - f for p, f in zip(peer, fetch)], 50)), file=sys.stderr)
    print("%.1f %.1f %.1f %.1f %d" % (percentile(ferry, 50), percentile(ferry, 99), percentile(peer, 50),
                                      percentile(peer, 99), failures))


def cmd_control(a):
    """control BASE SECRET REPO_URL WORK PATH COUNT SIM_URL SIM_TOKEN NS WAIT: pushes a commit without a webhook,
    checks that it is not applied within WAIT s (nothing but the webhook should trigger a sync), then sends the
    webhook and times the apply. Prints 'applied-without-webhook' yes|no and the webhook's ms."""
    base, secret, repo_url, work, path, count, sim_url, sim_token, ns, wait = a
    count = int(count)
    sim = Sim(sim_url, sim_token)
    before, after, files = commit_all(work, path, count, "control")
    unprompted = sim.wait_all(ns, count, "control", float(wait))
    body = push_payload(repo_url, before, after, files)
    t0 = time.monotonic()
    status, answer = request(connect(base), "POST", "/api/webhook", body, signed_headers(secret, body, "control"))
    ok = status == 202 and sim.wait_all(ns, count, "control", 60)
    print("yes" if unprompted else "no", "%.1f" % ((time.monotonic() - t0) * 1000) if ok else "not-applied")


def cmd_flood(a):
    """flood BASE SECRET REPO_URL BEFORE AFTER FILES EVENTS THREADS SECONDS: prints answered-202, other, elapsed s."""
    base, secret, repo_url, before, after, files, events, threads, seconds = a
    events, threads, seconds = int(events), int(threads), float(seconds)
    body = push_payload(repo_url, before, after, files.split(","))
    lock = threading.Lock()
    state = {"next": 0, "ok": 0, "other": {}}
    start = time.monotonic() + 0.05

    def worker():
        c = connect(base)
        while True:
            with lock:
                k = state["next"]
                state["next"] += 1
            if k >= events:
                break
            wait = start + k * seconds / events - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                status, _ = request(c, "POST", "/api/webhook", body, signed_headers(secret, body, k))
            except (OSError, http.client.HTTPException) as e:
                status = type(e).__name__
                c.close()
                c = connect(base)
            with lock:
                if status == 202:
                    state["ok"] += 1
                else:
                    state["other"][status] = state["other"].get(status, 0) + 1

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.monotonic() - start
    print(state["ok"], json.dumps(state["other"]).replace(" ", ""), "%.2f" % elapsed)


def cmd_create_apps(a):
    """create-apps BASE TOKEN REPO_URL FIRST LAST THREADS: POSTs apps app-FIRST..app-LAST (path list/<name>,
    namespace list, no automated sync) through the API; prints created count and seconds."""
    base, token, repo_url, first, last, threads = a
    names = [f"app-{i:04d}" for i in range(int(first), int(last) + 1)]
    lock, errors, created = threading.Lock(), [], [0]
    start = time.monotonic()

    def worker():
        c = connect(base)
        while True:
            with lock:
                if not names:
                    break
                name = names.pop()
            app = {"apiVersion": "ferry.dev/v1alpha1", "kind": "Application", "metadata": {"name": name},
                   "spec": {"project": "default",
                            "source": {"repoURL": repo_url, "targetRevision": "main", "path": f"list/{name}"},
                            "destination": {"server": "https://kubernetes.default.svc", "namespace": "list"}}}
            status, body = request(c, "POST", "/api/v1/applications", json.dumps(app),
                                   {"Content-Type": "application/json", "Authorization": "Bearer " + token})
            with lock:
                if status == 200:
                    created[0] += 1
                else:
                    errors.append(f"{name}: {status} {body[:200]!r}")

    ts = [threading.Thread(target=worker) for _ in range(int(threads))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for e in errors[:5]:
        print("bench: create failed:", e, file=sys.stderr)
    print(created[0], "%.1f" % (time.monotonic() - start))


def cmd_count_apps(a):
    """count-apps BASE TOKEN: items in GET /api/v1/applications, those with a sync status, and body bytes."""
    base, token = a
    c = connect(base)
    status, body = request(c, "GET", "/api/v1/applications", headers={"Authorization": "Bearer " + token})
    if status != 200:
        print(0, 0, 0)
        return
    items = json.loads(body)["items"]
    synced = sum(1 for i in items if (i.get("status") or {}).get("sync", {}).get("status"))
    print(len(items), synced, len(body))


def cmd_metric(a):
    """metric BASE NAME...: prints each metric's value (0 when absent)."""
    m = metrics(a[0])
    print(" ".join("%d" % m.get(name, 0) for name in a[1:]))


def cmd_app(a):
    """app BASE TOKEN NAME: a one-line summary of the app's status."""
    base, token, name = a
    c = connect(base)
    status, body = request(c, "GET", f"/api/v1/applications/{name}", headers={"Authorization": "Bearer " + token})
    if status != 200:
        print(status, body[:200])
        return
    s = json.loads(body).get("status", {})
    print(json.dumps({"sync": s.get("sync"), "health": s.get("health", {}).get("status"),
                      "operation": (s.get("operationState") or {}).get("phase"),
                      "reconciledAt": s.get("reconciledAt"), "conditions": s.get("conditions")}))


if __name__ == "__main__":
    cmds = {"latency": cmd_latency, "flood": cmd_flood, "count-apps": cmd_count_apps, "create-apps": cmd_create_apps, "metric": cmd_metric,
            "login": lambda a: print(login(*a)), "control": cmd_control, "app": cmd_app}
    cmds[sys.argv[1]](sys.argv[2:])
