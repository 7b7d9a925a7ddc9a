#!/usr/bin/env bash
# A large `etascape map` on a Slurm cluster: one job array of N shards (one GPU each,
# any order, any node), then a merge job that runs once every shard succeeded.
#
#   deploy/slurm/map.sh DIR N -- MAP_ARGS...
#   deploy/slurm/map.sh runs/rosen 64 -- --surface rosenbrock --x lr:1e-5:1e-2:log \
#       --y momentum:0:0.99 --res 4096 --steps 2000
#
# Tiles go to DIR/tiles (on a file system every node sees), the figure and rows to
# DIR/map.png and DIR/map.csv. A shard whose tile is already there is skipped, so
# submitting the same command again after a crash or a preemption redoes only what is
# missing. Extra sbatch options (partition, account, time) come from SBATCH_* variables
# or SHARD_SBATCH / MERGE_SBATCH, e.g. SHARD_SBATCH="--partition=gpu --time=1:00:00".
set -euo pipefail

if [ $# -lt 3 ] || [ "$3" != "--" ]; then
  echo "usage: $0 DIR N -- MAP_ARGS..." >&2
  exit 2
fi
dir=$1
n=$2
shift 3
if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
  echo "$0: N must be a whole number >= 1, got '$n'" >&2
  exit 2
fi
etascape=${ETASCAPE:-etascape}
mkdir -p "$dir/tiles" "$dir/logs"

# The map's arguments, quoted for the shell that runs each job.
map_args=$(printf '%q ' "$@")
tiles=$(printf '%q' "$dir/tiles")
out=$(printf '%q' "$dir")

# shellcheck disable=SC2086 # SHARD_SBATCH / MERGE_SBATCH hold several options
array=$(sbatch --parsable --job-name=etascape-map --array="0-$((n - 1))" --gres=gpu:1 \
  --output="$dir/logs/shard-%a.log" ${SHARD_SBATCH:-} \
  --wrap="$etascape map $map_args--shard auto/$n --tile $tiles/shard-\$SLURM_ARRAY_TASK_ID.tile")
array=${array%%;*}

# shellcheck disable=SC2086
merge=$(sbatch --parsable --job-name=etascape-merge --dependency="afterok:$array" \
  --output="$dir/logs/merge.log" ${MERGE_SBATCH:-} \
  --wrap="$etascape merge $tiles/shard-*.tile --out $out/map.png --csv $out/map.csv")

echo "submitted shards $array (array 0-$((n - 1))) and merge ${merge%%;*}; tiles in $dir/tiles"
