#!/usr/bin/env bash
# The README's python/ measurement: the tiny preset on flickr8k-224 for 1000 steps on CPU, the lab's
# headless trainer vs clip_lab.train with 1 and 2 processes (gloo); dev R@K from each run's final
# evaluation (200 dev images). Logs and files go to ${OUT:-/tmp/clip-lab-measure}. Runs niced.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=$(realpath ../shared/datasets/flickr8k-224)
OUT=${OUT:-/tmp/clip-lab-measure}
STEPS=${STEPS:-1000}
mkdir -p "$OUT"
nice npm run -s train -- --data "$DATA" --preset tiny --steps "$STEPS" --every 50 --out "$OUT/lab.clip.safetensors" | tee "$OUT/lab.log"
cd python
nice /usr/bin/python3 -m clip_lab.train --data "$DATA" --steps "$STEPS" --out "$OUT/py1.clip.safetensors" --cache "$OUT/flickr8k-224.npz" | tee "$OUT/py1.log"
nice /usr/bin/python3 -m torch.distributed.run --standalone --nproc_per_node 2 --redirects 1 --tee 1 -m clip_lab.train \
  --data "$DATA" --steps "$STEPS" --out "$OUT/py2.clip.safetensors" --cache "$OUT/flickr8k-224.npz" --threads 1 | tee "$OUT/py2.log"
grep -h "eval step $STEPS\|done:" "$OUT"/lab.log "$OUT"/py1.log "$OUT"/py2.log
