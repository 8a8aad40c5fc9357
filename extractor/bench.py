"""Throughput benchmark: newsclaims against a naive spaCy pipeline, same corpus, same claims.

    newsclaims bench ../shared/external/bbc.jsonl [--limit N] [--n-process 1 --n-process 2]

The naive baseline is the way anyone would run these rules first: the trained pipeline as
`spacy.load` gives it (every enabled component, spaCy's default blis backend) plus the
newsclaims components, over every article, `nlp.pipe(batch_size=32)`, one process
(`Extractor(spacy.load(name), prefilter=False)`). newsclaims is the default Extractor
(prefilter, numpy BLAS on one thread), in one or more processes.

Every configuration runs in its own subprocess, so each peak RSS is that run's alone and no
run warms a cache for another; all of them import one copy of the code and rules taken at the
start (a shared working tree may change under a long benchmark). A run reads the corpus
lazily, writes one JSON line of claims per article to a file, and reports its timings on
stdout; the parent compares the claim files line by line (identical claims or the benchmark
fails) and prints the table. Throughput excludes loading the model (reported apart).
Latency (ms per article, median and p95) is measured in the same subprocess after the
throughput pass, one article at a time through `Extractor.extract`, on `latency_sample`
articles spread evenly over the corpus.

The memory check runs the newsclaims configuration on the corpus once and repeated ten times:
streaming keeps the peak RSS of the second within 10 % of the first.
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Peak RSS of the repeated corpus may exceed the single one by this share at most.
MEMORY_TOLERANCE = 0.10


@dataclass
class RunResult:
    """What one benchmark subprocess measured."""

    name: str
    n_process: int
    articles: int
    words: int
    claims: int
    seconds: float
    load_seconds: float
    peak_rss_mb: float  # the main process
    peak_rss_workers_mb: float  # the largest worker process (0 with one process)
    latency_ms: list[float] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # 'article: exception' from components
    source: str = ""  # where the run imported the extractor package from

    @property
    def articles_per_s(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0

    @property
    def words_per_s(self) -> float:
        return self.words / self.seconds if self.seconds else 0.0

    def latency(self, q: float) -> float:
        """The q-quantile (0.5 median, 0.95 p95) of the per-article latencies, in ms."""
        if not self.latency_ms:
            return float("nan")
        if len(self.latency_ms) == 1:
            return self.latency_ms[0]
        return statistics.quantiles(self.latency_ms, n=100, method="inclusive")[round(q * 100) - 1]


def read_corpus(path: Path, limit: int | None = None, repeat: int = 1) -> Iterator[Any]:
    """Articles from a JSONL corpus, lazily; `repeat` passes over the first `limit` lines."""
    from extractor.pipeline import article_from_dict

    for _ in range(repeat):
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if limit is not None and n > limit:
                    break
                if line.strip():
                    yield article_from_dict(json.loads(line), source=str(path), line=n)


def naive_model(model: str | None) -> Any:
    """The trained pipeline as spaCy loads it by default (every component, blis), for the
    baseline; the newsclaims components are added by the Extractor as usual."""
    import spacy

    from extractor.pipeline import BLANK, DEFAULT_MODELS, load_model

    if model == BLANK:
        return load_model(BLANK)
    for name in (model,) if model else DEFAULT_MODELS:
        try:
            return spacy.load(name)
        except OSError:
            if model:
                raise
    return load_model(None)


def _peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kB on Linux


def run_one(
    corpus: Path,
    *,
    name: str,
    out: Path,
    limit: int | None,
    repeat: int,
    n_process: int,
    batch_size: int,
    model: str | None,
    latency_sample: int,
) -> RunResult:
    """One configuration in this process: 'naive' or 'newsclaims'. Writes one JSON line of
    claims per article to `out`."""
    from extractor.pipeline import Extractor

    t0 = time.perf_counter()
    ex = Extractor(naive_model(model), prefilter=False) if name == "naive" else Extractor(model)
    load = time.perf_counter() - t0
    # A component that fails on an article must not end the benchmark: spaCy's error handler
    # reports it (one line on stderr, collected by the parent) and the article goes on
    # without that component's annotations, the same way in every configuration.
    set_rule_error_handler(ex.nlp, _report_error)
    articles = words = claims = 0

    def counted() -> Iterator[Any]:
        nonlocal words
        for a in read_corpus(corpus, limit, repeat):
            words += len(a.text.split())
            yield a

    t0 = time.perf_counter()
    with open(out, "w", encoding="utf-8") as fh:
        for article, found in ex.pipe(counted(), batch_size=batch_size, n_process=n_process):
            articles += 1
            claims += len(found)
            fh.write(json.dumps([c.model_dump(mode="json") for c in found]) + "\n")
            del article
    seconds = time.perf_counter() - t0
    workers = _peak_rss_mb(resource.RUSAGE_CHILDREN)
    stats = dict(ex.stats)
    latencies = []
    if latency_sample and articles:
        # Spread over the corpus: real corpora are often sorted (BBC by section).
        stride = max(1, articles // repeat // latency_sample)
        for n, article in enumerate(read_corpus(corpus, limit)):
            if n % stride or len(latencies) >= latency_sample:
                continue
            t = time.perf_counter()
            ex.extract(article)
            latencies.append((time.perf_counter() - t) * 1000)
    return RunResult(
        name=name,
        n_process=n_process,
        articles=articles,
        words=words,
        claims=claims,
        seconds=seconds,
        load_seconds=load,
        peak_rss_mb=_peak_rss_mb(resource.RUSAGE_SELF),
        peak_rss_workers_mb=workers,
        latency_ms=latencies,
        stats=stats,
        source=str(Path(sys.modules["extractor"].__file__ or "").parent),
    )


ERROR_MARK = "newsclaims-bench-error"


def set_rule_error_handler(nlp: Any, handler: Any) -> None:
    """spaCy's error handler for the newsclaims rule components (the trained components are
    Cython classes that do not take one)."""
    from extractor.components.base import RuleComponent

    for _, proc in nlp.pipeline:
        if isinstance(proc, RuleComponent):
            proc.set_error_handler(handler)


def _report_error(proc_name: str, proc: Any, docs: list[Any], e: Exception) -> None:
    for doc in docs:
        article = getattr(doc._, "article_id", "?")
        print(f"{ERROR_MARK}\t{article}\t{proc_name}\t{e!r}", file=sys.stderr, flush=True)


def snapshot_code(dest: Path) -> Path:
    """Copy the extractor package and its rule files to `dest`, so every configuration of
    one benchmark runs the same code and rules even while the source tree is being edited."""
    import shutil

    import extractor

    package = Path(extractor.__file__).parent
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(package, dest / "extractor", ignore=ignore)
    patterns = package.parent / "patterns"
    if patterns.is_dir() and not (package / "patterns").is_dir():
        shutil.copytree(patterns, dest / "patterns", ignore=ignore)
    return dest


def run_subprocess(corpus: Path, out: Path, *, code: Path | None = None, **kw: Any) -> RunResult:
    """run_one in a fresh interpreter (clean peak RSS, no shared caches), importing the
    extractor package from `code` when given (see snapshot_code)."""
    args = {"corpus": str(corpus.resolve()), "out": str(out.resolve()), **kw}
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-m", "extractor.bench", json.dumps(args)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=code,  # `python -m` puts the working directory first on sys.path
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark run {kw.get('name')} failed:\n{proc.stderr[-3000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    result = RunResult(**data)
    result.errors = sorted(
        {
            ln.split("\t")[1] + ": " + ln.split("\t", 3)[-1]
            for ln in proc.stderr.splitlines()
            if ln.startswith(ERROR_MARK)
        }
    )
    return result


def compare(a: Path, b: Path, show: int = 5) -> tuple[int, list[str]]:
    """Articles whose claims differ between two claim files, and the first few differences."""
    differ = 0
    shown: list[str] = []
    with open(a, encoding="utf-8") as fa, open(b, encoding="utf-8") as fb:
        for n, (la, lb) in enumerate(zip(fa, fb, strict=True), start=1):
            if la == lb:
                continue
            differ += 1
            if len(shown) < show:
                ca, cb = json.loads(la), json.loads(lb)
                shown.append(f"article #{n}: {_diff(ca, cb)}")
    return differ, shown


def _diff(ca: list[dict], cb: list[dict]) -> str:
    if len(ca) != len(cb):
        return f"{len(ca)} vs {len(cb)} claims"
    for x, y in zip(ca, cb, strict=True):
        fields = {k: (x[k], y.get(k)) for k in x if x[k] != y.get(k)}
        if fields:
            return f"claim {x.get('figure', {}).get('text')!r}: {fields}"
    return "same claims, different order"


@dataclass
class Report:
    corpus: str
    machine: str
    naive: RunResult
    runs: list[RunResult]
    differing: dict[int, int]
    examples: dict[int, list[str]]
    memory: tuple[RunResult, RunResult] | None = None

    @property
    def identical(self) -> bool:
        return not any(self.differing.values())

    @property
    def memory_ok(self) -> bool | None:
        if self.memory is None:
            return None
        one, ten = self.memory
        return ten.peak_rss_mb <= one.peak_rss_mb * (1 + MEMORY_TOLERANCE)

    def render(self) -> str:
        rows = [self.naive, *self.runs]
        lines = [
            f"corpus   {self.corpus}",
            f"machine  {self.machine}",
            f"articles {self.naive.articles}  words {self.naive.words}",
            "",
            f"{'configuration':<26}{'articles/s':>11}{'words/s':>10}{'ms/art p50':>11}"
            f"{'p95':>8}{'peak RSS MB':>13}{'load s':>8}{'claims':>8}{'vs naive':>10}",
        ]
        for r in rows:
            label = (
                "naive (full model)" if r.name == "naive" else f"newsclaims n_process={r.n_process}"
            )
            rss = f"{r.peak_rss_mb:.0f}"
            if r.peak_rss_workers_mb:
                rss += f"+{r.peak_rss_workers_mb:.0f}w"
            p50, p95 = (
                (f"{r.latency(0.5):.1f}", f"{r.latency(0.95):.1f}") if r.latency_ms else ("-", "-")
            )
            lines.append(
                f"{label:<26}{r.articles_per_s:>11.1f}{r.words_per_s:>10.0f}"
                f"{p50:>11}{p95:>8}{rss:>13}{r.load_seconds:>8.1f}"
                f"{r.claims:>8}{r.words_per_s / self.naive.words_per_s:>9.1f}x"
            )
        for r in self.runs:
            s = r.stats
            if r.n_process == 1 and s.get("articles"):
                kept = s.get("kept", 0) / max(1, s.get("chars", 0))
                lines.append(
                    f"prefilter: {s['skipped']} of {s['articles']} articles had no figure that "
                    f"can be a claim (no model); {s.get('regions', 0)} run on their claims' "
                    "context "
                    f"({kept:.0%} of their text), {s['full']} run whole (too long to run "
                    "at once)"
                )
                break
        lines.append("")
        for r in rows:
            if r.errors:
                lines.append(
                    f"{r.name} n_process={r.n_process}: {len(r.errors)} component errors "
                    f"(article kept without that component's output), e.g. {r.errors[0]}"
                )
        for n, differ in self.differing.items():
            verdict = "identical claims" if not differ else f"{differ} ARTICLES DIFFER"
            lines.append(f"claims n_process={n} vs naive: {verdict}")
            lines.extend(f"  {e}" for e in self.examples.get(n, []))
        if self.memory is not None:
            one, ten = self.memory
            lines.append(
                f"memory: peak RSS {one.peak_rss_mb:.0f} MB on {one.articles} articles, "
                f"{ten.peak_rss_mb:.0f} MB on {ten.articles} (10x): "
                f"{ten.peak_rss_mb / one.peak_rss_mb - 1:+.1%} "
                f"({'within' if self.memory_ok else 'OVER'} {MEMORY_TOLERANCE:.0%})"
            )
        return "\n".join(lines)


def machine() -> str:
    """A one-line description of this machine (CPU model, cores, memory, Python, spaCy)."""
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu
            )
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kb = int(fh.readline().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    import spacy

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}, "
        f"spaCy {spacy.__version__}, load average {load:.1f} at start"
    )


def bench(
    corpus: Path,
    *,
    limit: int | None = None,
    n_process: tuple[int, ...] = (1, 2),
    batch_size: int = 32,
    model: str | None = None,
    latency_sample: int = 200,
    memory_check: bool = False,
    workdir: Path | None = None,
) -> Report:
    """Run the naive baseline and newsclaims with each n_process, compare their claims."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        code = snapshot_code(Path(tmp) / "code")
        common = {"limit": limit, "batch_size": batch_size, "model": model, "code": code}
        desc = machine()
        naive_out = Path(tmp) / "naive.jsonl"
        naive = run_subprocess(
            corpus,
            naive_out,
            name="naive",
            repeat=1,
            n_process=1,
            latency_sample=latency_sample,
            **common,
        )
        runs: list[RunResult] = []
        differing: dict[int, int] = {}
        examples: dict[int, list[str]] = {}
        for n in n_process:
            out = Path(tmp) / f"newsclaims-{n}.jsonl"
            runs.append(
                run_subprocess(
                    corpus,
                    out,
                    name="newsclaims",
                    repeat=1,
                    n_process=n,
                    latency_sample=latency_sample if n == 1 else 0,
                    **common,
                )
            )
            differing[n], examples[n] = compare(naive_out, out)
        memory = None
        if memory_check:
            one = next((r for r in runs if r.n_process == 1), None)
            if one is None:
                one = run_subprocess(
                    corpus,
                    Path(tmp) / "m1.jsonl",
                    name="newsclaims",
                    repeat=1,
                    n_process=1,
                    latency_sample=0,
                    **common,
                )
            ten = run_subprocess(
                corpus,
                Path(tmp) / "m10.jsonl",
                name="newsclaims",
                repeat=10,
                n_process=1,
                latency_sample=0,
                **common,
            )
            memory = (one, ten)
    return Report(str(corpus), desc, naive, runs, differing, examples, memory)


def _main(argv: list[str]) -> None:
    args = json.loads(argv[0])
    corpus = Path(args.pop("corpus"))
    out = Path(args.pop("out"))
    result = run_one(corpus, out=out, **args)
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    _main(sys.argv[1:])
