#!/usr/bin/env python3
"""A tiny, dependency-free sentiment model server for Quartermaster's ModelDeployment example.

The model is real computation, not a sleep: text is tokenized (words + bigrams), hashed into a
512-dimensional bag-of-features vector (the hashing trick), and scored by a linear sentiment
layer plus a two-layer MLP (512 x 32 x 1, tanh) whose weights are built at startup ("model
load") from a fixed seed. One prediction costs ~16k multiply-adds in pure Python, so cpu use
follows traffic (what an HPA on cpu reads).

Contract with the platform:
  PORT              listen here (each replica gets its own free port)
  MODEL_VERSION     reported in every answer (change it to see a rolling update)
  QM_REPLICA_NAME   reported in every answer (which replica served it)
  GET  /healthz     200 once the model is loaded, 503 while loading or draining (readiness)
  GET  /livez       200 while the process works (liveness)
  POST /v1/predict  {"text": "..."} or {"texts": [...]} -> {"predictions": [{label, positive, tokens}], ...}
  SIGTERM           stop taking new connections, finish requests in flight, exit 0
"""
import json
import math
import os
import re
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIM = 512
HIDDEN = 32
SEED = 20240601
MODEL_VERSION = os.environ.get("MODEL_VERSION", "v1")
REPLICA = os.environ.get("QM_REPLICA_NAME", "local")

POSITIVE = "good great excellent love loved lovely happy nice fast amazing wonderful best like enjoy fantastic perfect helpful".split()
NEGATIVE = "bad terrible awful hate hated slow broken worst poor boring sad wrong ugly useless annoying horrible fail".split()
NEGATORS = {"not", "no", "never", "don't", "isn't", "wasn't", "didn't"}
TOKEN = re.compile(r"[a-z0-9']+")


def fnv1a(text):
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def tokenize(text):
    words = TOKEN.findall(text.lower())
    # A negator flips the next word: "not good" becomes the feature "not_good".
    out, flip = [], False
    for w in words:
        if w in NEGATORS:
            flip = True
            continue
        out.append(("not_" + w) if flip else w)
        flip = False
    return out + [a + " " + b for a, b in zip(out, out[1:])]


def features(tokens):
    vec = [0.0] * DIM
    for t in tokens:
        h = fnv1a(t)
        vec[h % DIM] += 1.0 if (h >> 16) & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


class Model:
    """Linear lexicon layer + a small MLP, built deterministically at startup."""

    def __init__(self):
        state = SEED
        def rand():
            nonlocal state
            state = (1103515245 * state + 12345) & 0x7FFFFFFF
            return state / 0x7FFFFFFF - 0.5
        self.w1 = [[rand() * 0.2 for _ in range(HIDDEN)] for _ in range(DIM)]
        self.w2 = [rand() * 0.2 for _ in range(HIDDEN)]
        self.lexicon = [0.0] * DIM
        for words, sign in ((POSITIVE, 1.0), (NEGATIVE, -1.0)):
            for w in words:
                for token, s in ((w, sign), ("not_" + w, -sign)):
                    h = fnv1a(token)
                    self.lexicon[h % DIM] += s * (1.0 if (h >> 16) & 1 else -1.0) * 4.0
        # Self-check: the loaded model must separate the obvious cases.
        assert self.predict("great, I love it")["label"] == "positive"
        assert self.predict("terrible and slow")["label"] == "negative"

    def predict(self, text):
        tokens = tokenize(text)
        x = features(tokens)
        hidden = [0.0] * HIDDEN
        for i, xi in enumerate(x):
            if xi:
                row = self.w1[i]
                for j in range(HIDDEN):
                    hidden[j] += xi * row[j]
        mlp = sum(math.tanh(h) * w for h, w in zip(hidden, self.w2))
        logit = sum(xi * li for xi, li in zip(x, self.lexicon)) + 0.1 * mlp
        positive = 1.0 / (1.0 + math.exp(-logit))
        return {"label": "positive" if positive >= 0.5 else "negative", "positive": round(positive, 4), "tokens": len(tokens)}


class State:
    model = None
    draining = False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the second waits for the client's
    # delayed ACK of the first (~40 ms per request on a kept-alive connection).
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # keep replica logs quiet; errors still go to stderr
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if State.draining:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/healthz":
            if State.model is None or State.draining:
                return self.reply(503, {"status": "draining" if State.draining else "loading"})
            return self.reply(200, {"status": "ready", "model": MODEL_VERSION})
        if self.path == "/livez":
            return self.reply(200, {"status": "alive"})
        if self.path == "/":
            return self.reply(200, {"model": "sentiment", "version": MODEL_VERSION, "replica": REPLICA, "predict": "POST /v1/predict {\"text\": ...}"})
        return self.reply(404, {"error": "not found: " + self.path})

    def do_POST(self):
        if self.path != "/v1/predict":
            return self.reply(404, {"error": "not found: " + self.path})
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            texts = body["texts"] if "texts" in body else [body["text"]]
            if not all(isinstance(t, str) for t in texts):
                raise ValueError("text must be a string")
        except (ValueError, KeyError, TypeError) as err:
            return self.reply(400, {"error": "send {\"text\": \"...\"} or {\"texts\": [...]}: " + str(err)})
        predictions = [State.model.predict(t) for t in texts]
        self.reply(200, {"model": "sentiment", "version": MODEL_VERSION, "replica": REPLICA, "predictions": predictions})


def main():
    port = int(os.environ.get("PORT", "8000"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = False  # server_close() waits for requests in flight

    def on_term(signum, frame):
        State.draining = True
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    # Load the model while already listening: /healthz answers 503 until it is ready.
    threading.Thread(target=lambda: setattr(State, "model", Model()), daemon=True).start()
    print(f"sentiment model {MODEL_VERSION} listening on 127.0.0.1:{port} as {REPLICA}", flush=True)
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    print("drained; bye", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
