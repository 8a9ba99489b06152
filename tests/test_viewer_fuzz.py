"""Fuzzing the viewer's HTTP API (issue: reliability): generated bad requests never crash the server or end in an
unexplained error.

A seeded generator (the case number is in every failure message) makes 200+ requests over one keep-alive
connection, as a page sends them: face queries with unknown labels, seeds and truncations that are not numbers or
out of range, unknown texture formats and photo ids, paths that try to leave `viewer_static/`, unknown endpoints,
HEAD requests, and photo uploads that are not images, are empty, lack a length or claim to be too large.
A case passes when the answer is 200, or a 4xx whose JSON body names the problem (`error`) and the fix (`fix`);
a 5xx (an exception facediv did not explain) or a 4xx without both fails. Afterwards the server still answers, and
a valid face request still gives the same bytes as before the fuzzing.
"""
import http.client, json, random, urllib.parse

import pytest

from test_cli import tiny_model

SEED = 20261205
ETHNICITY, AGE, GENDER = 'West African', '40-44', 'female'

@pytest.fixture(scope='module')
def server(tmp_path_factory):
    from facediv.viewer import start_server
    s, url = start_server(tiny_model(tmp_path_factory.mktemp('tiny')), texture_res=32, maps_models={})
    yield s
    s.shutdown(); s.server_close(); s.app.close()

def junk(rng:random.Random) -> str:
    "A value a user, a script or a broken page might send."
    return rng.choice(['', ' ', 'nan', 'inf', '-1', '1e9', '2147483648', '0x10', '3.5', 'NaN', 'null', 'None', '[]', '{}', '%00',
                       '../../etc/passwd', 'é' * 3, 'a' * 2000, "'; drop table faces; --", '<script>alert(1)</script>',
                       str(rng.randint(-10 ** 12, 10 ** 12)), str(rng.uniform(-5, 5)), 'West  African', 'west african',
                       'Martian', '15-19 ', '20_24', 'male,female', 'unisex', 'FEMALE'])

def face_query(rng:random.Random) -> dict:
    "Query parameters of a face request, each valid or replaced by junk (or left out) at random."
    q = {'ethnicity': ETHNICITY, 'age': AGE, 'gender': GENDER, 'seed': str(rng.randint(0, 99)), 'psi': rng.choice(['1', '0.7', '0'])}
    for k in list(q):
        r = rng.random()
        if r < 0.3: q[k] = junk(rng)
        elif r < 0.4: del q[k]
    if rng.random() < 0.2: q['textures'] = rng.choice(['raw', 'jpeg', 'webp', junk(rng)])
    if rng.random() < 0.1: q['photo'] = junk(rng)
    if rng.random() < 0.1: q[junk(rng)[:20] or 'x'] = junk(rng)
    return q

def cases(rng:random.Random, n:int):
    "(method, path, body, headers) of `n` generated requests."
    for _ in range(n):
        r = rng.random()
        if r < 0.7:
            endpoint = rng.choice(['/api/face.bin', '/api/face.bin', '/api/face.glb'])
            yield rng.choice(['GET', 'GET', 'HEAD']), endpoint + '?' + urllib.parse.urlencode(face_query(rng)), None, {}
        elif r < 0.85:
            path = rng.choice(['/static/', '/static/../', '/static/%2e%2e/%2e%2e/', '/api/', '/', '/static/vendor/']) + junk(rng)
            yield 'GET', urllib.parse.quote(path, safe='/%.?=&'), None, {}
        else:
            kind = rng.choice(['bytes', 'text', 'empty', 'truncated png', 'no length', 'too large'])
            body = {'bytes': bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4000))), 'text': junk(rng).encode(),
                    'empty': b'', 'truncated png': b'\x89PNG\r\n\x1a\n' + bytes(64), 'no length': b'', 'too large': b''}[kind]
            headers = {'Content-Type': rng.choice(['image/jpeg', 'image/png', 'application/octet-stream', 'text/plain'])}
            if kind == 'too large': headers['Content-Length'] = str(10 ** 9)
            path = urllib.parse.quote(rng.choice(['/api/photo', '/api/photo', '/api/' + junk(rng)[:30]]), safe='/%')
            yield 'POST', path, (None if kind in ('no length', 'too large') else body), headers

def send(conn, method:str, path:str, body, headers:dict) -> tuple:
    "(status, body bytes); a POST with neither body nor Content-Length goes out without the header (http.client would add 0)."
    if method == 'POST' and body is None and 'Content-Length' not in headers:
        conn.putrequest(method, path)
        for k, v in headers.items(): conn.putheader(k, v)
        conn.endheaders()
    else: conn.request(method, path, body=body, headers=headers)
    res = conn.getresponse()
    return res.status, res.read()

def ask(conn, method:str, path:str, body, headers:dict) -> tuple:
    "(status, body bytes) of one request; a connection the server closed (after a refused upload) is reopened."
    try: return send(conn, method, path, body, headers)
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        conn.close(); conn.connect()
        return send(conn, method, path, body, headers)

def test_fuzz_http_api(server):
    host, port = server.server_address
    conn = http.client.HTTPConnection(host, port, timeout=120)
    good = '/api/face.bin?' + urllib.parse.urlencode({'ethnicity': ETHNICITY, 'age': AGE, 'gender': GENDER, 'seed': 3, 'textures': 'raw'})
    status, before = ask(conn, 'GET', good, None, {})
    assert status == 200
    rng, counts, failures = random.Random(SEED), {}, []
    for i, (method, path, body, headers) in enumerate(cases(rng, 220)):
        status, data = ask(conn, method, path, body, headers)
        counts[status] = counts.get(status, 0) + 1
        where = f'case {i}: {method} {path[:120]!r}'
        if status >= 500: failures.append(f'{where}: {status} {data[:300]!r}')
        elif status >= 400 and method != 'HEAD':
            try: answer = json.loads(data)
            except ValueError: answer = {}
            if not (answer.get('error') and answer.get('fix')) or 'Traceback' in answer['error']:
                failures.append(f'{where}: {status} without a problem and a fix: {data[:300]!r}')
    assert not failures, f'{len(failures)} of 220 cases failed (seed {SEED}):\n' + '\n'.join(failures[:30])
    assert counts.get(200, 0) > 20 and sum(v for k, v in counts.items() if 400 <= k < 500) > 60, counts   # both kinds were exercised
    status, info = ask(conn, 'GET', '/api/info', None, {})
    assert status == 200 and json.loads(info)['trained']
    assert ask(conn, 'GET', good, None, {}) == (200, before)                      # the server's state is intact
