#!/usr/bin/env bash
# The prepared GPU check: one script for a lent CUDA machine (CUDA property tests, GPU benchmarks).
#
#   benchmarks/gpu_check.sh [--out DIR] [--python PY] [--dry-run] [--skip-tests]
#                           [--skip-bench] [--quick-suite] [--timeout-tests S]
#
# Stages (each logged; a failing stage does not stop the next; the exit status says):
#   1. env:   nvidia-smi, torch/CUDA versions, the device name          -> DIR/env.txt
#   2. tests: the CUDA property tests: every test run with the `cuda` device parameter
#             and every @pytest.mark.cuda test (pytest -m "cuda and not lean")
#                                                         -> DIR/pytest-cuda.log, .xml
#   3. bench: python -m benchmarks --full --device cuda --only relu_ntk_influence_60k,
#             spectral_memmap_1m (GPU targets: influence n=50,000 < 60 s, spectra of
#             50,000 x 3,072 < 1 s)                       -> DIR/bench-full-cuda.json
#             with --quick-suite also the whole --quick suite on cuda
#                                                         -> DIR/bench-quick-cuda.json
#   DIR/summary.txt: one line per stage (ok / FAILED rc=N / skipped).
#
# --dry-run: the same stages on CPU at no cost, to test the script where no GPU is lent:
#   env without CUDA is reported instead of refused, stage 2 only collects the cuda-marked
#   tests (--collect-only), stage 3 runs the two cases at tiny size with --device cpu
#   (-> DIR/bench-tiny-cpu.json).
#
# Exit status: 0 all stages ok; 1 a stage failed; 2 bad arguments; 3 no CUDA device
# (without --dry-run).  DIR defaults to $OUT (the device tool's output folder) or
# results/gpu.  PY defaults to $PYTHON, else .venv/bin/python when present, else python3.
# Run it from the repository root: `bash benchmarks/gpu_check.sh --out "$OUT"`.

set -uo pipefail

usage() { sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; }

out="${OUT:-results/gpu}"
py="${PYTHON:-}"
dry=0; skip_tests=0; skip_bench=0; quick_suite=0; t_tests=420
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "gpu_check: --out needs a folder" >&2; exit 2; }
           out="$2"; shift 2 ;;
    --python) [ $# -ge 2 ] || { echo "gpu_check: --python needs a path" >&2; exit 2; }
              py="$2"; shift 2 ;;
    --timeout-tests)
      case "${2:-}" in ''|*[!0-9]*) echo "gpu_check: --timeout-tests needs seconds" >&2
                                    exit 2 ;; esac
      t_tests="$2"; shift 2 ;;
    --dry-run) dry=1; shift ;;
    --skip-tests) skip_tests=1; shift ;;
    --skip-bench) skip_bench=1; shift ;;
    --quick-suite) quick_suite=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu_check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

mkdir -p "$out" || exit 2
out="$(cd "$out" && pwd)"  # absolute: the stages run from the repository root
cd "$(dirname "$0")/.." || exit 2
if [ -z "$py" ]; then
  if [ -x .venv/bin/python ]; then py=.venv/bin/python; else py=python3; fi
fi
command -v "$py" >/dev/null 2>&1 || [ -x "$py" ] || { echo "gpu_check: no python '$py'" >&2
                                                      exit 2; }
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
summary="$out/summary.txt"
: > "$summary"
failed=0
record() {  # stage rc
  if [ "$2" -eq 0 ]; then echo "$1: ok" >> "$summary"
  else echo "$1: FAILED rc=$2" >> "$summary"; failed=1; fi
}

# ---------------------------------------------------------------- 1. env
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  dry_run=$dry  python=$py"
  echo "git: $(git rev-parse --short HEAD 2>/dev/null || echo 'not a git checkout')"
  if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi || true
  else echo "nvidia-smi: not found"; fi
  "$py" - <<'EOF'
import os, torch
print("torch", torch.__version__, "cuda", torch.version.cuda,
      "available", torch.cuda.is_available(), "cpu_count", os.cpu_count())
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print("device", p.name, f"{p.total_memory / 2**30:.1f} GiB", "sm", p.multi_processor_count)
try:
    import pykeops  # noqa: F401
    print("pykeops", pykeops.__version__)
except Exception as exc:  # optional: the KeOps backend of the on-the-fly route
    print("pykeops: not importable:", type(exc).__name__)
EOF
} > "$out/env.txt" 2>&1
env_rc=$?
record env "$env_rc"
has_cuda=$("$py" -c 'import torch; print(int(torch.cuda.is_available()))' 2>/dev/null || echo 0)
if [ "$dry" -eq 0 ] && [ "$has_cuda" != 1 ]; then
  echo "gpu_check: no CUDA device is available here (use --dry-run to test the script)" >&2
  echo "cuda: none available" >> "$summary"
  exit 3
fi

# ---------------------------------------------------------------- 2. CUDA property tests
if [ "$skip_tests" -eq 1 ]; then
  echo "tests: skipped" >> "$summary"
else
  args=(-m pytest -p no:randomly -p no:cacheprovider -m "cuda and not lean" -q
        --junitxml "$out/pytest-cuda.xml" tests)
  [ "$dry" -eq 1 ] && args+=(--collect-only)
  timeout "$t_tests" "$py" "${args[@]}" > "$out/pytest-cuda.log" 2>&1
  rc=$?
  [ "$rc" -eq 5 ] && [ "$dry" -eq 1 ] && rc=0  # dry run: no cuda test exists without CUDA
  record tests "$rc"
fi

# ---------------------------------------------------------------- 3. GPU benchmarks
if [ "$skip_bench" -eq 1 ]; then
  echo "bench: skipped" >> "$summary"
else
  large=relu_ntk_influence_60k,spectral_memmap_1m
  if [ "$dry" -eq 1 ]; then mode=--tiny; dev=cpu; else mode=--full; dev=cuda; fi
  "$py" -m benchmarks "$mode" --device "$dev" --only "$large" \
        --json "$out/bench-${mode#--}-$dev.json" > "$out/bench.log" 2>&1
  record bench-large "$?"
  if [ "$quick_suite" -eq 1 ]; then
    [ "$dry" -eq 1 ] && mode=--tiny || mode=--quick
    "$py" -m benchmarks "$mode" --device "$dev" --json "$out/bench-quick-$dev.json" \
          >> "$out/bench.log" 2>&1
    record bench-quick "$?"
  fi
fi

cat "$summary"
exit "$failed"
