"""CLIP Lab's GPU benchmark, run from the unpacked bundle that bench/gpu/pack.ts builds: the app's
training step on TF.js WebGPU (Node + Dawn over Vulkan) against the same model in PyTorch CUDA on
the same card, interleaved (WebGPU, PyTorch, WebGPU, PyTorch, ...) so that each pair ran under the
same conditions. Needs only Python 3 with torch, the NVIDIA driver (with its Vulkan ICD) and this
folder: no Node, no npm, no network. Writes gpu-results.json beside itself (or --out).

Usage: python3 run.py [--presets bench,default] [--pairs 3] [--steps 10] [--torch-device cuda]
"""
import argparse
import datetime
import json
import lzma
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def unpack(name):
    """name.xz -> name (executable), once."""
    path = os.path.join(HERE, name)
    if not os.path.exists(path):
        with lzma.open(path + ".xz") as src, open(path + ".part", "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.chmod(path + ".part", 0o755)
        os.rename(path + ".part", path)
    return path


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"error": text.strip()[-500:]}


def run(cmd, env, timeout):
    t0 = time.time()
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        out = last_json(p.stdout) if p.stdout.strip() else {"error": p.stderr.strip()[-500:]}
        if p.returncode and "error" not in out:
            out["error"] = p.stderr.strip()[-500:]
    except subprocess.TimeoutExpired:
        out = {"error": f"timed out after {timeout} s"}
    out["wallSeconds"] = round(time.time() - t0, 1)
    return out


def card_name():
    try:
        return subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=30).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default="bench,default")
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--max-seconds", type=int, default=60, help="time budget of one side's timed steps")
    ap.add_argument("--torch-device", default="cuda")
    ap.add_argument("--conv", default="conv2d", help="the lab's conv implementation on WebGPU (the page uses conv2d)")
    ap.add_argument("--out", default=os.path.join(HERE, "gpu-results.json"))
    ap.add_argument("--node", help="a Node binary to use instead of the bundled node.xz (tests)")
    ap.add_argument("--dawn", help="a dawn.node to use instead of the bundled dawn.node.xz (tests)")
    args = ap.parse_args()

    t_start = time.time()
    node = args.node or unpack("node")
    dawn = args.dawn or unpack("dawn.node")
    env = dict(os.environ)
    # The bundled Vulkan loader, unless the machine has its own (the NVIDIA ICD json is the driver's).
    env["LD_LIBRARY_PATH"] = HERE + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    env.setdefault("XDG_RUNTIME_DIR", "/tmp")
    load = lambda: [round(x, 2) for x in os.getloadavg()]
    result = {
        "version": 1, "benchmark": "gpu", "startedAt": datetime.datetime.utcnow().isoformat() + "Z",
        "card": card_name(), "python": sys.version.split()[0], "loadAverage": load(), "args": vars(args), "presets": [],
    }
    for preset in args.presets.split(","):
        pairs = []
        for i in range(args.pairs):
            lab = run([node, os.path.join(HERE, "bench.mjs"), f"--dawn={dawn}", f"--preset={preset}", f"--conv={args.conv}",
                       f"--steps={args.steps}", f"--max-seconds={args.max_seconds}"], env, 300)
            torch = run([sys.executable, os.path.join(HERE, "pytorch_bench.py"), "--preset", "default" if preset == "default" else "bench",
                         "--device", args.torch_device, "--steps", str(max(args.steps, 20)), "--warmup", "3"], env, 300)
            pair = {"pair": i + 1, "loadAverage": load(), "lab": lab, "torch": torch}
            if "error" not in lab and "error" not in torch:
                torch_pps = 1000 * torch["batch"] / statistics.median(torch["stepMs"])
                pair["torchPairsPerSec"] = torch_pps
                pair["ratio"] = lab["pairsPerSec"] / torch_pps  # WebGPU pairs/s as a fraction of PyTorch's
            pairs.append(pair)
            lab_ms = lab.get("medianMs") or (1000 * lab["batch"] / lab["pairsPerSec"] if "pairsPerSec" in lab else lab.get("error"))
            print(f"{preset} pair {i + 1}: lab {lab_ms} ms/step, "
                  f"torch {statistics.median(torch['stepMs']) if 'stepMs' in torch else torch.get('error')} ms/step, "
                  f"ratio {pair.get('ratio', 'n/a')}", flush=True)
        ratios = [p["ratio"] for p in pairs if "ratio" in p]
        result["presets"].append({
            "preset": preset, "pairs": pairs,
            "ratio": {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios), "n": len(ratios)} if ratios else None,
        })
    result["seconds"] = round(time.time() - t_start)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
