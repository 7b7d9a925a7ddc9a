#!/bin/sh
# `npm run bench`'s NumPy peer: runs bench/numpy_peer.py when python3 with NumPy is
# present, else says why it is skipped (and succeeds: the peer is optional).
if python3 -c "import numpy" >/dev/null 2>&1; then
  exec python3 "$(dirname "$0")/numpy_peer.py" "${1:-1048576}" "${2:-100}" "${3:-bench/results/numpy.json}"
fi
echo "bench: NumPy peer skipped (python3 with NumPy not found)"
