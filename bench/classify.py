"""Classification speed: typical pastes, growth with size, knowledge-base load time.

Run from the project root: .venv/bin/python -m bench.classify

Every figure is also given as a ratio to a baseline measured in the same run: one compiled
regular expression scanning the same text. Ratios travel between machines; seconds do not.
"""

from __future__ import annotations

import functools
import re
import statistics
import time
from collections.abc import Callable

from knowledge.classify import Classifier
from knowledge.diagnosis import diagnose
from knowledge.loader import load_knowledge_base
from tests.knowledge.fixtures import positives

BASELINE = re.compile(r"error", re.IGNORECASE)

CI_LINES = [
    "2024-05-01T10:11:12.1234567Z #12 [build 3/7] RUN pip install -r requirements.txt\n",
    "2024-05-01T10:11:13.0000000Z #12 0.512 Collecting httpx==0.28.1\n",
    "2024-05-01T10:11:13.5000000Z #12 1.204   Downloading httpx-0.28.1-py3-none-any.whl (73 kB)\n",
    "a1b2c3d4e5f6: Downloading [=====>                      ]  12.3MB/45.6MB\n",
    "2024-05-01T10:11:14.0000000Z #13 exporting layers 0.3s done\n",
]
ERROR_TAIL = (
    "ERROR: failed to solve: ghcr.io/acme/base:1.4: failed to resolve source metadata for "
    "ghcr.io/acme/base:1.4: unexpected status from HEAD request to "
    "https://ghcr.io/v2/acme/base/manifests/1.4: 401 Unauthorized\n"
)
NEAR_MISSES = [
    "unauthorized: authentication ",  # a pattern's anchor again and again, never the message
    "x509: certificate ",
    "manifest for ghcr.io/a/b:1 ",
    '{"errors":[{"code":"DEN',
    "pull access denied for ",
    "Bearer eyJhbGciOi ",
]


HOSTILE_UNITS = [
    # Each repeated to a megabyte: the worst cases found for normalising, masking and extraction.
    " ", "x \n", "<@U1|", "<http://", '{"errors":[', '\\"errors\\":', "`", "\x1b[",
    "#5 sha256:", "a2abf6c4d29d: Downloading ", "&amp;", "\u200b\u201c",
    "eyJ", "eyJabc.eyJ", "-----BEGIN PRIVATE KEY-----\n", "login ", "curl ", "Bearer ",
    "://a:b", "authorization: ", '\\"auth\\":', "ghp_", "password: \n", "token=abcdefghijkl\n",
    "a/", "x.y/", "/v2/", 'image "', "docker --x ", "401 Unauthorized ", "status: ", "lookup ",
    "v: Pulling from a/b ", "UNAUTHORIZED ",
    # Secret finders: a key whose value runs into the next key, and secret-dense pastes.
    "pwd=\u0130", "auth=\u0130", '"auth":', "token=abcdefghijkl\n", "password=", "-p ",
    "sig=", "https://a@", "Cookie: a=", "Basic ", "sk-", "AIza", "hooks.slack.com/services/",
    "<password>", "_authToken=", "key=\"ClearTextPassword\" value=\"", ".dockercfg: |\n  ",
    "aws configure set aws_secret_access_key ", "curl \\\n -u a:", "x8Q~", "\\r\\nCookie: ",
]


def realistic(size: int) -> str:
    """A CI log of about ``size`` characters ending in a registry error."""
    body: list[str] = []
    length = len(ERROR_TAIL)
    i = 0
    while length < size:
        line = CI_LINES[i % len(CI_LINES)]
        body.append(line)
        length += len(line)
        i += 1
    return "".join(body) + ERROR_TAIL


def adversarial(size: int) -> str:
    """Near-matches of patterns and secrets, repeated on few long lines, no real error."""
    chunk = " ".join(NEAR_MISSES)
    text = (chunk * (size // len(chunk) + 1))[:size]
    # A newline every 64 KiB: long lines are what makes a careless regex quadratic.
    return "\n".join(text[i : i + 65536] for i in range(0, len(text), 65536))


def best_of(fn: Callable[[], object], runs: int) -> float:
    """The fastest of ``runs`` calls, in seconds (the least disturbed by other work)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    diagnose("warm up")

    start = time.perf_counter()
    Classifier(load_knowledge_base())
    load_s = time.perf_counter() - start
    print(f"knowledge base load + compile: {load_s * 1000:.1f} ms (target < 300 ms)\n")

    typical = [e.text for e in positives() if len(e.text.encode()) <= 4096]
    per_paste, base = [], []
    for text in typical:
        per_paste.append(best_of(functools.partial(diagnose, text), 20))
        base.append(best_of(functools.partial(BASELINE.findall, text), 20))
    median = statistics.median(per_paste)
    print(f"typical pastes (<= 4 KB, n={len(typical)}), masking + extraction + classification:")
    print(f"  median {median * 1e6:.0f} us, p90 "
          f"{statistics.quantiles(per_paste, n=10)[-1] * 1e6:.0f} us (target median < 100 us); "
          f"ratio to baseline {median / statistics.median(base):.1f}x\n")

    print(f"{'input':<12}{'size':>9}{'diagnose':>12}{'baseline':>12}{'ratio':>8}{'us/KB':>9}")
    for name, make in (("realistic", realistic), ("adversarial", adversarial)):
        for size in (1024, 10 * 1024, 100 * 1024, 1024 * 1024):
            text = make(size)
            runs = 20 if size <= 100 * 1024 else 5
            took = best_of(functools.partial(diagnose, text), runs)
            baseline = best_of(functools.partial(BASELINE.findall, text), runs)
            print(f"{name:<12}{size // 1024:>7}KB{took * 1000:>10.2f}ms{baseline * 1000:>10.3f}ms"
                  f"{took / baseline:>7.1f}x{took * 1e6 / (size / 1024):>9.1f}")
    print("\nus/KB flat across sizes = linear growth; 1 MB target < 50 ms.")

    # The yardstick for hostile input: a realistic megabyte, measured in this run.
    real = realistic(1024 * 1024)
    real_s = best_of(lambda: diagnose(real), 3)
    print(f"\n{'hostile 1 MB of':<42}{'diagnose':>12}{'baseline':>12}{'ratio':>8}{'x real':>8}")
    worst, worst_unit = 0.0, ""
    for unit in HOSTILE_UNITS:
        text = unit * (1024 * 1024 // len(unit))
        took = best_of(functools.partial(diagnose, text), 2)
        baseline = best_of(functools.partial(BASELINE.findall, text), 2)
        if took > worst:
            worst, worst_unit = took, unit
        print(f"{unit!r:<42}{took * 1000:>10.1f}ms{baseline * 1000:>10.2f}ms"
              f"{took / baseline:>7.1f}x{took / real_s:>7.1f}x")
    print(f"realistic megabyte: {real_s * 1000:.0f} ms; worst hostile megabyte ({worst_unit!r}): "
          f"{worst * 1000:.0f} ms = {worst / real_s:.1f}x realistic (target <= 2x)")


if __name__ == "__main__":
    main()
