// Counter-based integer hash PRNG; src/core/random.ts holds the same functions.
fn pcg_hash(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn hash3(seed: u32, index: u32, counter: u32) -> u32 {
  return pcg_hash(pcg_hash(pcg_hash(counter) + index) + seed);
}

fn uniform01(seed: u32, index: u32, counter: u32) -> f32 {
  return f32(hash3(seed, index, counter) >> 8u) / 16777216.0;
}
