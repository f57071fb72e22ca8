#!/usr/bin/env python3
"""How soft-b4-outcomes was chosen: every variant measured in issue 15, on scored codedpo
databases, with the paired bootstrap against the best of B4, CodeT and self-validation, and the
cross-validation of the choice (choose on half the problems, measure on the other half).

An independent numpy re-implementation of the strategies (not the Swift code): its top-1 for
b4, soft-b4, codet, self-validation and soft-b4-outcomes agrees with `codedpo eval` on both
development databases to 4 decimals; its bootstrap uses numpy's RNG, so intervals differ from
`codedpo eval`'s in the third decimal.

    bench/ranking_variants.py CODET.db AGENTCODER.db      # needs numpy and scipy

Each database: problems, solutions, tests imported and executed as README's "Ranking strategies
on real data" says (the ground-truth verdicts too: `codedpo eval` runs them). Not a test: it
reads real data and takes about a minute.
"""
import re
import sqlite3
import sys
from collections import Counter

import numpy as np
from scipy.special import betaln


def signature(status, error):
    """OutcomeSignature.of in Sources/CodeDPOKit/Scoring/OutcomeSignature.swift."""
    if status == "pass":
        return "pass"
    if status in ("fail", "error", "load_error") and error:
        text = re.sub(r"\s*\(solution line \d+\)", "", error)
        return status + ": " + re.sub(r"0x[0-9a-fA-F]+", "0x", text)
    return status


def load(path):
    """One dict per problem with ground truth: E (pass matrix), w (sample counts), y (correct),
    outcome and status-only class labels per solution."""
    db = sqlite3.connect(path)
    config = db.execute("SELECT max(config_id) FROM executions").fetchone()[0]
    problems = []
    for pid, name in db.execute("SELECT id, external_id FROM problems ORDER BY id").fetchall():
        sols = db.execute("SELECT id, sample_count FROM solutions WHERE problem_id = ? ORDER BY id", (pid,)).fetchall()
        test_rows = db.execute("SELECT id, sample_count FROM tests WHERE problem_id = ? AND kind = 'generated' ORDER BY id", (pid,)).fetchall()
        tests = [r[0] for r in test_rows]
        truth = [r[0] for r in db.execute("SELECT id FROM tests WHERE problem_id = ? AND kind = 'ground_truth'", (pid,))]
        if not sols or not truth:
            continue
        column = {t: j for j, t in enumerate(tests)}
        truth = set(truth)
        E = np.zeros((len(sols), len(tests)))
        outcomes, statuses, y = [], [], []
        for i, (sid, _) in enumerate(sols):
            row = ["missing"] * len(tests)
            passed_truth = 0
            for tid, status, error in db.execute("SELECT test_id, status, error FROM executions WHERE config_id = ? AND solution_id = ?", (config, sid)):
                if tid in column:
                    row[column[tid]] = signature(status, error)
                    E[i, column[tid]] = status == "pass"
                elif tid in truth:
                    passed_truth += status == "pass"
            outcomes.append(tuple(row))
            statuses.append(tuple(c.split(":")[0] for c in row))
            y.append(passed_truth == len(truth))
        problems.append(dict(name=name, E=E, w=np.array([max(1, c or 1) for _, c in sols], float), y=np.array(y, float),
                             tw=np.array([max(1, c or 1) for _, c in test_rows], float),
                             outcome=labels(outcomes), status=labels(statuses)))
    return problems


def labels(keys):
    ids = {}
    return np.array([ids.setdefault(k, len(ids)) for k in keys])


def support(lab, w):
    return np.bincount(lab, weights=w)[lab]


def top1(scores, w, y):
    """Expected correctness of the top pick, ties broken uniformly over samples (as eval)."""
    best = scores.max()
    top = scores >= best - 1e-9 * abs(best)
    return (w[top] * y[top]).sum() / w[top].sum()


def lexi(primary, secondary):
    """Rank by primary, then secondary (as soft-b4-outcomes' tie-break)."""
    keys = list(zip(np.round(primary, 9), np.round(secondary, 9)))
    rank = {k: i for i, k in enumerate(sorted(set(keys)))}
    return np.array([rank[k] for k in keys], float)


def codet(p):
    E, w = p["E"], p["w"]
    lab = labels(map(tuple, E.astype(int)))
    return E.sum(1) * np.sqrt(support(lab, w))


def self_validation(p, d=0.85, iterations=10):
    E, w = p["E"], p["w"]
    c, t = np.ones(len(w)), np.ones(E.shape[1])
    for _ in range(iterations):
        t = (1 - d) * t + d * (E.T @ (c * w))
        c = (1 - d) * c + d * (E @ (t * p["tw"]))
        scale = max(c.max(initial=0), t.max(initial=0))
        if scale > 1e100:
            c, t = c / scale, t / scale
    return c


def b4_family(p, soft=False, gamma=4.0, alpha=1e3, beta0=1e4, classes=None):
    """B4's log posterior per solution; soft: soft-b4 (soft support, no empty hypothesis);
    classes: a label per solution (within a pattern) that is its own hypothesis: its support
    replaces the pattern's as the correct samples, the rest of the pattern counts as wrong."""
    E, w = p["E"], p["w"]
    lab = labels(map(tuple, E.astype(int)))
    k, n, m, N = lab.max() + 1, len(w), E.shape[1], w.sum()
    reps = np.array([np.where(lab == q)[0][0] for q in range(k)])
    size = np.bincount(lab, weights=w, minlength=k)
    share = size.copy()
    if soft:
        P = E[reps]
        inter = P @ P.T
        union = P.sum(1)[:, None] + P.sum(1)[None, :] - inter
        share = (np.where(union == 0, 1.0, inter / np.maximum(union, 1)) ** gamma) @ size
    column = (E * w[:, None]).sum(0)
    out = np.zeros(n)
    own = support(classes, w) if classes is not None else size[lab]
    for i in range(n):
        q = lab[i]
        yrow = E[i]
        members = own[i]
        ny = yrow.sum()
        s1 = (column * yrow).sum() - members * ny
        n1 = (N - members) * ny
        s0 = (column * (1 - yrow)).sum()
        n0 = (N - members) * (m - ny)
        sh = min(share[q] - size[q] + own[i], N)
        out[i] = betaln(ny + alpha, m - ny + 1) + betaln(sh + alpha, N - sh + 1) + betaln(s1 + 1, n1 - s1 + 1) + betaln(s0 + 1, n0 - s0 + beta0)
    if soft:
        empty = E.sum(1) == 0
        if empty.any() and not empty.all():
            out[empty] = out[~empty].min() - 1
    return out


def latent_class_em(p, iterations=50):
    """Two-class latent class model (correct / wrong, per-test pass rates, Beta(1,1)), by EM."""
    E, w = p["E"], p["w"]
    if E.shape[1] == 0:
        return np.zeros(len(w))
    s = np.clip(E.sum(1) / E.shape[1], 0.05, 0.95)
    for _ in range(iterations):
        a, b = w * s, w * (1 - s)
        t, q = (a @ E + 1) / (a.sum() + 2), (b @ E + 1) / (b.sum() + 2)
        prior = (a.sum() + 1) / (w.sum() + 2)
        l1 = E @ np.log(t) + (1 - E) @ np.log(1 - t) + np.log(prior)
        l0 = E @ np.log(q) + (1 - E) @ np.log(1 - q) + np.log(1 - prior)
        s = 1 / (1 + np.exp(np.clip(l0 - l1, -700, 700)))
    return l1 - l0


BASELINES = {
    "b4 (beta0 1e4)": lambda p: b4_family(p),
    "codet": codet,
    "self-validation": self_validation,
}
softb4 = lambda p: b4_family(p, soft=True)  # noqa: E731
VARIANTS = {
    "soft-b4 (retired)": softb4,
    "soft-b4, ties by outcome support = soft-b4-outcomes (kept)": lambda p: lexi(softb4(p), support(p["outcome"], p["w"])),
    "soft-b4, ties by status-pattern support (no messages)": lambda p: lexi(softb4(p), support(p["status"], p["w"])),
    "soft-b4, ties by outcome support, then program sample count": lambda p: lexi(softb4(p), support(p["outcome"], p["w"]) * 1e6 + p["w"]),
    "soft-b4, ties by program sample count": lambda p: lexi(softb4(p), p["w"]),
    "soft-b4 with outcome classes as hypotheses": lambda p: b4_family(p, soft=True, classes=p["outcome"]),
    "b4 (beta0 1e4), ties by outcome support": lambda p: lexi(b4_family(p), support(p["outcome"], p["w"])),
    "self-validation, ties by outcome support": lambda p: lexi(self_validation(p), support(p["outcome"], p["w"])),
    "codet, ties by outcome support": lambda p: lexi(codet(p), support(p["outcome"], p["w"])),
    "mbr-exec over outcomes alone": lambda p: support(p["outcome"], p["w"]),
    "latent-class EM": latent_class_em,
}


def bootstrap(a, b, resamples=10_000, seed=0):
    d = a - b
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(d), (resamples, len(d)))].mean(1)
    return d.mean(), np.percentile(means, 2.5), np.percentile(means, 97.5)


def main(paths):
    data = {name: load(path) for name, path in zip(["CodeT", "AgentCoder"], paths)}
    top = {ds: {k: np.array([top1(f(p), p["w"], p["y"]) for p in P]) for k, f in {**BASELINES, **VARIANTS}.items()} for ds, P in data.items()}
    best = {ds: max(BASELINES, key=lambda k: top[ds][k].mean()) for ds in data}
    print("top-1, and minus the best of B4, CodeT and self-validation on the dataset (95% paired bootstrap, seed 0)")
    for ds in data:
        print(f"  best baseline on {ds}: {best[ds]} {top[ds][best[ds]].mean():.4f}")
    for k in {**BASELINES, **VARIANTS}:
        cells = []
        for ds in data:
            d, lo, hi = bootstrap(top[ds][k], top[ds][best[ds]])
            cells.append(f"{ds} {top[ds][k].mean():.4f} ({d:+.3f} [{lo:+.3f}, {hi:+.3f}])")
        print(f"  {k:62s} " + "  ".join(cells))

    # The choice among VARIANTS, made on half the problems of both datasets and measured on the other half.
    def gain(k, idx):
        return sum(top[ds][k][idx[ds]].mean() - max(top[ds][b][idx[ds]].mean() for b in BASELINES) for ds in data)

    print("cross-validation: choose the variant with the largest summed gain over the best baseline on one half,")
    print("measure it on the other half against that half's best baseline")
    for fold, label in ((0, "even"), (1, "odd")):
        train = {ds: np.arange(fold, len(P), 2) for ds, P in data.items()}
        test = {ds: np.arange(1 - fold, len(P), 2) for ds, P in data.items()}
        chosen = max(VARIANTS, key=lambda k: gain(k, train))
        cells = []
        for ds in data:
            b = max(BASELINES, key=lambda k: top[ds][k][test[ds]].mean())
            d, lo, hi = bootstrap(top[ds][chosen][test[ds]], top[ds][b][test[ds]])
            cells.append(f"{ds} {d:+.4f} [{lo:+.3f}, {hi:+.3f}] vs {b}")
        print(f"  chosen on the {label} positions: {chosen}; held out: " + "; ".join(cells))
    rng = np.random.default_rng(0)
    chosen_count, held = Counter(), {ds: [] for ds in data}
    for _ in range(200):
        order = {ds: rng.permutation(len(P)) for ds, P in data.items()}
        for fold in (0, 1):
            train = {ds: order[ds][fold::2] for ds in data}
            test = {ds: order[ds][1 - fold::2] for ds in data}
            chosen = max(VARIANTS, key=lambda k: gain(k, train))
            chosen_count[chosen] += 1
            for ds in data:
                held[ds].append(top[ds][chosen][test[ds]].mean() - max(top[ds][b][test[ds]].mean() for b in BASELINES))
    print(f"  200 random halvings x 2 folds, chosen: {dict(chosen_count)}")
    for ds in data:
        h = np.array(held[ds])
        print(f"  {ds}: held-out gain of the chosen variant, mean {h.mean():+.4f}; folds > 0: {(h > 0).mean():.2f}, = 0: {(h == 0).mean():.2f}, < 0: {(h < 0).mean():.2f}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1:])
