#!/usr/bin/env python3
"""A scripted OpenAI-compatible server on 127.0.0.1, for codedpo's tests and for trying
`codedpo generate` without a model. Standard library only; real HTTP.

    python3 scripts/fake_openai_server.py [--port 0] [--config scenario.json] [--log requests.jsonl]
                                          [--lifetime 300] [--port-file FILE]

Prints `PORT <n>` on its first line once it listens, and exits by itself after --lifetime
seconds. Serves POST /v1/chat/completions and /v1/completions (any prefix path works).

The scenario (JSON, all optional):
  "answers":  [[SUBSTRING, [TEXT, ...]], ...]  the first rule whose substring is in the prompt
              answers; its texts are used in turn (per choice, across requests). In a text,
              {entry_point} is the first `def NAME(` of the prompt and {i} a counter.
  "plan":     [BEHAVIOUR, ...]   consumed one per request, in arrival order; then "default".
  "default":  BEHAVIOUR
  "honour_n": true               false: always one choice, whatever n says
  "reject_n": false              true: n > 1 is refused with 400 ('n' must be 1)
BEHAVIOUR: {"status": 200, "retry_after": "1", "body": "raw body", "delay": seconds,
            "drop": true (close without answering), "echo_auth": true (401 echoing the
            Authorization header, like a careless proxy)}

Every request is logged (JSONL): arrival and end times, path, the Authorization header, the
body, the status sent, and how many requests were in flight when it arrived.
"""

import argparse
import json
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_ANSWERS = [
    ['Concept', ['Concept: counting\n```python\ndef count_items_{i}(items: list, value: int) -> int:\n'
                 '    """Return how many elements of items are equal to value.\n\n'
                 '    >>> count_items_{i}([1, 2, 1], 1)\n    2\n    """\n```\n']],
    ['assert', ['```python\nassert {entry_point}(1) == 1\nassert {entry_point}(2) == 2\n```\n']],
    ['', ['```python\ndef {entry_point}(*args):\n    return args[0] if args else None\n```\n']],
]


class State:
    def __init__(self, scenario, log_path):
        self.scenario = scenario
        self.lock = threading.Lock()
        self.plan = list(scenario.get('plan', []))
        self.counter = 0
        self.in_flight = 0
        self.log = open(log_path, 'a') if log_path else None
        self.rule_uses = {}

    def behaviour(self):
        with self.lock:
            if self.plan:
                return self.plan.pop(0)
        return self.scenario.get('default', {})

    def texts(self, prompt, count):
        rules = self.scenario.get('answers') or DEFAULT_ANSWERS
        match = re.search(r'def\s+(\w+)\s*\(', prompt)
        entry_point = match.group(1) if match else 'f'
        for index, (needle, texts) in enumerate(rules):
            if needle in prompt:
                result = []
                with self.lock:
                    for _ in range(count):
                        use = self.rule_uses.get(index, 0)
                        self.rule_uses[index] = use + 1
                        self.counter += 1
                        text = texts[use % len(texts)]
                        result.append(text.replace('{entry_point}', entry_point).replace('{i}', str(self.counter)))
                return result
        return ['' for _ in range(count)]

    def write_log(self, entry):
        if self.log:
            with self.lock:
                self.log.write(json.dumps(entry) + '\n')
                self.log.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def send(self, status, body, headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.rstrip('/').endswith('/models'):
            self.send(200, json.dumps({'object': 'list', 'data': [{'id': 'fake', 'object': 'model'}]}))
        else:
            self.send(404, json.dumps({'error': {'message': 'not found'}}))

    def do_POST(self):
        state = self.server.state
        arrived = time.time()
        with state.lock:
            state.in_flight += 1
            in_flight = state.in_flight
        status = None
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        behaviour = state.behaviour()
        try:
            if behaviour.get('delay'):
                time.sleep(behaviour['delay'])
            if behaviour.get('drop'):
                status = 'dropped'
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if behaviour.get('echo_auth'):
                status = 401
                self.send(401, json.dumps({'error': {'message': 'bad key: ' + str(self.headers.get('Authorization'))}}))
                return
            if 'status' in behaviour and behaviour['status'] != 200:
                status = behaviour['status']
                headers = [('Retry-After', str(behaviour['retry_after']))] if 'retry_after' in behaviour else []
                self.send(status, behaviour.get('body', json.dumps({'error': {'message': 'scripted %d' % status}})), headers)
                return
            if 'body' in behaviour:
                status = 200
                self.send(200, behaviour['body'])
                return
            if body is None or not isinstance(body, dict):
                status = 400
                self.send(400, json.dumps({'error': {'message': 'the body is not a JSON object'}}))
                return
            chat = self.path.rstrip('/').endswith('chat/completions')
            n = int(body.get('n') or 1)
            if n > 1 and state.scenario.get('reject_n'):
                status = 400
                self.send(400, json.dumps({'error': {'message': "'n' must be 1 for this model", 'param': 'n'}}))
                return
            if not state.scenario.get('honour_n', True):
                n = 1
            if chat:
                prompt = '\n'.join(m.get('content') or '' for m in body.get('messages', []))
            else:
                prompt = body.get('prompt') or ''
            texts = state.texts(prompt, n)
            if chat:
                choices = [{'index': k, 'message': {'role': 'assistant', 'content': t}, 'finish_reason': 'stop'}
                           for k, t in enumerate(texts)]
            else:
                choices = [{'index': k, 'text': t, 'finish_reason': 'stop'} for k, t in enumerate(texts)]
            completion_tokens = sum(len(t.split()) for t in texts)
            prompt_tokens = len(prompt.split())
            status = 200
            self.send(200, json.dumps({
                'id': 'fake-%d' % state.counter, 'object': 'chat.completion' if chat else 'text_completion',
                'model': body.get('model'), 'choices': choices,
                'usage': {'prompt_tokens': prompt_tokens, 'completion_tokens': completion_tokens,
                          'total_tokens': prompt_tokens + completion_tokens}}))
        finally:
            with state.lock:
                state.in_flight -= 1
            state.write_log({'arrived': arrived, 'ended': time.time(), 'path': self.path,
                             'authorization': self.headers.get('Authorization'), 'body': body,
                             'status': status, 'in_flight': in_flight})


def main():
    # A launcher may start us with signals blocked (a thread of Swift's concurrency pool
    # does): take them back, so SIGTERM and Ctrl-C stop the server.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, range(1, signal.NSIG))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--config')
    parser.add_argument('--log')
    parser.add_argument('--lifetime', type=float, default=300)
    parser.add_argument('--port-file', help='also write the port to this file (written whole, once listening)')
    args = parser.parse_args()
    scenario = {}
    if args.config:
        with open(args.config) as f:
            scenario = json.load(f)
    server = ThreadingHTTPServer(('127.0.0.1', args.port), Handler)
    server.daemon_threads = True
    server.state = State(scenario, args.log)
    print('PORT %d' % server.server_address[1], flush=True)
    if args.port_file:
        import os
        with open(args.port_file + '.tmp', 'w') as f:
            f.write('%d\n' % server.server_address[1])
        os.rename(args.port_file + '.tmp', args.port_file)
    timer = threading.Timer(args.lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == '__main__':
    main()
